"""The encoding and delimiter of a data file, and the text of the columns wanted from a chunk
of its rows."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Mapping
from operator import itemgetter
from pathlib import Path

import numpy as np

__all__ = [
    "DELIMITERS",
    "columns_of",
    "detect_delimiter",
    "encoding_problem",
    "open_text",
    "stripped",
    "undecodable_row",
]

#: Byte-order marks and the encodings they announce (UTF-8's is dropped by ``utf-8-sig``).
_MARKS = ((codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def encoding_problem(encoding: str) -> str | None:
    """Why ``encoding`` cannot read a file (a sentence for the caller's message), or None."""
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        return "unknown encoding (e.g. utf-8, cp1252, latin-1, utf-16)"
    if not info._is_text_encoding:  # rot13, base64: bytes to bytes
        return "not a text encoding"
    return None


def open_text(path: Path, encoding: str | None) -> tuple[io.TextIOWrapper, str]:
    """``path`` opened for reading as text, and the encoding it is read with: ``encoding``, or
    UTF-16 where the file starts with its byte-order mark, else UTF-8 (a UTF-8 mark dropped).
    A pipe reads too: the mark is peeked at, not consumed. Raises OSError."""
    raw = open(path, "rb")  # noqa: SIM115 - the text wrapper closes it
    try:
        if encoding is None:
            start = raw.peek(4)[:4]
            encoding = next((name for mark, name in _MARKS if start.startswith(mark)), "utf-8-sig")
        return io.TextIOWrapper(raw, encoding=encoding, newline=""), encoding
    except BaseException:
        raw.close()
        raise


def undecodable_row(path: Path, encoding: str) -> tuple[int, bytes] | None:
    """The first line of a UTF-8 file (1 = the header) with bytes that are not UTF-8, and the
    first such byte; None where the file cannot be read again (a pipe) or for another
    encoding."""
    if codecs.lookup(encoding).name not in {"utf-8", "utf-8-sig"} or not path.is_file():
        return None
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, 1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as exc:
                return number, line[exc.start : exc.start + 1]
    return None


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
