"""The common CSV read in one pass: UTF-8, every row whole, no line break or NUL inside a value.

ACLED exports, and most tables people save, are such files. For them the careful reader
(:mod:`katye.incidents.readers`) would scan the file a second time, to refuse NUL bytes and to
count its line breaks (a value holding one, or a blank line, shifts the line numbers of the rows
after it). Here the same facts are read from the values instead, which are at hand anyway: a
file with a NUL byte or a line break in a value, a blank line, a row of the wrong length, a
field too long, or text that is not UTF-8, makes :func:`read_quick` return None, and the careful
reader reads it as before. Whenever it returns a table, row ``i`` sits on line ``skip + 1 + i``.

The columns whose values repeat (all but ids and free text, in an export) come from pyarrow's
reader already dictionary-encoded, rather than encoded batch by batch here. A file of more than
a few blocks is cut at line feeds into a part per processor (four at most), parsed at once in
threads (pyarrow's streaming reader parses one block at a time). A cut inside a
quoted value leaves a line feed in a value, so such a file goes to the careful reader as well.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import itertools
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from katye.incidents.columns import PLAIN_SHARE, TextColumn

#: How the reader hands over a column whose values repeat: codes into the batch's distinct values.
ENCODED = pa.dictionary(pa.int32(), pa.string())


def read_quick(
    path: Path, source: str | Path | BinaryIO, names: list[str], *, delimiter: str, skip: int, block: int, longest: int
) -> pd.DataFrame | None:
    """Read a UTF-8 CSV whose lines are its rows into compact text columns, or None.

    Parameters
    ----------
    path
        The file (its first block is read to choose which columns come encoded).
    source
        What pyarrow reads: the path, or an open file when the name is not valid UTF-8.
    names
        The column names (the header, made unique); at least two.
    delimiter, skip, block
        The field delimiter, the lines before the first row (the header and any blank lines
        above it), the bytes parsed at a time.
    longest
        The longest field (bytes) the caller takes; a longer one returns None.

    Returns
    -------
    pandas.DataFrame or None
        Every column as text (categorical where values repeat), one row per line after ``skip``;
        None when the file is not one this reader answers for (see the module's docstring).

    """
    types = _column_types(path, names, delimiter=delimiter, skip=skip, block=block)

    def batches(part, skip: int):
        options = {
            "read_options": pacsv.ReadOptions(skip_rows=skip, column_names=names, block_size=block),
            # Blank lines come through as rows whose fields are all empty: then the line count is
            # off, and the careful reader takes over.
            "parse_options": pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False),
            # UTF-8 is checked below on each batch's distinct values, not on every value.
            "convert_options": pacsv.ConvertOptions(column_types=types, strings_can_be_null=False, check_utf8=False),
        }
        return pacsv.open_csv(part, **options)

    def feed(parsed, size: int) -> list[TextColumn]:
        columns = [TextColumn() for _ in names]
        rows = 0
        for batch in parsed:
            for column, values in zip(columns, batch.columns, strict=True):
                # Text that is not UTF-8 raises ArrowInvalid, as the reader's own check would.
                (values.dictionary if isinstance(values, pa.DictionaryArray) else values).validate(full=True)
                column.add(values)
            if rows == 0 and batch.num_rows:
                _reserve(columns, batch, size)
            rows += batch.num_rows
        return columns

    try:
        with _parts(path, source, block) as parts:
            try:
                columns = _read_parts(parts, feed, batches, skip)
            finally:
                if len(parts) > 1:
                    _give_back()
    except pa.ArrowException:  # a row of the wrong length, text that is not UTF-8, an empty file …
        return None
    frame = pd.DataFrame({name: column.finish() for name, column in zip(names, columns, strict=True)}, copy=False)
    return frame if _plain_lines(frame, longest) else None


def _read_parts(parts: list[_Part], feed, batches, skip: int) -> list[TextColumn]:
    """The parts' columns, joined in order: the first part read here, the others in threads.

    pyarrow lets go of the GIL while it parses, so the parts are parsed at once; each goes into
    columns of its own (no part's batches wait in memory for the one before to be taken).
    """
    with ThreadPoolExecutor(max(len(parts) - 1, 1)) as pool:
        later = [pool.submit(lambda part: feed(batches(part.source, 0), part.size), part) for part in parts[1:]]
        columns = feed(batches(parts[0].source, skip), parts[0].size)
        for future in later:
            for column, rest in zip(columns, future.result(), strict=True):
                column.extend(rest)
    return columns


#: Files smaller than this many blocks are parsed in one part.
SPLIT_BLOCKS = 8
#: The most parts a file is parsed in at once.
MAX_PARTS = 4


class _Part(NamedTuple):
    """What pyarrow reads for one part of the file, and its size in bytes."""

    source: str | Path | BinaryIO | io.RawIOBase
    size: int


@contextlib.contextmanager
def _parts(path: Path, source: str | Path | BinaryIO, block: int) -> Iterator[list[_Part]]:
    """The file cut at line feeds into a part per processor, each a file-like window on it.

    A cut that falls inside a quoted value leaves a line feed in that value (or a broken row),
    which :func:`_plain_lines` sees: the careful reader then reads the file whole.
    """
    size = path.stat().st_size
    count = min(_processors(), MAX_PARTS)
    if count < 2 or size < SPLIT_BLOCKS * block or not isinstance(source, (str, Path)):
        yield [_Part(source, size)]
        return
    with path.open("rb") as probe:
        cuts = [0]
        for i in range(1, count):
            probe.seek(max(size * i // count, cuts[-1], block))  # past the header, which is in the first block
            ahead = probe.read(block)
            found = ahead.find(b"\n")
            if found >= 0 and probe.tell() - len(ahead) + found + 1 < size:
                cuts.append(probe.tell() - len(ahead) + found + 1)
    cuts.append(size)
    with contextlib.ExitStack() as stack:
        yield [
            _Part(_Window(stack.enter_context(path.open("rb", buffering=0)), start, end), end - start)
            for start, end in itertools.pairwise(cuts)
        ]


def _give_back() -> None:
    """Hand the memory the reading threads freed back to the system.

    glibc keeps what a thread frees in that thread's own arena (about a third of a part's text
    here), where the rest of the process cannot use it; ``malloc_trim`` returns it. Elsewhere
    (macOS, musl, Windows) there is no such call and nothing to do.
    """
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):  # no such call, or (Windows) no C library to load by None
        return
    trim(0)


def _processors() -> int:
    """The processors this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class _Window(io.RawIOBase):
    """Bytes ``start`` to ``end`` of an open file, read as a file of their own."""

    def __init__(self, handle: io.RawIOBase, start: int, end: int) -> None:
        super().__init__()
        handle.seek(start)
        self._handle = handle
        self._left = end - start

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        # Straight from the file into the bytes pyarrow takes: no buffer in between.
        data = self._handle.read(self._left if size < 0 else min(size, self._left)) or b""
        self._left -= len(data)
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(memoryview(buffer)))
        memoryview(buffer).cast("B")[: len(data)] = data
        return len(data)


def _column_types(path: Path, names: list[str], *, delimiter: str, skip: int, block: int) -> dict[str, pa.DataType]:
    """Encoded for the columns whose values repeat in the first block, plain text for the others.

    Only speed depends on the choice: :class:`~katye.incidents.columns.TextColumn` decides the same
    way batch by batch, whichever form a batch comes in.
    """
    with path.open("rb") as handle:
        sample = handle.read(block)
    encoded = dict.fromkeys(names, ENCODED)
    end = sample.rfind(b"\n")
    if end < 0:
        return encoded
    try:
        table = pacsv.read_csv(
            io.BytesIO(sample[: end + 1]),
            read_options=pacsv.ReadOptions(skip_rows=skip, column_names=names, use_threads=False),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False
            ),
        )
    except pa.ArrowException:
        return encoded
    for name, values in zip(names, table.columns, strict=True):
        if len(values) >= 64 and pc.count_distinct(values).as_py() > PLAIN_SHARE * len(values):
            encoded[name] = pa.string()
    return encoded


def _reserve(columns: list[TextColumn], batch: pa.RecordBatch, size: int) -> None:
    """Room for the whole file at the first batch's bytes per row, so that columns rarely grow."""
    text_bytes = 0
    for values in batch.columns:
        if isinstance(values, pa.DictionaryArray):
            lengths = pc.binary_length(values.dictionary).to_numpy(zero_copy_only=False)[values.indices]
        else:
            lengths = pc.binary_length(values).to_numpy(zero_copy_only=False)
        text_bytes += int(lengths.sum()) + 3 * len(lengths)  # the text, quotes and a delimiter
    expected = int(1.02 * size * batch.num_rows / max(text_bytes, 1))
    for column in columns:
        column.reserve(expected)


def _plain_lines(frame: pd.DataFrame, longest: int) -> bool:
    """True when no value holds a line feed or a NUL byte or is too long, and no row is all empty."""
    empty = np.ones(len(frame), dtype=bool)
    for name in frame.columns:
        series = frame[name]
        categorical = isinstance(series.dtype, pd.CategoricalDtype)
        # A categorical column's values are its categories: each distinct text is looked at once.
        values = _arrow(series.cat.categories if categorical else series.array)
        lengths = np.concatenate([_lengths(chunk) for chunk in values.chunks] or [np.zeros(0, dtype=np.int64)])
        if (lengths.size and lengths.max() > longest) or _holds(values, b"\n") or _holds(values, b"\x00"):
            return False
        if empty.any():
            empty &= (lengths == 0)[series.cat.codes.to_numpy()] if categorical else lengths == 0
    return not empty.any()


def _arrow(values) -> pa.ChunkedArray:
    """Text values as a chunked large-string array (no copy of the text)."""
    array = pa.array(values)
    chunked = array if isinstance(array, pa.ChunkedArray) else pa.chunked_array([array])
    return chunked.cast(pa.large_string())


def _lengths(values: pa.Array) -> np.ndarray:
    """Each value's length in bytes, from a large-string array's offsets."""
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int64)[values.offset : values.offset + len(values) + 1]
    return np.diff(offsets)


def _holds(values: pa.ChunkedArray, byte: bytes) -> bool:
    """True when some value holds ``byte``: the text is searched in place, chunk by chunk."""
    for chunk in values.chunks:
        data = chunk.buffers()[2]
        if data is None or not len(chunk):
            continue
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int64)
        text = np.frombuffer(data, dtype=np.uint8)[offsets[chunk.offset] : offsets[chunk.offset + len(chunk)]]
        for start in range(0, len(text), _SCAN):  # bounded temporaries on long free text
            if (text[start : start + _SCAN] == byte[0]).any():
                return True
    return False


#: Bytes of text compared at a time.
_SCAN = 1 << 24
