"""Compact text columns built batch by batch: a file is never held whole in memory.

Incident files repeat most of their values (a few event types, a few hundred places, one
``source`` per outlet), so each column is kept as small integer codes into its distinct values
(a pandas ``Categorical``) unless its values are mostly distinct (event ids, free text), which
stay plain arrow-backed strings. A 5-million-row ACLED export then fits in a few hundred MB
instead of several GB.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: A batch whose distinct values exceed this share of its rows is kept as plain strings.
PLAIN_SHARE = 0.5


#: Signed integer types by size, with the most values each can index.
_WIDTHS = tuple((int(np.iinfo(kind).max), kind) for kind in (np.int8, np.int16, np.int32))


def _narrow(n_values: int) -> type:
    """The smallest signed integer type that indexes ``n_values`` values."""
    for most, kind in _WIDTHS:
        if n_values <= most:
            return kind
    return np.int64


def _strings(values: pa.Array) -> pa.Array:
    """A batch as plain strings: a dictionary-encoded one decoded, another text type cast."""
    if isinstance(values, pa.DictionaryArray):
        return values.dictionary.take(values.indices)
    return values.cast(pa.string()) if values.type != pa.string() else values


class TextColumn:
    """One text column, fed batch by batch, finished as a pandas Series.

    Each batch is dictionary-encoded on arrival; its codes go straight into one growing array
    (as narrow as the values allow) and only its few distinct values are kept beside them.
    :meth:`finish` merges the batches' dictionaries into one sorted set of categories and
    rewrites the codes in place, so no second copy of the column is ever made.
    """

    def __init__(self) -> None:
        self._codes = np.empty(0, dtype=np.int8)
        self._dictionaries: list[pa.Array] = []
        self._ends: list[int] = []
        self._plain: list[pa.Array] = []
        self.rows = 0

    @property
    def plain(self) -> bool:
        return bool(self._plain)

    def reserve(self, rows: int) -> None:
        """Make room for ``rows`` rows in all (an estimate: the column still grows past it)."""
        if not self.plain and rows > len(self._codes):
            grown = np.empty(rows, dtype=self._codes.dtype)
            grown[: self.rows] = self._codes[: self.rows]
            self._codes = grown

    def add(self, values: pa.Array | pa.ChunkedArray) -> None:
        """Append a batch of strings (no nulls), plain or dictionary-encoded."""
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        if self.plain:
            self._plain.append(_strings(values))
            self.rows += len(values)
            return
        # The CSV reader may have encoded the batch already: its dictionary is the batch's distinct values.
        encoded = values if isinstance(values, pa.DictionaryArray) else pc.dictionary_encode(_strings(values))
        if len(values) >= 64 and len(encoded.dictionary) > PLAIN_SHARE * len(values):
            # Mostly distinct: codes would cost more than they save. Earlier batches follow.
            self._plain = [*self._decoded(), _strings(values)]
            self._codes, self._dictionaries, self._ends = np.empty(0, dtype=np.int8), [], []
            self.rows += len(values)
            return
        width = np.dtype(_narrow(len(encoded.dictionary)))
        if width.itemsize > self._codes.itemsize:
            self._codes = self._codes.astype(width)
        if self.rows + len(values) > len(self._codes):
            self.reserve(max(2 * len(self._codes), self.rows + len(values)))
        self._codes[self.rows : self.rows + len(values)] = encoded.indices.to_numpy(zero_copy_only=False)
        self.rows += len(values)
        if self._dictionaries and encoded.dictionary.equals(self._dictionaries[-1]):
            self._ends[-1] = self.rows  # the same values in the same order (a constant column): one span
        else:
            self._dictionaries.append(encoded.dictionary)
            self._ends.append(self.rows)

    def extend(self, other: TextColumn) -> None:
        """Append the rows of ``other``: the same column of a later part of the file, fed apart.

        Plain text if either side is (as when a column fed batch by batch turns distinct).
        """
        if self.plain or other.plain:
            self._plain = [*(self._plain or self._decoded()), *(other._plain or other._decoded())]
            self._codes, self._dictionaries, self._ends = np.empty(0, dtype=np.int8), [], []
        else:
            # The wider of the two code types holds both.
            self._codes = np.concatenate([self._codes[: self.rows], other._codes[: other.rows]])
            self._ends += [self.rows + end for end in other._ends]
            self._dictionaries += other._dictionaries
        self.rows += other.rows

    def _spans(self):
        """(first row, end row, dictionary) of each batch added so far."""
        start = 0
        for dictionary, end in zip(self._dictionaries, self._ends, strict=True):
            yield start, end, dictionary
            start = end

    def _decoded(self) -> list[pa.Array]:
        return [pc.take(dictionary, pa.array(self._codes[start:end])) for start, end, dictionary in self._spans()]

    def finish(self) -> pd.Series:
        """The column: categorical with sorted categories, or plain strings."""
        if self.plain:
            values = pa.chunked_array(self._plain, type=pa.string())
            self._plain = []
            return pd.Series(pd.array(values, dtype="str"))  # pandas' own text type, as event ids are
        if not self._dictionaries:
            return pd.Series(pd.Categorical([], categories=pd.Index([], dtype="str")))
        dictionaries = pa.chunked_array(self._dictionaries, type=pa.string())
        where, categories = pd.factorize(pd.Series(pd.array(dictionaries, dtype=pd.StringDtype("pyarrow"))), sort=True)
        width = np.dtype(_narrow(len(categories)))
        codes: np.ndarray = (
            self._codes[: self.rows] if width.itemsize <= self._codes.itemsize else self._codes.astype(width)
        )
        value = 0
        for start, end, dictionary in self._spans():
            new = where[value : value + len(dictionary)]
            if (new != np.arange(len(new))).any():  # a dictionary already in sorted order keeps its codes
                codes[start:end] = new[codes[start:end]]
            value += len(dictionary)
        codes = codes[: self.rows]
        if width.itemsize < codes.itemsize or len(self._codes) > 1.05 * self.rows:
            codes = codes.astype(width)  # narrower, or trimmed of the room reserved
        self._codes, self._dictionaries, self._ends = np.empty(0, dtype=np.int8), [], []
        column = pd.Categorical.from_codes(codes, categories=pd.Index(categories, dtype="str"))
        return pd.Series(column, copy=False)


def _codes(series: pd.Series) -> np.ndarray | None:
    """A categorical column's codes, or None when it is not one or has missing values."""
    if not isinstance(series.dtype, pd.CategoricalDtype):
        return None
    codes = series.cat.codes.to_numpy()
    return None if codes.size and codes.min() < 0 else codes


def per_value(series: pd.Series, parse: Callable[[pd.Series], np.ndarray | pd.Series]) -> np.ndarray | None:
    """Run ``parse`` once per distinct value of a categorical column and spread the result to rows.

    Returns None when ``series`` is not categorical (or holds missing values): the caller then
    parses every row.
    """
    codes = _codes(series)
    if codes is None:
        return None
    result = parse(pd.Series(series.cat.categories, dtype="str"))
    values = result.to_numpy() if isinstance(result, pd.Series) else np.asarray(result)
    return values[codes]


def recode(series: pd.Series, change: Callable[[pd.Series], pd.Series]) -> pd.Series | None:
    """Apply a text ``change`` to each category of a categorical column; equal results merge.

    Returns None when ``series`` is not categorical (or holds missing values).
    """
    codes = _codes(series)
    if codes is None:
        return None
    changed = change(pd.Series(series.cat.categories, dtype="str"))
    where, categories = pd.factorize(changed, sort=True)
    kind = _narrow(len(categories))
    unchanged = len(categories) == len(where) and series.cat.categories.equals(pd.Index(categories, dtype="str"))
    if unchanged and codes.dtype == kind and _plain_categories(series):
        # Nothing changed (sorted text categories, each kept): the column as it is, with no remap.
        return pd.Series(series.array, index=series.index, name=series.name, copy=False)
    new = where.astype(kind)[codes]
    column = pd.Categorical.from_codes(new, categories=pd.Index(categories, dtype="str"))
    return pd.Series(column, index=series.index, name=series.name, copy=False)


def _plain_categories(series: pd.Series) -> bool:
    """True for an unordered categorical whose categories are pandas text (``str``), as katye makes them."""
    return not series.cat.ordered and series.cat.categories.dtype == _TEXT


#: pandas' own text type, as the categories katye makes have it.
_TEXT = pd.Index([], dtype="str").dtype


def distinct(values) -> tuple[np.ndarray, np.ndarray]:
    """A text column's distinct stripped values (blank for missing) and each row's code into them.

    A categorical column is read through its categories, so a million rows cost a few hundred
    string operations.
    """
    series = pd.Series(values)
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy()
        categories = pd.Series(series.cat.categories, dtype="str").str.strip()
        if codes.size and codes.min() < 0:
            categories = pd.concat([categories, pd.Series([""], dtype="str")], ignore_index=True)
            codes = np.where(codes < 0, len(categories) - 1, codes)
        # In order of first appearance, as for plain text, and only the values that appear.
        seen = pd.unique(codes)
        position: np.ndarray = np.zeros(len(categories), dtype=_narrow(len(seen)))
        position[seen] = np.arange(len(seen))
        where, uniques = pd.factorize(categories.iloc[seen], sort=False)
        return where.astype(_narrow(len(uniques)))[position[codes]], np.asarray(uniques, dtype=object)
    codes, uniques = pd.factorize(series.astype(object).fillna("").astype(str).str.strip(), sort=False)
    return codes, np.asarray(uniques, dtype=object)


def categorical(values: np.ndarray, codes: np.ndarray) -> pd.Categorical:
    """The categorical column whose row i is ``values[codes[i]]`` (``values`` may repeat)."""
    where, categories = pd.factorize(pd.Series(np.asarray(values, dtype=object).astype(str), dtype="str"), sort=True)
    if not len(codes):
        return pd.Categorical.from_codes(np.zeros(0, dtype=np.int8), categories=pd.Index(categories, dtype="str"))
    return pd.Categorical.from_codes(
        where.astype(_narrow(len(categories)))[codes], categories=pd.Index(categories, dtype="str")
    )


#: FNV-1a's 64-bit prime: an odd multiplier that spreads each byte over the whole word.
_PRIME = np.uint64(0x100000001B3)


def hash64(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A 64-bit hash of each string, computed eight bytes at a time over arrow's buffers.

    Equal strings hash equal; unequal ones almost never do, but callers must still compare the
    strings whose hashes collide. Costs 8 bytes a row, where hashing the strings themselves
    (arrow's or pandas' hash tables) holds a second copy of every distinct string.
    """
    if isinstance(values, pa.ChunkedArray):
        # Chunk by chunk: combining them would copy every string.
        parts = [hash64(chunk) for chunk in values.chunks]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)
    values = values.cast(pa.large_string())
    n = len(values)
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int64)[values.offset : values.offset + n + 1]
    start, lengths = offsets[:-1], np.diff(offsets)
    data = values.buffers()[2]
    raw = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, dtype=np.uint8)
    words = _Words(raw)
    hashed = np.empty(n, dtype=np.uint64)
    for first in range(0, n, _HASH_ROWS):  # a million rows at a time bounds the temporaries
        part = slice(first, min(first + _HASH_ROWS, n))
        hashed[part] = _hash_words(words, start[part], lengths[part])
    return hashed


#: Rows hashed at a time.
_HASH_ROWS = 1 << 20


class _Words:
    """Read the 8 bytes starting at any offset of a byte buffer as one little-endian word."""

    def __init__(self, raw: np.ndarray) -> None:
        # In place for all but the last 8 bytes (a strided view, no copy); a padded copy of the end.
        self.limit = len(raw) - 8
        self.inside = np.ndarray(shape=(max(self.limit + 1, 0),), dtype="<u8", buffer=raw, strides=(1,))
        tail = np.zeros(24, dtype=np.uint8)
        self.base = max(len(raw) - 16, 0)
        tail[: len(raw) - self.base] = raw[self.base :]
        self.tail = np.ndarray(shape=(17,), dtype="<u8", buffer=tail, strides=(1,))

    def __getitem__(self, at: np.ndarray) -> np.ndarray:
        past = at > self.limit
        if not past.any():
            return self.inside[at]
        out = np.empty(len(at), dtype=np.uint64)
        out[~past] = self.inside[at[~past]]
        out[past] = self.tail[at[past] - self.base]
        return out


def _hash_words(words: _Words, start: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    hashed = lengths.astype(np.uint64) * _PRIME
    longest = int(lengths.max()) if len(lengths) else 0
    with np.errstate(over="ignore"):
        for step in range(0, longest, 8):
            longer = lengths > step
            rows = slice(None) if longer.all() else np.flatnonzero(longer)
            word = words[start[rows] + step]
            left = lengths[rows] - step
            short = left < 8
            # Only the string's own bytes count: mask the bytes past its end.
            word[short] &= (np.uint64(1) << (left[short].astype(np.uint64) * np.uint64(8))) - np.uint64(1)
            mixed = (hashed[rows] ^ word) * _PRIME
            hashed[rows] = mixed ^ (mixed >> np.uint64(29))
    return hashed


def pair_codes(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes of distinct (x, y) pairs, numbered in order of first appearance, and each pair's first row.

    Exact (no rounding, no float hashing into one key): each coordinate is factorised on its own
    and the two small codes combined into one integer, which hashes fast.
    """
    xc, xs = pd.factorize(np.asarray(x, dtype=float), sort=False)
    yc, ys = pd.factorize(np.asarray(y, dtype=float), sort=False)
    # The narrowest integer that holds every pair: less memory for the millions of keys.
    width = np.int32 if len(xs) * max(len(ys), 1) < np.iinfo(np.int32).max else np.int64
    key: np.ndarray = xc.astype(width)
    del xc
    key *= max(len(ys), 1)
    key += yc.astype(width, copy=False)
    del yc
    where, pairs = pd.factorize(key, sort=False)
    del key
    where = where.astype(_narrow(len(pairs)))
    # Codes come in order of first appearance: a pair's first row is where their running maximum
    # steps up (two passes, not a hash of every row).
    first = np.flatnonzero(np.diff(np.maximum.accumulate(where), prepend=-1))
    return where, first


#: Rows :func:`drop_unused` looks at first.
_GLANCE = 1 << 14


def drop_unused(series: pd.Series) -> pd.Series:
    """A categorical column without the categories no row holds (e.g. values of rejected rows)."""
    codes = series.cat.codes.to_numpy()
    # Most columns show every category in their first rows: then no need to count them all.
    seen = np.zeros(len(series.cat.categories) + 1, dtype=bool)  # the last one takes missing values (-1)
    seen[codes[:_GLANCE]] = True
    if seen[:-1].all():
        return series
    counts = np.bincount(codes[codes >= 0], minlength=len(series.cat.categories)) if codes.size else None
    if counts is None or counts.all():
        return series if counts is not None else series.cat.remove_unused_categories()
    keep = np.flatnonzero(counts)
    position: np.ndarray = np.full(len(counts), -1, dtype=_narrow(len(keep)))
    position[keep] = np.arange(len(keep))
    new: np.ndarray = np.where(codes >= 0, position[np.maximum(codes, 0)], -1).astype(_narrow(len(keep)))
    column = pd.Categorical.from_codes(new, categories=series.cat.categories[keep])
    return pd.Series(column, index=series.index, name=series.name, copy=False)


def share_categories(frame: pd.DataFrame, names: tuple[str, ...]) -> None:
    """Give categorical columns one sorted set of categories, in place, so they compare (``==``)."""
    present = [n for n in names if n in frame.columns and isinstance(frame[n].dtype, pd.CategoricalDtype)]
    if len(present) < 2:
        return
    union = pd.Index(sorted(set().union(*(frame[n].cat.categories for n in present))), dtype="str")
    for name in present:
        if not frame[name].cat.categories.equals(union):
            frame[name] = frame[name].cat.set_categories(union)


def plain_text(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose categorical text columns are plain text (pandas ``str``).

    katye returns repeated text as categoricals to save memory; plain text is what pandas code
    written for ordinary frames expects (new values assigned anywhere, ``+`` between columns,
    ``min``/``max``). Costs the memory the categoricals saved.

    Parameters
    ----------
    frame
        A DataFrame or GeoDataFrame, e.g. ``read_incidents(...).incidents``.

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
        Same type, rows and columns; the caller's frame is not changed.

    """
    text = [
        c
        for c in frame.columns
        if isinstance(frame[c].dtype, pd.CategoricalDtype) and pd.api.types.is_string_dtype(frame[c].cat.categories)
    ]
    return frame.astype(dict.fromkeys(text, "str")) if text else frame.copy()
