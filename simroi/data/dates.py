"""Date-times in users' data files: detect the format from the first rows, parse a column at once.

The formats read (a time of day is optional everywhere; seconds and fractions of a second too):

=============== ===================== =====================================================
name            example               note
=============== ===================== =====================================================
ISO 8601        ``2003-09-01 07:15``  also ``2003-09-01T07:15:30``
year/month/day  ``2003/09/01 07:15``
month/day/year  ``09/01/2003 07:15``  US exports; one-digit month, day and hour allowed
day/month/year  ``01/09/2003 07:15``  told from month/day/year by a first or second
                                      number above 12, else ``date_format`` must say
day.month.year  ``01.09.2003 07:15``  German-speaking exports
mmddyyyy        ``09012003 07:15``    NICE IEX ``date`` with its ``period`` (see below)
=============== ===================== =====================================================

``date_format`` overrides detection with a strftime-like pattern built from ``%Y %m %d %H %M
%S`` and literal characters (``%d/%m/%Y %H:%M``). A date and a time in two columns (NICE IEX
``date`` + ``period``) are joined with a space before parsing (:mod:`simroi.data.columns`).

Parsing is vectorized: values of the most common width are rearranged character by character
into ISO 8601 strings and converted by numpy (``datetime64[s]``), which also rejects impossible
dates (month 13, 30 February); values of other widths (``9/1/2003 7:15`` beside
``10/12/2003 11:45``) go through the format's regular expression one by one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

__all__ = ["DateFormat", "detect_date_format", "parse_dates"]

_TIME = r"(?:[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?)?"
_FORMATS: dict[str, str] = {
    # With a UTC mark (Z, +00:00), as systems export UTC: read as the clock in UTC.
    "ISO 8601 (yyyy-mm-dd HH:MM)": r"(?P<Y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    + _TIME
    + r"(?:Z|[+-]00:?00)?",
    "yyyy/mm/dd HH:MM": r"(?P<Y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})" + _TIME,
    "mm/dd/yyyy HH:MM": r"(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<Y>\d{4})" + _TIME,
    "dd/mm/yyyy HH:MM": r"(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<Y>\d{4})" + _TIME,
    "dd.mm.yyyy HH:MM": r"(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<Y>\d{4})" + _TIME,
    "mmddyyyy HH:MM": r"(?P<m>\d{2})(?P<d>\d{2})(?P<Y>\d{4})" + _TIME,
}
#: How a message shows a format is given (the directives :func:`format_from_strftime` reads).
_EXAMPLE = "as %Y %m %d %H %M %S with the separators between, e.g. '%d/%m/%Y %H:%M'"
#: Formats that read the same text two ways; told apart by a number above 12.
_AMBIGUOUS = ("mm/dd/yyyy HH:MM", "dd/mm/yyyy HH:MM")
_TOKENS = {
    "%Y": r"(?P<Y>\d{4})",
    "%m": r"(?P<m>\d{1,2})",
    "%d": r"(?P<d>\d{1,2})",
    "%H": r"(?P<H>\d{1,2})",
    "%M": r"(?P<M>\d{2})",
    "%S": r"(?P<S>\d{2})",
    "%%": "%",
}
# ISO target: YYYY-MM-DDTHH:MM:SS, the character positions each field fills.
_ISO = "0000-00-00T00:00:00"
_SLOTS = {"Y": (0, 4), "m": (5, 2), "d": (8, 2), "H": (11, 2), "M": (14, 2), "S": (17, 2)}
_ZERO, _NINE = ord("0"), ord("9")


@dataclass(frozen=True)
class DateFormat:
    """A date-time format: its name (for messages) and a regular expression with named groups
    ``Y m d`` and optional ``H M S``."""

    name: str
    pattern: re.Pattern[str]


def format_from_strftime(text: str) -> DateFormat:
    """A :class:`DateFormat` from a strftime-like pattern (``%d/%m/%Y %H:%M``).

    Raises ``ValueError`` (the caller words it) for a directive other than ``%Y %m %d %H %M %S
    %%`` or a pattern without ``%Y``, ``%m`` and ``%d``.
    """
    parts: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "%":
            token = text[i : i + 2]
            if token not in _TOKENS:
                raise ValueError(f"unknown directive {token!r} (use %Y %m %d %H %M %S)")
            parts.append(_TOKENS[token])
            i += 2
        else:
            parts.append(re.escape(text[i]))
            i += 1
    regex = "".join(parts)
    if not all(f"(?P<{g}>" in regex for g in "Ymd"):
        raise ValueError("needs %Y, %m and %d")
    try:
        return DateFormat(text, re.compile(regex))
    except re.error as exc:  # a field named twice
        raise ValueError(f"not a usable pattern ({exc})") from None


def detect_date_format(values: list[str]) -> DateFormat | str:
    """The format that reads the most non-empty values among the first thousand of ``values``
    (the first chunk of rows; at least half of them), or a sentence saying why none can be
    chosen (the caller names the file and column). Day/month and month/day are told apart by a
    number above 12 anywhere in ``values`` (a file that starts on the 6th shows the 13th a week
    of rows later). The values it does not read are the reader's to refuse, each with its row."""
    sample = [v for v in values if v][:1000]
    if not sample:
        return "no values to tell the date format from"
    read = {n: sum(re.fullmatch(r, v) is not None for v in sample) for n, r in _FORMATS.items()}
    most = max(read.values())
    fits = [name for name, count in read.items() if count == most and 2 * most >= len(sample)]
    if set(_AMBIGUOUS) <= set(fits):
        pattern = re.compile(_FORMATS[_AMBIGUOUS[0]])
        dates = {v.split(" ", 1)[0].split("T", 1)[0] for v in values if v}  # one per day
        matches = [m for m in map(pattern.fullmatch, dates) if m is not None]
        # Values above 12 in one place tell the day; where both places have some (a typo),
        # the more common one wins and the reader refuses the others at their rows.
        first = sum(int(m["m"]) > 12 for m in matches)
        second = sum(int(m["d"]) > 12 for m in matches)
        if first > second:
            fits.remove("mm/dd/yyyy HH:MM")
        elif second > first:
            fits.remove("dd/mm/yyyy HH:MM")
        else:
            return (
                "dates could be month/day or day/month (no value above 12 tells): give the "
                f"format with `date_format`, {_EXAMPLE}"
            )
    if not fits:
        return (
            f"unknown date format (first value {sample[0]!r}); give it with `date_format`, "
            f"{_EXAMPLE}; a spreadsheet's serial numbers and 12-hour times are not read: "
            "export the dates as text in 24-hour time"
        )
    name = fits[0]
    return DateFormat(name, re.compile(_FORMATS[name]))


def parse_dates(values: np.ndarray, fmt: DateFormat) -> tuple[np.ndarray, np.ndarray]:
    """Parse a column of date-time strings.

    Parameters
    ----------
    values : ndarray of str, shape (n,)
        Stripped text of each row.
    fmt : DateFormat
        The format every value should have.

    Returns
    -------
    times : ndarray of datetime64[s], shape (n,)
        NaT where the value is not a date-time of ``fmt``.
    bad : ndarray of bool, shape (n,)
        True where the value could not be read.
    """
    n = values.shape[0]
    iso = np.full(n, _ISO, dtype="U19")
    slow = np.ones(n, dtype=bool)
    if n:
        _fixed_width(values, fmt, iso, slow)
    for i in np.flatnonzero(slow).tolist():
        match = fmt.pattern.fullmatch(str(values[i]))
        if match is None:
            iso[i] = ""
            continue
        fields = match.groupdict()
        iso[i] = (
            f"{fields['Y']}-{int(fields['m']):02d}-{int(fields['d']):02d}T"
            f"{int(fields.get('H') or 0):02d}:{int(fields.get('M') or 0):02d}:"
            f"{int(fields.get('S') or 0):02d}"
        )
    bad = iso == ""
    try:
        times = np.where(bad, "NaT", iso).astype("datetime64[s]")
    except ValueError:  # an impossible date (month 13, 30 February): find it
        times = np.empty(n, dtype="datetime64[s]")
        for i, text in enumerate(np.where(bad, "NaT", iso).tolist()):
            try:
                times[i] = np.datetime64(text, "s")
            except ValueError:
                times[i] = np.datetime64("NaT", "s")
                bad[i] = True
    return times, bad


def _fixed_width(values: np.ndarray, fmt: DateFormat, iso: np.ndarray, slow: np.ndarray) -> None:
    """Fill ``iso`` for values as wide as the most common width whose characters sit where
    the first such value's do (digits in the fields, the same separators elsewhere); clear
    ``slow`` for them. A vectorized rearrangement of UTF-32 code points."""
    lengths = np.char.str_len(values)
    width = int(np.bincount(lengths).argmax())
    rows = np.flatnonzero(lengths == width)
    if width == 0 or rows.size == 0:
        return
    template = fmt.pattern.fullmatch(str(values[rows[0]]))
    if template is None:
        return
    chars = values[rows].astype(f"U{width}").view(np.uint32).reshape(rows.size, width)
    ok = np.ones(rows.size, dtype=bool)
    digits = np.zeros(width, dtype=bool)
    out = np.frombuffer(_ISO.encode("utf-32-le"), dtype=np.uint32)
    out = np.repeat(out[None, :], rows.size, axis=0)
    for name, (at, size) in _SLOTS.items():
        if template.groupdict().get(name) is None:
            continue
        lo, hi = template.span(name)
        digits[lo:hi] = True
        # Right-align the field in its slot ("7" → "07"); a one-digit field leaves a "0".
        out[:, at + size - (hi - lo) : at + size] = chars[:, lo:hi]
    ok &= ((chars[:, digits] >= _ZERO) & (chars[:, digits] <= _NINE)).all(axis=1)
    first = chars[0]
    fixed = ~digits
    ok &= (chars[:, fixed] == first[fixed]).all(axis=1)
    good = rows[ok]
    iso[good] = out[ok].view("U19").ravel()
    slow[good] = False
