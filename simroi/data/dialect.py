"""The delimiter of a data file, and the text of the columns wanted from a chunk of its rows."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from operator import itemgetter

import numpy as np

__all__ = ["DELIMITERS", "columns_of", "detect_delimiter", "stripped"]

#: Delimiters told apart by detection.
DELIMITERS = (",", ";", "\t", "|")


def columns_of(
    batch: list[list[str]], fields: Mapping[str, tuple[int, ...]]
) -> dict[str, np.ndarray]:
    """The stripped text of each of our columns in a chunk, shape (rows,); two fields joined
    by a space (a date and a time)."""
    indices = sorted({i for idx in fields.values() for i in idx})
    raw = {i: list(map(itemgetter(i), batch)) for i in indices}
    text = {i: stripped(np.asarray(v, dtype=str)) for i, v in raw.items()}
    out = {}
    for name, idx in fields.items():
        out[name] = (
            text[idx[0]]
            if len(idx) == 1
            else np.char.add(np.char.add(text[idx[0]], " "), text[idx[1]])
        )
    return out


def detect_delimiter(lines: list[str]) -> str:
    """The candidate delimiter that splits the header into the most fields, as many as it
    splits most of the first lines into (quotes respected); a comma when none splits it."""
    best, fields = ",", 1
    for candidate in DELIMITERS:
        try:
            counts = [len(r) for r in csv.reader(lines, delimiter=candidate) if r]
        except csv.Error:
            continue
        n = counts[0] if counts else 0
        if n > fields and 2 * counts.count(n) > len(counts):
            best, fields = candidate, n
    return best


_SPACES = np.array([ord(c) for c in " \t\r\n\v\f"], dtype=np.uint32)


def stripped(text: np.ndarray) -> np.ndarray:
    """``text`` without surrounding whitespace; most exports have none, so look first (one
    pass over the code points) and strip only if some value needs it."""
    if text.size == 0 or text.dtype.itemsize == 0:
        return text
    codes = text.view(np.uint32).reshape(text.size, -1)
    length = np.count_nonzero(codes, axis=1)
    last = codes[np.arange(text.size), np.maximum(length - 1, 0)]
    if np.isin(codes[:, 0], _SPACES).any() or np.isin(last, _SPACES).any():
        return np.char.strip(text)
    return text
