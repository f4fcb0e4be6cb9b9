"""A chunk of a data file's rows, from text to typed arrays, each value checked against its
column's rule (:class:`~simroi.data.columns.Column`) and each interval row's counts against
each other."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np

from simroi.data.columns import (
    Column,
    Kind,
    Problems,
    lowered,
    parse_bools,
    parse_durations,
    parse_numbers,
    parse_outcomes,
)
from simroi.data.dates import DateFormat, has_time, parse_dates, standard_time, utc_offsets
from simroi.data.frames import ANSWERED

__all__ = ["MAX_NUMBER", "CustomerIds", "convert_chunk"]

#: A problem found in a chunk: (mask of bad rows, column, rule).
#: The largest number a cell may hold (in any unit: 1e15 seconds are 30 million years); sums
#: and squares of larger ones overflow in the fits.
MAX_NUMBER = 1e15
_Flag = Callable[[np.ndarray, str, str], None]


def convert_chunk(
    label: str,
    kind: Kind,
    text: dict[str, np.ndarray],
    row: np.ndarray,
    fmt: DateFormat | None,
    *,
    decimal_comma: bool,
    codes: CustomerIds,
    problems: Problems,
    zone: dt.tzinfo | None = None,
) -> dict[str, np.ndarray]:
    """One chunk's text columns as typed arrays, every broken rule added to ``problems``.

    Parameters
    ----------
    label : str
        The file, for messages.
    kind : Kind
        The file's kind.
    text : dict of str to ndarray of str, each shape (rows,)
        Stripped text of each of our columns the file has (``channel`` is left to the caller).
    row : ndarray of int, shape (rows,)
        Spreadsheet row numbers, for messages.
    fmt : DateFormat
        The format of the kind's date-time column.
    decimal_comma : bool
        Read ``3,5`` as 3.5.
    codes : CustomerIds
        The customer ids of the read so far (extended here).
    problems : Problems
        Where broken rules go, the chunk's sorted by row.
    zone : tzinfo, optional
        The times are UTC (or carry their offsets): read as ``zone``'s standard time
        (:func:`~simroi.data.dates.standard_time`).
    """
    found: list[tuple[int, str, str, str]] = []

    def flag(bad: np.ndarray, column: str, rule: str) -> None:
        for i in np.flatnonzero(bad)[:20].tolist():
            found.append((int(row[i]), column, rule, str(text[column][i])))

    out: dict[str, np.ndarray] = {}
    for col in kind.columns:
        if col.name in text and col.name != "channel":
            out[col.name] = _column(col, text[col.name], fmt, decimal_comma, codes, flag)
            if col.rule == "time" and zone is not None and fmt is not None:
                timed = has_time(text[col.name], fmt)  # a date alone is no moment to convert
                offsets = utc_offsets(text[col.name][timed]).astype("timedelta64[s]")
                out[col.name][timed] = standard_time(out[col.name][timed] - offsets, zone)
    if kind.name == "intervals":
        _interval_rules(out, flag)
    elif kind.name == "contacts":
        answered = out["outcome"] == ANSWERED
        flag(
            answered & (text["handle_seconds"] == ""),
            "handle_seconds",
            "an answered contact must have a handle time",
        )
        out["handle_seconds"][~answered] = np.nan
    for line in sorted(found)[:20]:
        problems.add(label, *line)
    return out


class CustomerIds:
    """Customer ids seen so far in a read, and their int64 codes.

    Codes are given in order of first appearance, so they do not depend on how a file is cut
    into chunks. The ids are kept as a sorted numpy string array beside their codes (a few
    bytes per id, where a dict would take about 150): two million distinct ids of 8 ASCII
    characters take 16 MB.
    """

    def __init__(self) -> None:
        self.keys = np.empty(0, dtype="S1")  # sorted; bytes while every id is ASCII
        self.codes = np.empty(0, dtype=np.int64)  # code of keys[i]

    def encode(self, ids: np.ndarray) -> np.ndarray:
        """Codes of ``ids`` (str, shape (n,)); ids not seen before get the next free codes."""
        if self.keys.dtype.kind == "S":
            try:
                ids = ids.astype(bytes)  # one byte a character instead of four
            except UnicodeEncodeError:
                self.keys = self.keys.astype(str)  # same order: ASCII sorts alike
        unique, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
        keys = self.keys
        if unique.dtype.itemsize > keys.dtype.itemsize:
            keys = keys.astype(unique.dtype)
        at = np.searchsorted(keys, unique)
        known = at < keys.size
        known[known] = keys[at[known]] == unique[known]
        codes = np.empty(unique.size, dtype=np.int64)
        codes[known] = self.codes[at[known]]
        new = np.flatnonzero(~known)
        # New ids in order of first appearance in the chunk.
        new = new[np.argsort(first[new], kind="stable")]
        codes[new] = self.codes.size + np.arange(new.size)
        if new.size:
            fresh = np.sort(new)  # unique is sorted, so sorted indices are sorted ids
            self.keys = np.insert(keys, at[fresh], unique[fresh])
            self.codes = np.insert(self.codes, at[fresh], codes[fresh])
        return codes[inverse.reshape(-1)]

    def text(self, code: int) -> str:
        """The id of ``code``."""
        key = self.keys[np.flatnonzero(self.codes == code)[0]]
        return key.decode("ascii") if isinstance(key, bytes) else str(key)


def _column(
    col: Column,
    text: np.ndarray,
    fmt: DateFormat | None,
    decimal_comma: bool,
    codes: CustomerIds,
    flag: _Flag,
) -> np.ndarray:
    rule, name = col.rule, col.name
    empty = text == ""
    if rule == "time":
        assert fmt is not None
        times, bad = parse_dates(text, fmt)
        flag(bad, name, f"must be a date-time like the first rows' ({fmt.name})")
        return times
    if rule == "outcome":
        outcome, bad = parse_outcomes(text)
        flag(bad, name, "must be answered, abandoned or ignored")
        return outcome
    if rule == "bool":
        values, blank, bad = parse_bools(text)
        flag(bad | (blank & (not col.blank)), name, "must be 0, 1, true or false")
        return values
    if rule == "text":
        flag(empty & (not col.blank), name, "must not be empty")
        if name == "customer_id":
            return codes.encode(text)
        return lowered(text) if name == "experience" else text
    if "_seconds" in name:  # handle and wait times: seconds, or h:mm:ss as exports write them
        numbers, bad = parse_durations(text, decimal_comma=decimal_comma)
        flag(bad, name, "must be a number of seconds or h:mm:ss")
    else:
        numbers, bad = parse_numbers(text, decimal_comma=decimal_comma)
        flag(bad, name, "must be a number")
    huge = ~bad & (np.abs(numbers) > MAX_NUMBER)
    flag(huge, name, "must be at most 1e15")
    ok = ~bad & ~huge
    if rule == "count":
        flag(ok & empty, name, "must be a whole number ≥ 0")
        flag(ok & (numbers < 0), name, "must be a whole number ≥ 0")
        flag(ok & (numbers >= 0) & (numbers % 1 != 0), name, "must be a whole number")
    elif rule == "nonnegative":
        flag(ok & empty & (not col.blank), name, "must be a number ≥ 0")
        flag(ok & (numbers < 0), name, "must be ≥ 0")
    elif rule == "positive":
        flag(ok & ~(numbers > 0), name, "must be > 0")
    elif not col.blank:
        flag(ok & empty, name, "must be a number")
    return numbers


def _interval_rules(out: dict[str, np.ndarray], flag: _Flag) -> None:
    """The counts' rules across columns of an interval row, checked only where the counts
    involved are themselves valid (a bad count is reported once, by its own rule)."""
    counts = {
        k: out[k] for k in ("offered", "answered", "abandoned", "answered_within_sla") if k in out
    }
    valid = {k: (v >= 0) & (v % 1 == 0) for k, v in counts.items()}
    offered, answered = counts["offered"], counts.get("answered")
    abandoned, within = counts.get("abandoned"), counts.get("answered_within_sla")
    if answered is not None:
        both = valid["offered"] & valid["answered"]
        flag(both & (answered > offered), "answered", "must be ≤ offered")
        if abandoned is not None:
            flag(
                both
                & valid["abandoned"]
                & (answered <= offered)
                & (answered + abandoned > offered),
                "abandoned",
                "answered + abandoned must be ≤ offered",
            )
        if within is not None:
            flag(
                valid["answered"] & valid["answered_within_sla"] & (within > answered),
                "answered_within_sla",
                "must be ≤ answered",
            )
    elif abandoned is not None:
        flag(
            valid["offered"] & valid["abandoned"] & (abandoned > offered),
            "abandoned",
            "must be ≤ offered",
        )
