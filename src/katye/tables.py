"""Small text tables users bring (control, actors): read with each row's physical line number.

Every failure is katye's error naming the file and the line: an encoding katye cannot read, NUL
bytes, rows with the wrong number of fields, an empty file.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from katye.errors import InputError, at_rows


def read_text_table(path: Path, *, what: str, columns: tuple[str, ...]) -> pd.DataFrame:
    """The CSV at ``path`` as text columns, indexed by each row's first physical line.

    UTF-8 (with or without BOM) or Windows-1252; blank lines are skipped and counted; a quoted
    field may span lines.
    """
    data = path.read_bytes()
    if b"\x00" in data:
        raise InputError(
            f"{path}: holds NUL bytes: it is not a text {what} (a spreadsheet or a damaged file?). "
            "Save it as 'CSV UTF-8'."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise InputError(
                f"{path}: is not text in UTF-8 or Windows-1252 (byte 0x{data[exc.start]:02X} at line "
                f"{line}). Save the {what} as 'CSV UTF-8'."
            ) from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for record in reader:
            if any(cell.strip() for cell in record):
                records.append((start, record))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(f"{path}: line {start} cannot be read as CSV ({exc}). Check its quotes.") from exc
    if not records:
        raise InputError(f"{path}: the {what} is empty. Expected a header ({', '.join(columns)}) and rows.")
    (_, header), body = records[0], records[1:]
    ragged = [line for line, row in body if len(row) != len(header)]
    if ragged:
        raise InputError(
            f"{path}: {at_rows(ragged, unit='line')} do not have the header's {len(header)} fields. "
            "Quote values that contain commas."
        )
    frame = pd.DataFrame([row for _, row in body], columns=header, dtype=str)
    frame.index = pd.Index([line for line, _ in body], dtype="int64")
    return frame
