"""What the user's data files hold, once read: one frozen value per channel and kind of file.

Three kinds of file come from a contact centre's own systems (``DESIGN.md`` §6,
``reference/domain.md`` §10):

- an **interval report** (ACD, workforce management): one row per channel and interval of 5, 15,
  30 or 60 minutes, with the contacts offered and, where the export has them, answered,
  abandoned, answered within the service-level threshold, mean handle time, mean wait and agents
  on queue — :class:`IntervalReport`;
- a **contact log** (ticketing tool, social care platform, call detail records): one row per
  contact — :class:`ContactLog`;
- **customer outcomes** (CRM): one row per customer with the experience class of their contact
  in the window (``none`` for customers without one), the months observed and whether they
  churned — :class:`CustomerOutcomes`.

The readers (:mod:`simroi.data.read`) return these; the fits (:mod:`simroi.data.fit`) and the
backtest take them. Arrays are one-dimensional, one entry per row, sorted by time where there is
a time; a column the file does not have is ``None``, never an array of NaN. Times are naive local
``datetime64[s]`` as the export wrote them (contact centres report in the site's local time).
Every value says where it came from (:class:`DataSource`), so a fitted number can name the file,
the rows and the dates behind it.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from simroi.errors import DataFileError

__all__ = [
    "ABANDONED",
    "ANSWERED",
    "IGNORED",
    "OUTCOMES",
    "ContactLog",
    "CustomerOutcomes",
    "DataSet",
    "DataSource",
    "IntervalReport",
]

#: Outcome codes of a contact log's ``outcome`` column (``ContactLog.outcome``).
ANSWERED, ABANDONED, IGNORED = 0, 1, 2
#: The outcome words a contact log may hold, by code.
OUTCOMES: tuple[str, ...] = ("answered", "abandoned", "ignored")


def file_name(path: Path) -> str:
    """How a data file is named in sources and messages: its name (``contacts.csv``), or the
    whole path of a pipe or device (``/dev/fd/63`` from ``<(zcat contacts.csv.gz)``, whose
    name alone, ``63``, says nothing)."""
    if path.parts[:2] == ("/", "dev") or path.parts[:3] == ("/", "proc", "self"):
        return str(path)
    return path.name


@dataclass(frozen=True)
class DataSource:
    """Where a set of rows came from: enough to write a fitted number's ``source``.

    ``rows`` is the count of data rows read for this value (after the header); ``first`` and
    ``last`` are the earliest and latest time in them (``None`` for files without times).
    ``also`` names further files the rows came from, when one channel's rows were spread over
    several files (``path`` is the first of them). ``channel_row`` is the first row of ``path``
    (a spreadsheet's number: the header is row 1) whose channel column names the rows' channel;
    ``None`` where the channel was given for the whole file, or for customer outcomes.
    ``utc_marked``: the file's first rows all mark their times as UTC (``Z``, ``+00:00``) and
    no time zone was given to read them in; ``zone``: the time zone whose standard time UTC
    times were read as, if one was given.
    """

    path: Path
    kind: str  # "intervals" | "contacts" | "customers"
    rows: int
    first: np.datetime64 | None = None
    last: np.datetime64 | None = None
    also: tuple[Path, ...] = ()
    channel_row: int | None = None
    utc_marked: bool = False
    zone: str | None = None

    @property
    def names(self) -> str:
        """The file names the rows came from: ``intervals.csv`` or ``jan.csv + feb.csv``."""
        return " + ".join(file_name(p) for p in (self.path, *self.also))

    def describe(self) -> str:
        """``intervals.csv, 8,064 rows, 2003-01-01 to 2003-06-30`` (and ``, UTC read as
        America/New_York standard time`` where a zone was given)."""
        text = f"{self.names}, {self.rows:,} rows"
        if self.first is not None and self.last is not None:
            text += f", {str(self.first)[:10]} to {str(self.last)[:10]}"
        if self.zone is not None:
            text += f", UTC read as {self.zone} standard time"
        return text


@dataclass(frozen=True)
class IntervalReport:
    """One channel's interval rows, in time order, every interval the same length.

    All arrays have shape ``(n,)``. Counts are whole numbers ≥ 0 held as float64 (so sums and
    rates need no casts); ``answered + abandoned ≤ offered`` and ``answered_within_sla ≤
    answered`` where present. ``handle_seconds_mean`` and ``wait_seconds_mean`` are NaN in an
    interval with nothing answered (a mean of nothing), which is the one place NaN appears.
    Intervals with no row in the file are intervals with nothing offered only if the export says
    so; the reader does not invent rows.
    """

    source: DataSource
    channel: str
    interval_minutes: int
    start: np.ndarray  # datetime64[s]
    offered: np.ndarray
    answered: np.ndarray | None = None
    abandoned: np.ndarray | None = None
    answered_within_sla: np.ndarray | None = None
    handle_seconds_mean: np.ndarray | None = None
    wait_seconds_mean: np.ndarray | None = None
    agents: np.ndarray | None = None

    @property
    def rows(self) -> int:
        return int(self.start.shape[0])


@dataclass(frozen=True)
class ContactLog:
    """One channel's contacts, in order of arrival.

    All arrays have shape ``(n,)``. ``outcome`` holds :data:`ANSWERED`, :data:`ABANDONED` or
    :data:`IGNORED` (int8). ``wait_seconds`` is the wait until answered, or until the customer
    left (abandoned) or was given up on (ignored): for an answered contact it is a *lower bound*
    on the customer's patience (a censored observation). ``handle_seconds`` is NaN for contacts
    that were not answered. ``resolved`` and ``public`` are booleans where the file has the
    column; ``customer_id`` is an int64 code per distinct id in the file (equal ids, equal codes,
    consistently across the files of one read), or ``None``.
    """

    source: DataSource
    channel: str
    arrived_at: np.ndarray  # datetime64[s]
    outcome: np.ndarray  # int8
    wait_seconds: np.ndarray
    handle_seconds: np.ndarray
    resolved: np.ndarray | None = None
    public: np.ndarray | None = None
    customer_id: np.ndarray | None = None

    @property
    def rows(self) -> int:
        return int(self.arrived_at.shape[0])


@dataclass(frozen=True)
class CustomerOutcomes:
    """One row per customer over an observation window.

    ``experience`` holds the class of the customer's contact in the window as a string (the
    scenario's experience classes, e.g. ``resolved_fast``, ``ignored``; ``none`` for customers
    without a contact). ``months_observed`` > 0 is the exposure; ``churned`` is a boolean that the
    customer left within it. ``monthly_margin`` (currency a month) where the file has it.
    """

    source: DataSource
    customer_id: np.ndarray  # int64 codes
    experience: np.ndarray  # str (object or unicode)
    months_observed: np.ndarray
    churned: np.ndarray  # bool
    monthly_margin: np.ndarray | None = None

    @property
    def rows(self) -> int:
        return int(self.customer_id.shape[0])


@dataclass(frozen=True)
class DataSet:
    """Everything read from a set of data files (:func:`simroi.data.read.read_data`).

    ``intervals`` and ``contacts`` map a channel name (lower case, as in the files or as given)
    to its rows, all files of that kind and channel joined in time order; ``customers`` is the
    customer outcomes of every such file joined, or ``None``; ``sources`` one entry per file
    read, in the order given.
    """

    intervals: Mapping[str, IntervalReport]
    contacts: Mapping[str, ContactLog]
    customers: CustomerOutcomes | None
    sources: tuple[DataSource, ...]

    @property
    def channels(self) -> tuple[str, ...]:
        """Every channel with interval rows or contacts, sorted."""
        return tuple(sorted({*self.intervals, *self.contacts}))

    def busiest_customer_day(self) -> tuple[int, str, tuple[str, ...]]:
        """The most distinct customers (``customer_id``) with a contact on one calendar day,
        that day (ISO) and the contact logs' names; ``(0, "", ())`` without ids.

        Everyone who contacts on a day is a customer that day, so this bounds the customer
        base from below (a window's distinct ids do not: customers churn and join within it).
        """
        logs = [g for g in self.contacts.values() if g.customer_id is not None and g.rows]
        if not logs:
            return 0, "", ()
        days = np.concatenate([_days(g.arrived_at) for g in logs])
        ids = np.concatenate([np.asarray(g.customer_id, dtype=np.int64) for g in logs])
        pairs = np.unique(np.stack([days, ids]), axis=1)
        return _busiest(pairs[0], np.ones(pairs.shape[1]), logs)

    def busiest_contact_day(self) -> tuple[int, str, tuple[str, ...]]:
        """The most contacts offered on one calendar day over every channel (an interval
        report's, else a contact log's), that day (ISO) and the files counted; ``(0, "", ())``
        without data."""
        frames: list[IntervalReport | ContactLog] = list(self.intervals.values())
        frames += [g for c, g in self.contacts.items() if c not in self.intervals]
        frames = [f for f in frames if f.rows]
        if not frames:
            return 0, "", ()
        days = [_days(f.start if isinstance(f, IntervalReport) else f.arrived_at) for f in frames]
        counts = [
            np.asarray(f.offered, dtype=float) if isinstance(f, IntervalReport) else np.ones(f.rows)
            for f in frames
        ]
        return _busiest(np.concatenate(days), np.concatenate(counts), frames)

    def read_from(self, path: Path) -> Path | None:
        """The data file read that ``path`` names (the same file, through any link), if any."""
        target = os.path.realpath(path)  # never raises, a loop of links included
        for read in (p for s in self.sources for p in (s.path, *s.also)):
            if target == os.path.realpath(read):
                return read
        return None

    def between(self, start: dt.date | None = None, end: dt.date | None = None) -> DataSet:
        """The interval rows and contacts of the days from ``start`` to ``end`` (both included;
        ``None``: open-ended), each value's ``source`` counting only the rows kept.

        A channel without a row in the range is left out. Customer outcomes have no dates and
        are kept whole. Raises :class:`~simroi.errors.DataFileError` when no interval row or
        contact is left (and some were read).
        """
        if start is None and end is None:
            return self
        intervals = {c: _kept(r, r.start, start, end) for c, r in self.intervals.items()}
        contacts = {c: _kept(g, g.arrived_at, start, end) for c, g in self.contacts.items()}
        kept_frames: list[IntervalReport | ContactLog] = [*intervals.values(), *contacts.values()]
        out = DataSet(
            {c: r for c, r in intervals.items() if r.rows},
            {c: g for c, g in contacts.items() if g.rows},
            self.customers,
            tuple(_kept_source(s, kept_frames) for s in self.sources),
        )
        if self.channels and not out.channels:
            names = ", ".join(file_name(s.path) for s in self.sources if s.kind != "customers")
            raise DataFileError(
                f"{names}: no interval row or contact from {start or 'the start'} to "
                f"{end or 'the end'} (the data runs {self._span()})"
            )
        return out

    def _span(self) -> str:
        times = [s for s in self.sources if s.first is not None and s.last is not None]
        if not times:
            return "without dates"
        first = min(s.first for s in times if s.first is not None)
        last = max(s.last for s in times if s.last is not None)
        return f"{str(first)[:10]} to {str(last)[:10]}"


_Frame = TypeVar("_Frame", IntervalReport, ContactLog)


def unknown_channels(
    frames: Sequence[IntervalReport | ContactLog], channels: Sequence[str], scenario: str
) -> list[str]:
    """One line for each interval report or contact log whose channel is not one of
    ``channels``, the channels of the scenario named ``scenario``, naming the file and the
    first row that holds the channel."""
    names = ", ".join(channels)
    problems = []
    for frame in (f for f in frames if f.channel not in channels):
        source = frame.source
        where = (
            f"{source.path}: channel {frame.channel!r} ({source.kind}, named for the whole file)"
            if source.channel_row is None
            else f"{source.path} row {source.channel_row}, column channel: channel "
            f"{frame.channel!r} ({source.kind})"
        )
        problems.append(f"{where} is not in scenario {scenario!r} (its channels: {names})")
    return problems


def _kept_source(source: DataSource, frames: Sequence[IntervalReport | ContactLog]) -> DataSource:
    """A file's ``source`` counting only the rows kept, from the frames read from it alone (a
    channel joined from several files cannot be split by file: such a file keeps its count)."""
    if source.kind == "customers":
        return source
    mine = [f.source for f in frames if f.source.path == source.path]
    if any(s.also for s in mine) or any(source.path in f.source.also for f in frames):
        return source
    firsts = [s.first for s in mine if s.rows and s.first is not None]
    lasts = [s.last for s in mine if s.rows and s.last is not None]
    return replace(
        source,
        rows=sum(s.rows for s in mine),
        first=min(firsts) if firsts else None,
        last=max(lasts) if lasts else None,
    )


def _kept(frame: _Frame, times: np.ndarray, start: dt.date | None, end: dt.date | None) -> _Frame:
    """``frame`` with the rows whose ``times`` fall on the days from ``start`` to ``end``."""
    days = times.astype("datetime64[D]")
    keep = np.ones(days.shape, dtype=bool)
    if start is not None:
        keep &= days >= np.datetime64(start, "D")
    if end is not None:
        keep &= days <= np.datetime64(end, "D")
    if keep.all():
        return frame
    changes: dict[str, Any] = {
        f.name: getattr(frame, f.name)[keep]
        for f in fields(frame)
        if isinstance(getattr(frame, f.name), np.ndarray)
    }
    kept = times[keep]
    changes["source"] = replace(
        frame.source,
        rows=int(keep.sum()),
        first=kept.min() if kept.size else None,
        last=kept.max() if kept.size else None,
    )
    return replace(frame, **changes)


def _days(times: np.ndarray) -> np.ndarray:
    """Each time's calendar day, as days since 1970-01-01."""
    return times.astype("datetime64[D]").astype(np.int64)


def _busiest(
    days: np.ndarray, counts: np.ndarray, frames: Sequence[IntervalReport | ContactLog]
) -> tuple[int, str, tuple[str, ...]]:
    """The largest total of ``counts`` on one of ``days``, that day (ISO) and the names of the
    files ``frames`` came from."""
    day, where = np.unique(days, return_inverse=True)
    total = np.bincount(where, weights=counts)
    busiest = int(np.argmax(total))
    when = str(np.datetime64(int(day[busiest]), "D"))
    return int(total[busiest]), when, tuple(sorted({f.source.names for f in frames}))
