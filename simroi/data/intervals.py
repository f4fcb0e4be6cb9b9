"""One channel's interval starts: their length, and the rules a regular series keeps.

See :mod:`simroi.data.read` for the rules and how daylight saving shows up in naive local time.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from simroi.data.columns import Problems

__all__ = ["check_intervals"]

#: Interval lengths an interval report may have, minutes.
LENGTHS = (5, 10, 15, 30, 60)
#: Rows a day needs before its own most common step is read as its interval length.
_DAY_ROWS = 4


def check_intervals(
    channel: str,
    start: np.ndarray,
    row: np.ndarray,
    file: np.ndarray,
    names: list[str],
    minutes: int | None,
    problems: Problems,
    offered: np.ndarray | None = None,
    zone: str | None = None,
) -> int:
    """Check one channel's interval starts and return its interval length, minutes.

    Parameters
    ----------
    channel : str
        For messages.
    start : ndarray of datetime64[s], shape (n,)
        Sorted interval starts (NaT for unreadable ones, already reported).
    row, file : ndarray of int, shape (n,)
        Each start's spreadsheet row and index into ``names`` (the files read).
    minutes : int or None
        The given interval length; None: the most common step between starts.
    problems : Problems
        Where broken rules go: duplicate starts, a step that is not a whole number of
        intervals, starts off the interval grid, (length detected, not given) a day of rows
        all one longer step apart, and an hour missing as daylight saving skips it.
    offered : ndarray, shape (n,), optional
        Contacts offered in each row (NaN where unreadable): with it, an hour missing between
        two intervals with contacts, in a clock hour most days have rows for, is an error.
    zone : str, optional
        The time zone whose standard time UTC starts were converted to: no hour is then
        skipped or repeated by daylight saving (not looked for, nor named in a message), and a
        start off the grid names it.
    """
    ok = ~np.isnat(start)
    start, row, file = start[ok], row[ok], file[ok]
    if offered is not None:
        offered = offered[ok]
    seconds = start.astype(np.int64)
    step = np.diff(seconds)

    def where(i: int) -> str:
        return f"{names[int(file[i])]} row {int(row[i])}"

    def value(i: int) -> str:
        return str(start[i]).replace("T", " ")

    # Read in a zone's standard time, no hour repeats or goes missing by daylight saving.
    clock = (
        ""
        if zone is not None
        else " — a repeated hour when daylight saving ends reads so: export in the centre's "
        "standard time, or in UTC and give its `timezone`"
    )
    for i in np.flatnonzero(step == 0)[:10].tolist():
        problems.line(
            f"{where(i + 1)}, column interval_start: a second row for channel {channel}'s "
            f"interval at {value(i + 1)} (the first is {where(i)}; one row per channel and "
            f"interval{clock})"
        )
    moves = step[step > 0]
    detected_here = minutes is None
    if minutes is None:
        if moves.size == 0:
            problems.line(
                f"{where(0) if start.size else names[0]}: channel {channel} has "
                f"{start.size} interval row(s): too few to tell the interval length; give "
                "`interval_minutes`"
            )
            return LENGTHS[0]
        values, counts = np.unique(moves, return_counts=True)
        detected = int(values[np.argmax(counts)])
        if detected % 60 or detected // 60 not in LENGTHS:
            i = int(np.flatnonzero(step == detected)[0]) + 1
            problems.line(
                f"{where(i)}, column interval_start: channel {channel}'s starts are most often "
                f"{detected / 60:g} minutes apart; an interval must be 5, 10, 15, 30 or 60 "
                "minutes (give `interval_minutes` if the data has gaps)"
            )
            return LENGTHS[0]
        minutes = detected // 60
    size = minutes * 60
    if not detected_here and moves.size:
        values, counts = np.unique(moves, return_counts=True)
        common = int(values[np.argmax(counts)])
        if common < size:  # one line, not one for each row
            i = int(np.flatnonzero(step == common)[0]) + 1
            problems.add(
                names[int(file[i])],
                int(row[i]),
                "interval_start",
                f"channel {channel}'s starts are most often {common / 60:g} minutes apart, "
                f"shorter than the `interval_minutes` given ({minutes})",
                value(i),
            )
            return minutes
    for i in np.flatnonzero((step > 0) & (step % size != 0))[:10].tolist():
        problems.add(
            names[int(file[i + 1])],
            int(row[i + 1]),
            "interval_start",
            f"the interval length changes: {(step[i]) / 60:g} minutes after the previous "
            f"start, channel {channel}'s intervals are {minutes} minutes",
            value(i + 1),
        )
    day = seconds // 86_400
    off = (seconds - day * 86_400) % size != 0
    for i in np.flatnonzero(off)[:10].tolist():
        problems.add(
            names[int(file[i])],
            int(row[i]),
            "interval_start",
            f"not on the {minutes}-minute grid of channel {channel}'s intervals"
            + (
                ""
                if zone is None
                else f" (read in {zone}'s standard time: where its offset is not whole "
                "intervals, UTC intervals fall off its grid; export them in local time)"
            ),
            value(i),
        )
    if detected_here:
        _check_days(channel, day, step, size, minutes, where, value, problems)
    if offered is not None and zone is None:
        _check_skipped_hours(channel, seconds, step, offered, size, where, value, problems)
    return minutes


#: The latest local clock time at which a spring-forward gap starts: 00:00 to 03:00 in the
#: time zones of the IANA database that keep daylight saving (Europe 01:00 UTC = 02:00 or 03:00
#: local, North America 02:00, Australia and New Zealand 02:00, Chile and others at midnight).
_LATEST_SKIP_S = 4 * 3_600
#: Spring forward comes once a year: two skipped hours closer than this are quiet hours.
_DAYS_BETWEEN_SKIPS = 300


def _check_skipped_hours(
    channel: str,
    seconds: np.ndarray,
    step: np.ndarray,
    offered: np.ndarray,
    size: int,
    where: Callable[[int], str],
    value: Callable[[int], str],
    problems: Problems,
) -> None:
    """The hour daylight saving skips, in naive local time: exactly one hour of rows missing
    between two intervals that both had contacts, in a clock hour that at least half the days
    have rows for, starting between midnight and 03:00, on a day no other such gap comes within
    300 days of. A desk that closes for that hour every day (lunch) leaves the hour out on
    most days and passes; a quiet night whose rows are left out has no contacts either side;
    an export that leaves out the empty intervals of a quiet evening, or of many nights, has
    such gaps at other hours or on many days (calibrate refused such a file, naming daylight
    saving in January)."""
    if size > 3_600:
        return
    gap = np.flatnonzero((step == 3_600 + size) & (offered[:-1] > 0) & (offered[1:] > 0))
    if gap.size == 0:
        return
    days = np.unique(seconds // 86_400).size
    slot = seconds % 86_400
    slots, counts = np.unique(slot, return_counts=True)
    usual = dict(zip(slots.tolist(), counts.tolist(), strict=True))
    missing = (slot[gap] + size) % 86_400  # the clock time of each gap's first lost interval
    found = [
        int(i)
        for i, m in zip(gap, missing.tolist(), strict=True)
        if usual.get(m, 0) * 2 >= days and m < _LATEST_SKIP_S
    ]
    dates = np.array([int(seconds[i + 1] // 86_400) for i in found])
    for i, date in zip(found[:10], dates[:10].tolist(), strict=True):
        if np.sum(np.abs(dates - date) < _DAYS_BETWEEN_SKIPS) > np.sum(dates == date):
            continue  # another day's gap within the year: quiet hours, not the clock
        problems.line(
            f"{where(i + 1)}, column interval_start: the hour before {value(i + 1)} is missing "
            f"from channel {channel}'s rows, between intervals with contacts, while most days "
            "have rows for it (daylight saving starting reads so in local time: export in the "
            "centre's standard time, or in UTC and give its `timezone`)"
        )


def _check_days(
    channel: str,
    day: np.ndarray,
    step: np.ndarray,
    size: int,
    minutes: int,
    where: Callable[[int], str],
    value: Callable[[int], str],
    problems: Problems,
) -> None:
    """A day of rows all one longer step apart switched to longer intervals (5-minute rows,
    then 15-minute ones). Rows left out for quiet intervals leave uneven steps and pass."""
    same_day = day[1:] == day[:-1]
    inner = np.flatnonzero(same_day & (step > 0))
    if inner.size == 0:
        return
    days, first = np.unique(day[inner + 1], return_index=True)
    bounds = [*first.tolist(), inner.size]
    for k in range(days.size):
        idx = inner[bounds[k] : bounds[k + 1]]
        longer = int(step[idx[0]])
        if idx.size < _DAY_ROWS - 1 or longer == size or (step[idx] != longer).any():
            continue
        i = int(idx[0]) + 1
        problems.line(
            f"{where(i)}, column interval_start: the interval length changes: channel "
            f"{channel}'s intervals are {minutes} minutes, but on {value(i)[:10]} its rows "
            f"are {longer / 60:g} minutes apart (got {value(i)})"
        )
