"""Read users' data files — interval reports, contact logs, customer outcomes — into frames.

:func:`read_data` takes any number of files of the three kinds (:mod:`simroi.data.frames`), tells
each file's kind from its header (:mod:`simroi.data.columns`), its delimiter from its first lines
(comma, semicolon, tab or pipe) and its date format from its first rows
(:mod:`simroi.data.dates`), and streams it in chunks of rows, each converted to numpy arrays at
once, so a file of ten million contacts is read in a few hundred MB.

Rules, each broken one reported on one line naming file, row, column, rule and value (rows as a
spreadsheet numbers them: the header is row 1), up to :data:`~simroi.data.columns.MAX_PROBLEMS`:

- counts (``offered``, ``answered``, ``abandoned``, ``answered_within_sla``) are whole numbers
  ≥ 0; ``answered ≤ offered``, ``answered + abandoned ≤ offered``, ``answered_within_sla ≤
  answered``; times, waits, handle times and agents are ≥ 0; ``months_observed`` > 0;
- ``outcome`` is answered, abandoned or ignored; booleans are 0/1/true/false/yes/no;
- an answered contact has a ``handle_seconds`` (other contacts' handle times are read as NaN);
- the interval length of a channel is the most common step between its starts (or
  ``interval_minutes``), one of 5, 10, 15, 30 or 60 minutes; every start lies a whole number of
  intervals after the previous one, on the interval grid of the clock, so closed hours and quiet
  intervals may be left out; a day of four or more rows all one longer step apart is a change
  of length (5-minute rows, then 15-minute ones): an error, unless ``interval_minutes`` was
  given;
- a channel has one row per interval: a second row for the same start, in one file or across
  files, is a duplicate.

Daylight saving. Times are naive local time, as contact-centre exports write them. On the
spring-forward day the skipped hour has no rows: where contacts came in on both sides of it, most
days have rows for that hour, it starts between midnight and 03:00 (where every time zone that
keeps daylight saving skips its hour) and no other day within 300 days has such a gap (spring
comes once a year), that is an error naming the hour (export in standard time, or in UTC with
``timezone``, which reads the zone's standard time; or give the
hour's rows); elsewhere a gap of whole intervals reads as closed hours, as in an export that
leaves out the intervals without contacts. On the
fall-back day the repeated hour's intervals come twice: they
are duplicates, and the message says so; export in standard time, or in UTC with ``timezone``.
(UTC without ``timezone`` moves the centre's day: its opening hours and profile.)
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from simroi.data.columns import KINDS, Kind, Problems, lowered, resolve_header
from simroi.data.dates import (
    DateFormat,
    detect_date_format,
    format_from_strftime,
    marked_utc,
    time_zone,
)
from simroi.data.dialect import (
    DELIMITERS,
    columns_of,
    detect_delimiter,
    open_text,
    text_encoding,
    undecodable_line,
)
from simroi.data.frames import ContactLog, CustomerOutcomes, DataSet, DataSource, IntervalReport
from simroi.data.intervals import LENGTHS as INTERVAL_MINUTES
from simroi.data.intervals import check_intervals
from simroi.data.pieces import Pieces
from simroi.data.values import CustomerIds, convert_chunk
from simroi.errors import DataFileError, InputFileError, OptionError

__all__ = [
    "CHUNK_ROWS",
    "DELIMITERS",
    "INTERVAL_MINUTES",
    "MAX_SPAN_DAYS",
    "check_span",
    "read_data",
]

_T = TypeVar("_T")

#: Rows converted to arrays at once.
CHUNK_ROWS = 50_000
_SAMPLE_LINES = 50
#: The longest first lines read to tell a file's delimiter and header (characters): a file with
#: no line break in that much (a binary file, /dev/zero) is not a delimited table.
_MAX_LINE = 1_000_000
#: The longest run of days calibrate fits or backtest simulates, first to last (ten years): every
#: day between is binned or simulated, so a stray date (9999-12-31, 1970-01-01) would take hours.
MAX_SPAN_DAYS = 3653


def check_span(source: DataSource, column: str, first: np.datetime64, last: np.datetime64) -> None:
    """Refuse data whose days run longer than :data:`MAX_SPAN_DAYS`, first to last.

    Raises
    ------
    DataFileError
        One line naming the file, the column, the rule and the first and last dates.
    """
    days = int((last.astype("datetime64[D]") - first.astype("datetime64[D]")).astype(np.int64)) + 1
    if days > MAX_SPAN_DAYS:
        names = " + ".join(str(p) for p in (source.path, *source.also))
        raise DataFileError(
            f"{names}, column {column}: the dates run {str(first)[:10]} to {str(last)[:10]} "
            f"({days:,} days), more than {MAX_SPAN_DAYS:,} (ten years): a stray date such as "
            "9999-12-31 or 1970-01-01? Fix it, or keep a range with `start` and `end`"
        )


def read_data(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    columns: Mapping[str, str] | None = None,
    channel: str | None = None,
    delimiter: str | None = None,
    interval_minutes: int | None = None,
    date_format: str | None = None,
    encoding: str | None = None,
    timezone: str | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> DataSet:
    """Read data files into one :class:`~simroi.data.frames.DataSet`.

    Parameters
    ----------
    paths : path or iterable of paths
        Interval reports, contact logs and customer outcomes, in any mix and order. Files of one
        kind and channel are joined in time order.
    columns : mapping, optional
        Our column names to the files' (``{"interval_start": "DateTime", "offered": "Calls"}``;
        ``"date+period"`` joins a date and a time column). Applies to every file.
    channel : str, optional
        The channel of files without a ``channel`` column (a file with one keeps its own).
    delimiter : str, optional
        One character; default: detected from the first lines (comma, semicolon, tab, pipe).
    interval_minutes : int, optional
        The interval length of interval reports (5, 10, 15, 30 or 60); default: detected.
    date_format : str, optional
        strftime-like (``%d/%m/%Y %H:%M``); default: detected from the first rows.
    encoding : str, optional
        The files' text encoding, as Python names it (``cp1252``, ``latin-1``); default: UTF-8,
        or UTF-16 where a file starts with its byte-order mark.
    timezone : str, optional
        An IANA time zone (``America/New_York``): the files' times are UTC (a time with a UTC
        offset is converted with it) and are read as the zone's standard time, its offset less
        daylight saving (:func:`~simroi.data.dates.standard_time`); a date without a time is
        kept; default: times are the centre's own clock, as written.
    chunk_rows : int
        Rows converted to arrays at once (memory against speed; the result does not change).

    Raises
    ------
    DataFileError
        One line per problem in the files (at most 20).
    InputFileError
        A file that does not exist or cannot be read.
    OptionError
        An argument out of range.
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    files = [Path(p) for p in paths]
    if not files:
        raise OptionError("`paths` names no data file")
    if interval_minutes is not None and interval_minutes not in INTERVAL_MINUTES:
        raise OptionError(
            f"`interval_minutes` must be one of {', '.join(map(str, INTERVAL_MINUTES))} "
            f"(got {interval_minutes})"
        )
    _parsed("encoding", encoding, text_encoding)
    zone = _parsed("timezone", timezone, time_zone)
    if delimiter is not None and len(delimiter) != 1:
        raise OptionError(f"`delimiter` must be one character (got {delimiter!r})")
    if not (isinstance(chunk_rows, int) and chunk_rows >= 1):
        raise OptionError(f"`chunk_rows` must be a whole number ≥ 1 (got {chunk_rows!r})")
    fmt = _parsed("date_format", date_format, format_from_strftime)
    name = None if channel is None else channel.strip().lower()
    if name == "":
        raise OptionError("`channel` must not be empty")
    given: dict[str, Path] = {}
    for path in files:  # a file read twice would have every row a duplicate of itself
        first = given.setdefault(os.path.realpath(path), path)
        if first is not path:
            raise DataFileError(
                f"{path}: given twice (also as {first}); each data file is read once"
            )
    reading = _Reading(dict(columns or {}), name, delimiter, fmt, chunk_rows, encoding, zone)
    for path in files:
        reading.read_file(path)
    reading.problems.check()
    if name is not None and reading.channel_wanted and not reading.channel_used:
        raise OptionError(
            f"`channel` {name!r} names the channel of interval reports and contact logs without "
            "a channel column, and every one given has one (each row's channel is its own)"
        )
    return reading.assemble(interval_minutes)


def _not_decodable(path: Path, label: str, encoding: str, exc: UnicodeError) -> str:
    """The one line for a file that is not text in ``encoding``: its first bad line and byte
    where the file can be read again, and how to say its encoding."""
    name = "UTF-8" if encoding == "utf-8-sig" else encoding
    found = undecodable_line(path, encoding)
    reason = exc.reason if isinstance(exc, UnicodeDecodeError) else str(exc)
    where, what = (
        (label, reason)
        if found is None
        else (f"{label} line {found[0]}", f"byte 0x{found[1].hex()}")
    )
    return (
        f"{where}: not {name} text ({what}); give the file's encoding with `encoding` (cp1252 "
        "for a spreadsheet saved on Windows in Western Europe) or save it as UTF-8"
    )


def _parsed(name: str, value: str | None, parse: Callable[[str], _T]) -> _T | None:
    """``parse(value)``, None without a value; the ``ValueError`` of a value ``parse`` refuses
    as the option's one line (`` `name` 'value': why``)."""
    if value is None:
        return None
    try:
        return parse(value)
    except ValueError as exc:
        raise OptionError(f"`{name}` {value!r}: {exc}") from None


@dataclass
class _File:
    """What is known of the file being read, chunk by chunk."""

    path: Path
    label: str
    kind: Kind
    fields: dict[str, tuple[int, ...]]
    header: list[str]
    delimiter: str
    index: int  # in _Reading.files
    fmt: DateFormat | None
    rows: int = 0
    first: np.datetime64 | None = None
    last: np.datetime64 | None = None
    utc_marked: bool = True  # so far: every time seen (up to _UTC_SAMPLE) marked UTC
    utc_seen: int = 0


#: How many of a file's first times tell whether it marks them as UTC (whatever the chunks).
_UTC_SAMPLE = 1000


class _Reading:
    """The state of one :func:`read_data` call."""

    def __init__(
        self,
        columns: dict[str, str],
        channel: str | None,
        delimiter: str | None,
        fmt: DateFormat | None,
        chunk_rows: int,
        encoding: str | None,
        zone: dt.tzinfo | None,
    ) -> None:
        self.columns, self.channel, self.delimiter = columns, channel, delimiter
        self.fmt, self.chunk_rows, self.encoding, self.zone = fmt, chunk_rows, encoding, zone
        self.zone_name = None if zone is None else str(zone)  # sources and messages name it
        self.problems = Problems()
        self.pieces: dict[tuple[str, str], Pieces] = {}
        self.sources: list[DataSource] = []
        self.files: list[Path] = []
        self.customer_codes = CustomerIds()
        self.channel_wanted = False  # whether an interval report or contact log was read
        self.channel_used = False  # whether one without a channel column took `channel`

    # -- one file ---------------------------------------------------------------------------

    def read_file(self, path: Path) -> None:
        label = str(path)
        try:
            handle, encoding = open_text(path, self.encoding)
        except OSError as exc:
            raise InputFileError(f"{label}: cannot read ({exc.strerror or exc})") from None
        with handle:
            try:
                self._read_open(path, label, handle)
            except UnicodeError as exc:  # a decoder's own (punycode) as well as UTF-8's
                raise DataFileError(_not_decodable(path, label, encoding, exc)) from None
            except csv.Error as exc:
                raise DataFileError(f"{label}: not a readable delimited file ({exc})") from None

    def _read_open(self, path: Path, label: str, handle: Any) -> None:
        head: list[str] = []
        while len(head) < _SAMPLE_LINES and (line := handle.readline(_MAX_LINE)):
            if len(line) == _MAX_LINE and not line.endswith("\n"):
                raise DataFileError(
                    f"{label}: line {len(head) + 1} is longer than {_MAX_LINE:,} characters: "
                    "not a delimited text file"
                )
            head.append(line)
        if not head:
            raise DataFileError(f"{label}: the file is empty (no header, no rows)")
        delimiter = self.delimiter or detect_delimiter(head)
        # The lines read, then the rest: no seek, so a pipe reads too (<(zcat data.csv.gz)).
        reader = csv.reader(itertools.chain(head, handle), delimiter=delimiter)
        header = next(reader)
        if self.delimiter is not None and len(header) == 1:
            found = detect_delimiter(head)
            if found != self.delimiter and len(next(csv.reader(head[:1], delimiter=found))) > 1:
                raise DataFileError(
                    f"{label}: the header is one column when split by the `delimiter` given "
                    f"({self.delimiter!r}); the file's delimiter looks like {found!r}"
                )
        kind, fields = resolve_header(label, header, self.columns)
        self.channel_wanted |= kind.name != "customers"
        state = _File(path, label, kind, fields, header, delimiter, len(self.files), self.fmt)
        self.files.append(path)
        next_row = 2  # spreadsheet numbering: the header is row 1
        while batch := list(itertools.islice(reader, self.chunk_rows)):
            self._chunk(state, batch, next_row)
            next_row += len(batch)
            del batch  # before the next chunk is read: one chunk's text in memory at a time
        if state.rows == 0:
            self.problems.check()  # every row refused (too few or too many fields): say why
            raise DataFileError(f"{label}: no data rows (only a header)")
        self.sources.append(
            DataSource(
                path,
                kind.name,
                state.rows,
                state.first,
                state.last,
                utc_marked=state.utc_marked and state.utc_seen > 0,
                zone=None if kind.name == "customers" else self.zone_name,
            )
        )

    def _chunk(self, state: _File, batch: list[list[str]], first_row: int) -> None:
        """Convert one chunk of a file's rows and hand them to their channels."""
        label, kind, fields = state.label, state.kind, state.fields
        row = np.arange(first_row, first_row + len(batch), dtype=np.int64)
        lengths = np.fromiter(map(len, batch), dtype=np.int64, count=len(batch))
        width = max(i for idx in fields.values() for i in idx) + 1
        for i in np.flatnonzero((lengths > 0) & (lengths < width)).tolist():
            self.problems.add(
                label,
                int(row[i]),
                None,
                f"has {lengths[i]} fields, the header has {len(state.header)}",
                state.delimiter.join(batch[i])[:60],
            )
        # A row with more fields than the header has a value split by the delimiter (1,234.5):
        # read as it stands, every column after it would be shifted. Empty extra fields (a
        # trailing delimiter) are harmless.
        extra = np.flatnonzero(lengths > len(state.header))
        for i in [i for i in extra.tolist() if any(batch[i][len(state.header) :])]:
            self.problems.add(
                label,
                int(row[i]),
                None,
                f"has {lengths[i]} fields, the header has {len(state.header)} (a value holding "
                f"the delimiter {state.delimiter!r} must be quoted; write numbers without "
                "thousands separators)",
                state.delimiter.join(batch[i])[:60],
            )
            lengths[i] = 0  # not read further
        keep = np.flatnonzero(lengths >= width)  # blank lines (no fields) are skipped
        if keep.size < len(batch):
            batch = [batch[i] for i in keep.tolist()]
            row = row[keep]
        if not batch:
            return
        text = columns_of(batch, fields)
        time_column = kind.columns[0].name
        if state.utc_seen < _UTC_SAMPLE and self.zone is None and kind.columns[0].rule == "time":
            left = _UTC_SAMPLE - state.utc_seen
            sample = [v for v in text[time_column][: left * 2].tolist() if v][:left]
            state.utc_seen += len(sample)
            state.utc_marked &= marked_utc(sample)
        if state.fmt is None and kind.columns[0].rule == "time":
            found = detect_date_format(text[time_column].tolist())
            if isinstance(found, str):
                raise DataFileError(f"{label} row {row[0]}, column {time_column}: {found}")
            state.fmt = found
        values = convert_chunk(
            label,
            kind,
            text,
            row,
            state.fmt,
            decimal_comma=state.delimiter != ",",
            codes=self.customer_codes,
            problems=self.problems,
            zone=self.zone,
        )
        state.rows += len(batch)
        if kind.name == "customers":
            values["row"] = row
            values["file"] = np.full(row.size, state.index, dtype=np.int32)
            self._piece(kind.name, "").add(values, state.path)
            return
        times = values[time_column]
        if times.size and not np.isnat(times).all():
            lo, hi = np.nanmin(times), np.nanmax(times)
            state.first = lo if state.first is None else min(state.first, lo)
            state.last = hi if state.last is None else max(state.last, hi)
        if kind.name == "intervals":
            values["row"] = row
            values["file"] = np.full(row.size, state.index, dtype=np.int32)
        self._split(label, kind, text.get("channel"), values, row, state.path)

    def _piece(self, kind: str, channel: str) -> Pieces:
        return self.pieces.setdefault((kind, channel), Pieces(kind))

    def _split(
        self,
        label: str,
        kind: Kind,
        channels: np.ndarray | None,
        values: dict[str, np.ndarray],
        row: np.ndarray,
        path: Path,
    ) -> None:
        """Hand a chunk's values to each channel's pieces."""
        if channels is None:
            if self.channel is None:
                raise DataFileError(
                    f"{label}: no channel column; name the file's channel with `channel` "
                    "(e.g. phone) or add a channel column"
                )
            self._piece(kind.name, self.channel).add(values, path)
            self.channel_used = True
            return
        names = lowered(channels)
        for i in np.flatnonzero(names == "").tolist():
            self.problems.add(label, int(row[i]), "channel", "must name a channel", "")
        for name in np.unique(names).tolist():
            if name:
                mask = names == name
                first = int(row[np.argmax(mask)])
                self._piece(kind.name, name).add(
                    {k: v[mask] for k, v in values.items()}, path, first
                )

    # -- all files ---------------------------------------------------------------------------

    def assemble(self, interval_minutes: int | None) -> DataSet:
        intervals: dict[str, IntervalReport] = {}
        contacts: dict[str, ContactLog] = {}
        customers = None
        names = [str(p) for p in self.files]
        for (kind, channel), pieces in sorted(self.pieces.items()):
            if kind == "intervals":
                intervals[channel] = self._intervals(channel, pieces, names, interval_minutes)
            elif kind == "contacts":
                contacts[channel] = self._contacts(channel, pieces)
            else:
                customers = self._customers(pieces)
        self.problems.check()
        return DataSet(intervals, contacts, customers, tuple(self.sources))

    def _source(self, kind: str, pieces: Pieces, times: np.ndarray | None, n: int) -> DataSource:
        first = last = None
        if times is not None and times.size:
            first, last = times[0], times[-1]
        files = tuple(pieces.files[1:])
        zone = None if kind == "customers" else self.zone_name
        return DataSource(pieces.files[0], kind, n, first, last, files, pieces.first_row, zone=zone)

    def _intervals(
        self, channel: str, pieces: Pieces, names: list[str], minutes: int | None
    ) -> IntervalReport:
        start = pieces.take("interval_start")
        row, file = pieces.take("row"), pieces.take("file")
        assert start is not None and row is not None and file is not None
        order = np.lexsort((row, file, start))
        start, row, file = start[order], row[order], file[order]
        cols = {k: pieces.take(k) for k in pieces.keys}
        cols = {k: None if v is None else v[order] for k, v in cols.items()}
        offered = cols.pop("offered")
        assert offered is not None
        length = check_intervals(
            channel,
            start,
            row,
            file,
            names,
            minutes,
            self.problems,
            offered=offered,
            zone=self.zone_name,
        )
        return IntervalReport(
            source=self._source("intervals", pieces, start, start.size),
            channel=channel,
            interval_minutes=length,
            start=start,
            offered=offered,
            **{k: cols.get(k) for k in _INTERVAL_OPTIONAL},
        )

    def _contacts(self, channel: str, pieces: Pieces) -> ContactLog:
        arrived = pieces.take("arrived_at")
        assert arrived is not None
        order = None
        if arrived.size > 1 and (arrived[1:] < arrived[:-1]).any():
            order = np.argsort(arrived, kind="stable")
            arrived = arrived[order]

        def take(key: str) -> Any:
            value = pieces.take(key)
            return value if value is None or order is None else value[order]

        return ContactLog(
            source=self._source("contacts", pieces, arrived, arrived.size),
            channel=channel,
            arrived_at=arrived,
            outcome=take("outcome"),
            wait_seconds=take("wait_seconds"),
            handle_seconds=take("handle_seconds"),
            resolved=take("resolved"),
            public=take("public"),
            customer_id=take("customer_id"),
        )

    def _customers(self, pieces: Pieces) -> CustomerOutcomes:
        ids, row, file = (_taken(pieces, k) for k in ("customer_id", "row", "file"))
        order = np.argsort(ids, kind="stable")
        again = np.flatnonzero(ids[order][1:] == ids[order][:-1])
        if again.size:
            for i in again[:10].tolist():
                first, second = order[i], order[i + 1]
                self.problems.add(
                    f"{self.files[file[second]]}",
                    int(row[second]),
                    "customer_id",
                    f"a second row for this customer (the first is {self.files[file[first]]} "
                    f"row {row[first]}); one row per customer",
                    self.customer_codes.text(int(ids[second])),
                )
        return CustomerOutcomes(
            source=self._source("customers", pieces, None, ids.size),
            customer_id=ids,
            experience=_taken(pieces, "experience"),
            months_observed=_taken(pieces, "months_observed"),
            churned=_taken(pieces, "churned"),
            monthly_margin=pieces.take("monthly_margin"),
        )


#: An interval report's optional columns that become IntervalReport fields (the channel names
#: the report instead), as KINDS defines them.
_INTERVAL_OPTIONAL = tuple(
    c.name
    for c in next(k for k in KINDS if k.name == "intervals").columns
    if not c.required and c.name != "channel"
)


def _taken(pieces: Pieces, key: str) -> np.ndarray:
    """A column every file of the kind has (a required one)."""
    value = pieces.take(key)
    assert value is not None, key
    return value
