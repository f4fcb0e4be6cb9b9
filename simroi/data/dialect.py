"""The encoding and delimiter of a data file, and the text of the columns wanted from a chunk
of its rows."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Mapping
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "DELIMITERS",
    "columns_of",
    "detect_delimiter",
    "open_text",
    "stripped",
    "text_encoding",
    "undecodable_line",
]

#: Byte-order marks, UTF-32's before UTF-16's (which they start with), and the encodings that
#: read past them.
_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def text_encoding(encoding: str) -> str:
    """``encoding``, if it reads text; raises ``ValueError`` (the caller words it) for a name
    Python does not know or a codec from bytes to bytes (rot13, base64)."""
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        raise ValueError("unknown encoding (e.g. utf-8, cp1252, latin-1, utf-16)") from None
    if not info._is_text_encoding:
        raise ValueError("not a text encoding")
    return encoding


class _Prefixed(io.RawIOBase):
    """A binary stream that gives back ``prefix`` (bytes already read from ``raw``) and then
    the rest of ``raw``: a pipe's first bytes are read to find a mark, not sought back to."""

    def __init__(self, prefix: bytes, raw: io.RawIOBase) -> None:
        super().__init__()
        self._prefix, self._raw = prefix, raw

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        return self._raw.readinto(buffer)

    def close(self) -> None:
        self._raw.close()
        super().close()


def open_text(path: Path, encoding: str | None) -> tuple[io.TextIOWrapper, str]:
    """``path`` opened for reading as text, and the encoding it is read with: that of its
    byte-order mark where it starts with one (UTF-8, UTF-16 or UTF-32; the mark wins over
    ``encoding``, and is not read as text), else ``encoding``, else UTF-8. A pipe reads too.
    Raises OSError."""
    raw = open(path, "rb", buffering=0)  # noqa: SIM115 - the text wrapper closes it
    try:
        start = b""
        while len(start) < 4 and (more := raw.read(4 - len(start))):
            start += more  # a pipe may give its first bytes one write at a time
        marked = next((name for mark, name in _MARKS if start.startswith(mark)), None)
        chosen = marked or encoding or "utf-8-sig"
        if codecs.lookup(chosen).name == "utf-8":
            chosen = "utf-8-sig"  # UTF-8 however it is named (messages say "UTF-8")
        stream = io.BufferedReader(_Prefixed(start, raw))
        return io.TextIOWrapper(stream, encoding=chosen, newline=""), chosen
    except BaseException:
        raw.close()
        raise


def undecodable_line(path: Path, encoding: str) -> tuple[int, bytes] | None:
    """The first line of a UTF-8 file (1 = the header; any line ending) with bytes that are
    not UTF-8, and the first such byte; None where the file cannot be read again (a pipe) or
    for another encoding."""
    if codecs.lookup(encoding).name not in {"utf-8", "utf-8-sig"} or not path.is_file():
        return None
    with open(path, encoding="latin-1", newline=None) as handle:  # every byte one character
        for number, line in enumerate(handle, 1):
            raw = line.encode("latin-1")
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return number, raw[exc.start : exc.start + 1]
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
