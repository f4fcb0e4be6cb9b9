"""Date-times in users' data files: detect the format from the first rows, parse a column at once.

The formats read (a time of day is optional everywhere; seconds and fractions of a second too;
a 12-hour time with ``AM``/``PM``, ``am``/``pm`` or ``a.m.``/``p.m.`` after it wherever a time is):

=============== ======================== ==================================================
name            example                  note
=============== ======================== ==================================================
ISO 8601        ``2003-09-01 07:15``     also ``2003-09-01T07:15:30``, with a UTC offset
                                         (``Z``, ``-05:00``, ``+0530``) read as the clock
                                         written beside it (see below)
year/month/day  ``2003/09/01 07:15``
month/day/year  ``09/01/2003 7:15 AM``   US exports; one-digit month, day and hour allowed
day/month/year  ``01/09/2003 07:15``     told from month/day/year by a first or second
                                         number above 12, else ``date_format`` must say
day.month.year  ``01.09.2003 07:15``     German-speaking exports
mmddyyyy        ``09012003 07:15``       NICE IEX ``date`` with its ``period`` (see below),
                                         which may be ``0715``
serial          ``37865.302083``         a spreadsheet's date-time number: days since
                                         30 December 1899 (Excel's and LibreOffice's
                                         default), five digits before the point
=============== ======================== ==================================================

A time with a UTC offset is read as the clock time it shows, the local time of the offset,
because opening hours and intraday profiles are in the centre's local time: ``08:00-05:00``
is 08:00. Across a change to or from daylight saving that clock skips or repeats an hour, which
the interval reader reports (:mod:`simroi.data.read`). Given a time zone, times are instead
taken as UTC (converted with their offsets, :func:`utc_offsets`) and read as the zone's
standard time (:func:`standard_time`), which skips and repeats nothing.

``date_format`` overrides detection with a strftime-like pattern built from ``%Y %m %d %H %M
%S``, ``%I`` and ``%p`` (a 12-hour time) and literal characters (``%d/%m/%Y %H:%M``,
``%m/%d/%Y %I:%M %p``). A date and a time in two columns (NICE IEX ``date`` + ``period``) are
joined with a space before parsing (:mod:`simroi.data.columns`).

Parsing is vectorized: values of the most common width are rearranged character by character
into ISO 8601 strings and converted by numpy (``datetime64[s]``), which also rejects impossible
dates (month 13, 30 February); values of other widths (``9/1/2003 7:15`` beside
``10/12/2003 11:45``) go through the format's regular expression one by one.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass

import numpy as np

__all__ = [
    "DateFormat",
    "detect_date_format",
    "has_time",
    "marked_utc",
    "parse_dates",
    "standard_time",
    "time_zone",
    "utc_offsets",
]

#: An AM/PM mark after a time: the hour is then from 1 to 12.
_AM_PM = r"[AaPp]\.?[Mm]\.?"
_MERIDIEM = f"(?P<p>{_AM_PM})"
#: A time of day: ``H:MM``, ``HH:MM:SS.fff``, or ``HHMM`` (NICE IEX writes its periods so).
_TIME = (
    r"(?:[ T](?P<H>\d{1,2}(?=:)|\d{2}(?=\d{2}(?!\d))):?(?P<M>\d{2})"
    + r"(?::(?P<S>\d{2})(?:\.\d+)?)?"
    + f"(?: ?{_MERIDIEM})?)?"
)
_SERIAL = "serial (days since 1899-12-30)"
_FORMATS: dict[str, str] = {
    # A UTC offset (Z, -05:00, +0530) is read as the clock written beside it.
    "ISO 8601 (yyyy-mm-dd HH:MM)": r"(?P<Y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    + _TIME
    + r"(?:Z|[+-]\d{2}(?::?\d{2})?)?",
    "yyyy/mm/dd HH:MM": r"(?P<Y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})" + _TIME,
    "mm/dd/yyyy HH:MM": r"(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<Y>\d{4})" + _TIME,
    "dd/mm/yyyy HH:MM": r"(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<Y>\d{4})" + _TIME,
    "dd.mm.yyyy HH:MM": r"(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<Y>\d{4})" + _TIME,
    "mmddyyyy HH:MM": r"(?P<m>\d{2})(?P<d>\d{2})(?P<Y>\d{4})" + _TIME,
    _SERIAL: r"\d{5}(?:\.\d*)?",
}
#: A serial number's day 0 (days before 1 March 1900 count a 29 February 1900 that was not).
_SERIAL_EPOCH = np.datetime64("1899-12-30T00:00:00", "s")
#: How a message shows a format is given (the directives :func:`format_from_strftime` reads).
_EXAMPLE = (
    "as %Y %m %d %H %M %S (%I and %p for a 12-hour time) with the separators between, "
    "e.g. '%d/%m/%Y %H:%M'"
)
#: Formats that read the same text two ways; told apart by a number above 12.
_AMBIGUOUS = ("mm/dd/yyyy HH:MM", "dd/mm/yyyy HH:MM")
_TOKENS = {
    "%Y": r"(?P<Y>\d{4})",
    "%m": r"(?P<m>\d{1,2})",
    "%d": r"(?P<d>\d{1,2})",
    "%H": r"(?P<H>\d{1,2})",
    "%M": r"(?P<M>\d{2})",
    "%S": r"(?P<S>\d{2})",
    "%I": r"(?P<H>\d{1,2})",
    "%p": _MERIDIEM,
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
    %I %p %%``, a pattern without ``%Y``, ``%m`` and ``%d``, or ``%I`` and ``%p`` not together.
    """
    parts: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "%":
            token = text[i : i + 2]
            if token not in _TOKENS:
                raise ValueError(f"unknown directive {token!r} (use %Y %m %d %H %M %S %I %p)")
            parts.append(_TOKENS[token])
            i += 2
        else:
            parts.append(re.escape(text[i]))
            i += 1
    regex = "".join(parts)
    if not all(f"(?P<{g}>" in regex for g in "Ymd"):
        raise ValueError("needs %Y, %m and %d")
    if ("%I" in text) != ("%p" in text) or ("%p" in text and "%H" in text):
        raise ValueError("a 12-hour time needs %I (not %H) with %p")
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
            f"{_EXAMPLE}"
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
    if fmt.name == _SERIAL:
        return _serial_dates(values, fmt)
    iso = np.full(n, _ISO, dtype="U19")
    slow = np.ones(n, dtype=bool)
    if n:
        _fixed_width(values, fmt, iso, slow)
    for i in np.flatnonzero(slow).tolist():
        match = fmt.pattern.fullmatch(str(values[i]))
        hour = _hour(match) if match is not None else None
        if match is None or hour is None:
            iso[i] = ""
            continue
        fields = match.groupdict()
        iso[i] = (
            f"{fields['Y']}-{int(fields['m']):02d}-{int(fields['d']):02d}T"
            f"{hour:02d}:{int(fields.get('M') or 0):02d}:{int(fields.get('S') or 0):02d}"
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


def _hour(match: re.Match[str]) -> int | None:
    """A matched value's hour on the 24-hour clock (0 without a time), or None where a 12-hour
    time's hour is not from 1 to 12."""
    hour = int(match.group("H") or 0)
    meridiem = match.groupdict().get("p")
    if meridiem is None:
        return hour
    if not 1 <= hour <= 12:
        return None
    return hour % 12 + (12 if meridiem[0] in "Pp" else 0)


def _serial_dates(values: np.ndarray, fmt: DateFormat) -> tuple[np.ndarray, np.ndarray]:
    """:func:`parse_dates` for spreadsheet serial numbers: days (and fractions of a day) since
    30 December 1899, to the nearest second, or to the nearest minute where the value's
    decimals cannot tell a time from it (four decimals step 8.64 s: ``45663.0104`` is
    00:14:59, read as 00:15, as an interval start written so means)."""
    n = values.shape[0]
    good = np.fromiter((fmt.pattern.fullmatch(str(v)) is not None for v in values), bool, n)
    days = np.zeros(n)
    days[good] = values[good].astype(float)
    decimals = np.char.str_len(np.char.partition(values, ".")[:, 2])
    exact = days * 86_400.0
    minute = np.rint(exact / 60.0) * 60.0
    step = 86_400.0 * 10.0 ** -decimals.astype(float)  # what the last decimal is worth
    exact = np.where(np.abs(exact - minute) <= step / 2 + 1e-6, minute, exact)
    seconds = np.rint(exact).astype(np.int64).astype("timedelta64[s]")
    times = np.where(good, _SERIAL_EPOCH + seconds, np.datetime64("NaT", "s"))
    return times, ~good


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
    if template.groupdict().get("p") is not None:
        # AM or PM: the mark's first letter may differ from the first value's, the rest not.
        lo = template.start("p")
        fixed[lo] = False
        letter = chars[:, lo]
        pm = (letter == ord("P")) | (letter == ord("p"))
        ok &= pm | (letter == ord("A")) | (letter == ord("a"))
        hour = (out[:, 11] - _ZERO) * 10 + (out[:, 12] - _ZERO)
        ok &= (hour >= 1) & (hour <= 12)
        hour = hour % 12 + 12 * pm
        out[:, 11] = _ZERO + hour // 10
        out[:, 12] = _ZERO + hour % 10
    ok &= (chars[:, fixed] == first[fixed]).all(axis=1)
    good = rows[ok]
    iso[good] = out[ok].view("U19").ravel()
    slow[good] = False


#: A UTC offset after a time (``HH:MM``, ``HH:MM:SS.fff``, ``HHMM``, an AM/PM mark): ``Z``,
#: ``-05:00``, ``+0530``, ``+05``.
_OFFSET = re.compile(
    r"(?::\d{2}(?:\.\d+)?|[ T]\d{4})" + f"(?: ?{_AM_PM})?" + r"(Z|([+-])(\d{2}):?(\d{2})?)$"
)
#: A time marked as UTC: ``Z`` or a zero offset at its end.
_UTC_MARK = re.compile(r"(?:Z|[+-]00:?00)$")
#: The earliest and latest moments a time zone is asked about (``datetime``'s years 1-9999).
_FIRST_S, _LAST_S = -62_135_596_800 + 86_400, 253_402_300_799 - 86_400


def utc_offsets(values: np.ndarray) -> np.ndarray:
    """Each value's UTC offset in seconds (int64, shape (n,)): ``Z`` 0, ``-05:00`` −18,000,
    ``+0530`` 19,800; 0 where a value has none (or no time)."""
    tails = np.fromiter((v[-24:] for v in values.tolist()), dtype="U24", count=values.shape[0])
    unique, inverse = np.unique(tails, return_inverse=True)
    seconds = np.zeros(unique.size, dtype=np.int64)
    for i, tail in enumerate(unique.tolist()):
        match = _OFFSET.search(tail)
        if match is not None and match.group(1) != "Z":
            size = int(match.group(3)) * 3600 + int(match.group(4) or 0) * 60
            seconds[i] = -size if match.group(2) == "-" else size
    return seconds[inverse.ravel()]


def marked_utc(values: list[str]) -> bool:
    """Whether every one of ``values`` (non-empty texts) ends in a UTC mark, ``Z`` or
    ``+00:00``: times exported in UTC, not on the centre's clock."""
    return all(_UTC_MARK.search(v) for v in values)


def has_time(values: np.ndarray, fmt: DateFormat) -> np.ndarray:
    """Whether each value holds a time of day (bool, shape (n,)): a date alone has no time zone
    to convert from. A serial number's time is its fraction."""
    if fmt.name == _SERIAL:
        return np.char.find(values, ".") >= 0
    return (np.char.find(values, " ") >= 0) | (np.char.find(values, "T") >= 0)


def time_zone(name: str) -> zoneinfo.ZoneInfo:
    """The IANA time zone ``name`` (``America/New_York``); raises ``ValueError`` (the caller
    words it) for a name the time-zone database lacks (or a region of it, ``America``)."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        if not zoneinfo.available_timezones():
            raise ValueError("no time-zone database on this machine: pip install tzdata") from None
        raise ValueError(
            "not a time zone of the IANA database (e.g. America/New_York, Europe/Berlin, UTC)"
        ) from None


def standard_time(utc: np.ndarray, zone: dt.tzinfo) -> np.ndarray:
    """UTC times (datetime64[s], shape (n,); NaT kept) as the clock of ``zone``'s standard
    time: at each moment its UTC offset less its daylight saving (``utcoffset() − dst()``), so
    the clock skips or repeats no hour when daylight saving starts or ends (a day has 24 hours,
    as the model's day has), only where the zone changed its standard time itself. In summer
    it reads an hour earlier than the wall clock. For the zones the time-zone database keeps
    with a negative daylight saving in winter (Europe/Dublin, whose legal standard time is the
    summer's IST; Africa/Casablanca), it is the summer clock."""
    known = ~np.isnat(utc)
    seconds = np.clip(utc[known].astype(np.int64), _FIRST_S, _LAST_S)
    unique, inverse = np.unique(seconds // 900, return_inverse=True)  # offsets change on quarters
    offsets = np.zeros(unique.size, dtype=np.int64)
    for i, quarter in enumerate(unique.tolist()):
        moment = dt.datetime.fromtimestamp(quarter * 900, dt.UTC).astimezone(zone)
        offset, saving = moment.utcoffset() or dt.timedelta(), moment.dst() or dt.timedelta()
        offsets[i] = int((offset - saving).total_seconds())
    out = utc.copy()
    out[known] = utc[known] + offsets[inverse.ravel()].astype("timedelta64[s]")
    return out
