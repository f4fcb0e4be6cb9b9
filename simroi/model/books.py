"""The books of a channel: what a month's counts mean, and what one month owes the next.

A month is simulated on a few sampled days, and each contact of a sampled day stands for
``w`` contacts of the month (its day's weight, :func:`simroi.model.calendar.day_weights`). The
queue engine serves contacts on one continuous clock, so a contact that arrives late on the
month's last sampled day may be answered — or reach its ``ignore_after_hours`` deadline — in the
simulated time of a later month, or after the horizon, or never (nobody on duty and no deadline).
A contact's *fate time* is when its answer starts (answered) or its deadline passes (ignored).

The books count, per trial, in *month-contacts* (contacts of a month, the sampled-day counts
scaled by the day weights):

- **offered** in month m: contacts arriving in m's sampled days, each counted ``w``.
- **answered**, **unanswered** (abandoned on a realtime channel, ignored on a deferrable one) and
  every experience class in month m: contacts whose fate falls in m. A deferrable contact whose
  fate time is before the end of m's last sampled day counts ``w`` in m. One still waiting then
  stands for ``w`` contacts of the month whose wait was as long; of them, ``u = min(1, w)`` are
  really still waiting at the month's end and ``w − u`` (those of the month's earlier days) had
  their answer or deadline within it. So ``w − u`` count in m, with the fate the simulated
  contact met, and ``u`` is carried in the books: it counts in the month whose simulated days
  hold its fate time, or stays backlog if that is after the horizon. A contact that will never be
  answered nor ignored stays backlog with its whole ``w``. The split is what keeps stocks and
  flows apart under the day weights: flows scale with the days a sampled day stands for, a stock
  does not (Little's law: the number waiting is the arrival rate times the wait, not times the
  month). Counting the whole ``w`` of a waiting contact as backlog would make the backlog of a
  desk that answers nothing equal to the month's volume. Its experience class is the one its
  response time gives (known from its start), whichever month it counts in.
- **backlog_end** of month m: month-contacts arrived and neither answered nor ignored at the end
  of m's last sampled day; ``backlog_start`` of m + 1 is ``backlog_end`` of m. Per channel and
  month, exactly (in floating point): backlog_start + offered = answered + unanswered +
  backlog_end. A realtime channel's contacts abandon or are answered within their patience
  (minutes): they count in their arrival month and it keeps no backlog.
- **busy_slot_s**: agent-slot time spent serving, booked on the sampled day its service starts
  and capped on each day at the slot time on duty that day (a slot that finishes a contact
  after its shift works unpaid minutes); **available_slot_s**: the slot time on duty in the
  sampled days. Both are scaled by the calendar days each sampled day stands for
  (:func:`simroi.model.calendar.calendar_weights`), not by its volume weight: a shift is as
  long on a quiet day as on a busy one, so the month's available time is its paid slot time
  (exactly, when every day has the same shifts). Occupancy = busy / available ≤ 1 by
  construction, for every month and over any run of months.

:class:`Books` holds what a month owes later months: the ``u`` of each contact still waiting
(with its fate time and class), the backlog stranded until the horizon (as a number), and the
services that start on days not yet simulated (before the horizon ends).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "ANSWERED",
    "BOOK_FIELDS",
    "FAST",
    "MONTH_TALLIES",
    "PUBLIC",
    "RESOLVED",
    "Books",
    "tally",
]

#: Flag bits of a carried contact: answered (else ignored), within the SLA, resolved, public.
ANSWERED, FAST, RESOLVED, PUBLIC = 1, 2, 4, 8

#: The counts a carried contact adds to the month of its fate (``wait`` is the wait of answered
#: ones, in seconds).
#: The sums a month keeps per column as it reads its contacts, in this order (the counts, then
#: ``wait``, seconds): :func:`simroi.model.outcomes.month_outcomes` makes the rest from them.
MONTH_TALLIES = (
    "offered",
    "answered",
    "within_sla",
    "fast_resolved",
    "answered_resolved",
    "public_offered",
    "public_answered",
    "public_answered_resolved",
    "public_fast_resolved",
    "wait",
)

BOOK_FIELDS = (
    "answered",
    "within_sla",
    "fast_resolved",
    "answered_resolved",
    "unanswered",
    "public_answered",
    "public_answered_resolved",
    "public_fast_resolved",
    "public_unanswered",
    "wait",
)

# For each field but ``wait``: which flag bits must be set (mask, wanted value).
_FIELD_BITS = {
    "answered": (ANSWERED, ANSWERED),
    "within_sla": (ANSWERED | FAST, ANSWERED | FAST),
    "fast_resolved": (ANSWERED | FAST | RESOLVED, ANSWERED | FAST | RESOLVED),
    "answered_resolved": (ANSWERED | RESOLVED, ANSWERED | RESOLVED),
    "unanswered": (ANSWERED, 0),
    "public_answered": (ANSWERED | PUBLIC, ANSWERED | PUBLIC),
    "public_answered_resolved": (
        ANSWERED | RESOLVED | PUBLIC,
        ANSWERED | RESOLVED | PUBLIC,
    ),
    "public_fast_resolved": (
        ANSWERED | FAST | RESOLVED | PUBLIC,
        ANSWERED | FAST | RESOLVED | PUBLIC,
    ),
    "public_unanswered": (ANSWERED | PUBLIC, PUBLIC),
}
_COMBOS = np.arange(16)
# (16, fields): which flag combinations each field counts.
_SELECT = np.stack(
    [(_COMBOS & mask) == want for mask, want in _FIELD_BITS.values()], axis=1
).astype(np.float64)


def tally(
    column: np.ndarray, flags: np.ndarray, unit: np.ndarray, wait_unit_s: np.ndarray, width: int
) -> dict[str, np.ndarray]:
    """Month-contacts per column by field (:data:`BOOK_FIELDS`), each entry counted ``unit``.

    ``column``, ``flags``, ``unit`` and ``wait_unit_s`` (unit × wait, seconds; 0 unless
    answered) are (k,) arrays of k entries; the result maps every field to a (width,) array.
    """
    if column.size == 0:
        return {f: np.zeros(width) for f in BOOK_FIELDS}
    by_combo = np.bincount(
        column * 16 + flags.astype(np.int64), weights=unit, minlength=width * 16
    ).reshape(width, 16)
    counts = by_combo @ _SELECT
    out: dict[str, np.ndarray] = {f: counts[:, i] for i, f in enumerate(_FIELD_BITS)}
    out["wait"] = np.bincount(column, weights=wait_unit_s, minlength=width)
    return out


def _aggregate(key: np.ndarray, *values: np.ndarray) -> tuple[np.ndarray, ...]:
    """The distinct keys, sorted, and each value summed over the entries of a key.

    Keys are dense (a few days ahead × trials × classes), so a bincount over their span is
    cheaper than sorting them.
    """
    if key.size == 0:
        return (key, *values)
    low = int(key.min())
    shifted = key - low
    span = int(shifted.max()) + 1
    used = np.bincount(shifted, minlength=span) > 0
    distinct = np.flatnonzero(used)
    sums = (np.bincount(shifted, weights=v, minlength=span)[distinct] for v in values)
    return (distinct + low, *sums)


_NO_INT = np.zeros(0, dtype=np.int64)
_NO_FLOAT = np.zeros(0)


@dataclass(frozen=True)
class Books:
    """What a channel owes from earlier months, per trial, at the end of a month.

    Contacts still waiting are kept by trial, fate day and class: k entries, all (k,) arrays.
    ``column`` is the trial, ``day`` the absolute day (on the run's clock) of the fate — month
    boundaries fall between days, so the day says in which month it counts — ``flags`` the class
    (bits :data:`ANSWERED`, :data:`FAST`, :data:`RESOLVED`, :data:`PUBLIC`), ``unit`` the
    month-contacts it stands for and ``wait_unit_s`` the sum of unit × wait of its answered
    contacts (seconds). ``stranded`` (trials,) is the backlog that will still wait at the
    horizon: never answered nor ignored, or only after the horizon ends. Services that start on
    days after the month, j entries: ``service_column``, ``service_day`` and ``service_s``
    (slot seconds, unweighted: the month they fall in applies its own calendar weight).
    Entries are summed by key, so the books of a desk with a long queue hold a few entries per
    trial and day, not one per contact.
    """

    trials: int
    column: np.ndarray
    day: np.ndarray
    flags: np.ndarray
    unit: np.ndarray
    wait_unit_s: np.ndarray
    stranded: np.ndarray
    service_column: np.ndarray
    service_day: np.ndarray
    service_s: np.ndarray

    @classmethod
    def empty(cls, trials: int) -> Books:
        """Nothing owed: the books before the first month."""
        e, f = _NO_INT, _NO_FLOAT
        return cls(trials, e, e, e, f, f, np.zeros(trials), e, e, f)

    @property
    def backlog(self) -> np.ndarray:
        """Month-contacts waiting, per trial (trials,)."""
        waiting = np.bincount(self.column, weights=self.unit, minlength=self.trials)
        return self.stranded + waiting

    def settle(
        self, end_day: int
    ) -> tuple[dict[str, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray], Books]:
        """What falls before day ``end_day`` (the first day after a month): the counts of the
        contacts whose fate it holds (:func:`tally`), the services that start in it
        ``(column, day, slot seconds)``, and the books without them."""
        due = self.day < end_day
        counts = tally(
            self.column[due], self.flags[due], self.unit[due], self.wait_unit_s[due], self.trials
        )
        now = self.service_day < end_day
        services = (self.service_column[now], self.service_day[now], self.service_s[now])
        keep, later = ~due, ~now
        rest = Books(
            self.trials,
            self.column[keep],
            self.day[keep],
            self.flags[keep],
            self.unit[keep],
            self.wait_unit_s[keep],
            self.stranded,
            self.service_column[later],
            self.service_day[later],
            self.service_s[later],
        )
        return counts, services, rest

    def carry(
        self,
        waiting: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
        stranded: np.ndarray,
        services: tuple[np.ndarray, np.ndarray, np.ndarray],
        horizon_end_day: float,
    ) -> Books:
        """These books plus a month's contacts still waiting ``(column, fate day, flags, unit,
        unit × wait)``, backlog ``stranded`` (trials,) and services to come ``(column, day, slot
        seconds)``. Fates on or after ``horizon_end_day`` join the stranded backlog; services
        then are dropped (never booked)."""
        column, day, flags, unit, wait_unit = waiting
        after = day >= horizon_end_day
        stranded = self.stranded + stranded
        stranded += np.bincount(column[after], weights=unit[after], minlength=self.trials)
        keep = ~after
        key = (day[keep] * self.trials + column[keep]) * 16 + flags[keep]
        key, unit, wait_unit = _aggregate(key, unit[keep], wait_unit[keep])
        s_column, s_day, s_time = services
        booked = s_day < horizon_end_day
        s_key, s_time = _aggregate(s_day[booked] * self.trials + s_column[booked], s_time[booked])
        return Books(
            self.trials,
            np.concatenate([self.column, key // 16 % self.trials]),
            np.concatenate([self.day, key // 16 // self.trials]),
            np.concatenate([self.flags, key % 16]),
            np.concatenate([self.unit, unit]),
            np.concatenate([self.wait_unit_s, wait_unit]),
            stranded,
            np.concatenate([self.service_column, s_key % self.trials]),
            np.concatenate([self.service_day, s_key // self.trials]),
            np.concatenate([self.service_s, s_time]),
        )

    @classmethod
    def side_by_side(cls, books: list[Books]) -> Books:
        """Several worlds' books on one trial axis, interleaved: trial t of world j becomes
        column ``t × worlds + j`` (the layout of :mod:`simroi.model.contacts`)."""
        size = len(books)
        if size == 1:
            return books[0]
        trials = books[0].trials

        def join(name: str) -> np.ndarray:
            return np.concatenate([getattr(b, name) for b in books])

        def columns(name: str) -> np.ndarray:
            return np.concatenate([getattr(b, name) * size + j for j, b in enumerate(books)])

        stranded = np.stack([b.stranded for b in books], axis=1).reshape(size * trials)
        return cls(
            size * trials,
            columns("column"),
            join("day"),
            join("flags"),
            join("unit"),
            join("wait_unit_s"),
            stranded,
            columns("service_column"),
            join("service_day"),
            join("service_s"),
        )

    def world(self, j: int, size: int) -> Books:
        """World j's books out of ``size`` worlds side by side (the inverse of
        :meth:`side_by_side`)."""
        if size == 1:
            return self
        mine = self.column % size == j
        served = self.service_column % size == j
        return Books(
            self.trials // size,
            self.column[mine] // size,
            self.day[mine],
            self.flags[mine],
            self.unit[mine],
            self.wait_unit_s[mine],
            self.stranded[j::size],
            self.service_column[served] // size,
            self.service_day[served],
            self.service_s[served],
        )
