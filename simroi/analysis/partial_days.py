"""Days the data covers only in part, which a backtest leaves out and names.

Real exports often start or end in the middle of a day: a report pulled at 11:45, a log that
begins at the hour the export tool was switched on. Such a day's offered count is a morning's,
and its afternoon has no agents on queue, so setting it beside a whole simulated day would put it
below the band for a reason that has nothing to do with the model.

A day is **partial** when the stretch before its first row and after its last row usually carries
more than :data:`PARTIAL_SHARE` of the day's contacts. "Usually" is the data's own intraday
volume: the mean contacts per interval of the day over the days of the same weekday (over every
day when the data has fewer than :data:`WEEKDAY_DAYS` of that weekday), so a Saturday that closes
at 13:00 is not partial because weekdays run to 20:00. Gaps inside the day are not cut-offs: an
export that leaves out intervals with nothing offered has them on quiet days, and an interval
without a row counts as nothing offered there. Interval reports measure the stretch in rows (a
row with nothing offered still covers its interval); contact logs in contacts, binned into
:data:`LOG_INTERVAL_MINUTES` intervals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "LOG_INTERVAL_MINUTES",
    "PARTIAL_SHARE",
    "WEEKDAY_DAYS",
    "SkippedDay",
    "partial_days",
]

#: A day is partial when the stretch its data lacks at the start or end of the day usually
#: carries more than this share of the day's contacts.
PARTIAL_SHARE = 0.10
#: Days of one weekday needed to take that weekday's own intraday volume as the usual one.
WEEKDAY_DAYS = 3
#: The interval a contact log is binned into to find its usual intraday volume.
LOG_INTERVAL_MINUTES = 15

_DAY_S = 86_400


@dataclass(frozen=True)
class SkippedDay:
    """A day of one channel's data left out of the backtest, and why (one line)."""

    date: np.datetime64
    channel: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"date": str(self.date), "channel": self.channel, "reason": self.reason}


def _clock(seconds: float) -> str:
    minutes = round(seconds / 60.0)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def partial_days(
    dates: np.ndarray,
    day: np.ndarray,
    start_s: np.ndarray,
    contacts: np.ndarray,
    interval_minutes: int,
    *,
    what: str,
) -> dict[int, str]:
    """The partial days of one channel's data, by index into ``dates``, with the reason.

    Parameters
    ----------
    dates : ndarray of datetime64[D], shape (days,)
        The data's days, sorted.
    day : ndarray of int, shape (rows,)
        Each row's index into ``dates``.
    start_s : ndarray of float, shape (rows,)
        Each row's start (an interval's start, a contact's arrival), seconds from its midnight.
    contacts : ndarray of float, shape (rows,)
        Contacts each row counts (an interval's offered; 1 for a contact).
    interval_minutes : int
        The rows' interval (a contact log: :data:`LOG_INTERVAL_MINUTES`).
    what : str
        What the rows are called in the reason ("rows", "contacts").

    Returns
    -------
    dict of int to str
        For each partial day, e.g. ``"rows only from 08:00 to 11:45; the rest of the day
        usually carries 68% of its contacts"``.
    """
    size = interval_minutes * 60
    slots = -(-_DAY_S // size)
    slot = np.clip((np.asarray(start_s, dtype=float) // size).astype(np.int64), 0, slots - 1)
    volume = np.zeros((dates.size, slots))
    np.add.at(volume, (day, slot), np.asarray(contacts, dtype=float))
    first = np.full(dates.size, slots, dtype=np.int64)
    last = np.full(dates.size, -1, dtype=np.int64)
    np.minimum.at(first, day, slot)
    np.maximum.at(last, day, slot)
    weekday = (dates.astype("datetime64[D]").astype(np.int64) + 3) % 7  # 0 = Monday
    pooled = volume.mean(axis=0)
    usual = np.empty_like(volume)
    for w in range(7):
        same = weekday == w
        if same.any():
            usual[same] = volume[same].mean(axis=0) if same.sum() >= WEEKDAY_DAYS else pooled
    total = usual.sum(axis=1)
    index = np.arange(slots)
    outside = (index[None, :] < first[:, None]) | (index[None, :] > last[:, None])
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, (usual * outside).sum(axis=1) / total, 0.0)
    found = {}
    for i in np.flatnonzero(share > PARTIAL_SHARE).tolist():
        found[i] = (
            f"{what} only from {_clock(first[i] * size)} to "
            f"{_clock(min((last[i] + 1) * size, _DAY_S))}; the rest of the day usually carries "
            f"{share[i]:.0%} of its contacts (a day cut short is left out: "
            f"more than {PARTIAL_SHARE:.0%})"
        )
    return found
