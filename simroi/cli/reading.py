"""The options of the commands that read the user's data files (calibrate, backtest), written
once: the reader options (:func:`reader_options`, handed to the command as one :class:`Reading`)
and the days to use (:func:`date_range_options`, checked by :func:`date_range`). The library
argument names they set are in :data:`simroi.cli.options.FLAGS`."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from simroi.errors import OptionError

if TYPE_CHECKING:  # the command line starts without importing numpy
    from simroi.data.frames import DataSet

__all__ = ["Reading", "date_range", "date_range_options", "reader_options"]


@dataclass(frozen=True)
class Reading:
    """How the data files are read: the reader options as parsed from the command line."""

    columns: tuple[str, ...]
    channel: str | None
    delimiter: str | None
    interval_minutes: int | None
    date_format: str | None
    encoding: str | None
    timezone: str | None

    def read(self, paths: Sequence[str]) -> DataSet:
        """The files at ``paths``, read (:func:`simroi.data.read.read_data`)."""
        from simroi.data.columns import parse_column_map
        from simroi.data.read import read_data

        return read_data(
            [Path(p) for p in paths],
            columns=parse_column_map(self.columns) or None,
            channel=self.channel,
            delimiter=self.delimiter,
            interval_minutes=self.interval_minutes,
            date_format=self.date_format,
            encoding=self.encoding,
            timezone=self.timezone,
        )

    def words(self) -> list[str]:
        """The options as given, as command-line words (for a replay command)."""
        given: list[tuple[str, str | int | None]] = [
            *(("--columns", c) for c in self.columns),
            ("--channel", self.channel),
            ("--delimiter", self.delimiter),
            ("--interval-minutes", self.interval_minutes),
            ("--date-format", self.date_format),
            ("--encoding", self.encoding),
            ("--timezone", self.timezone),
        ]
        return [w for flag, value in given if value is not None for w in (flag, str(value))]


def reader_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--columns``, ``--channel``, ``--delimiter``, ``--interval-minutes``, ``--date-format``,
    ``--encoding`` and ``--timezone``, the same on every command that reads data files
    (calibrate, backtest); the command gets them as one :class:`Reading`, ``reader``."""
    options = [
        click.option(
            "--columns",
            multiple=True,
            metavar="OURS=THEIRS,...",
            help="Map the files' column names to simroi's, e.g. "
            "interval_start=DateTime,offered=Calls (date+period joins two columns).",
        ),
        click.option(
            "--channel",
            default=None,
            metavar="NAME",
            help="The channel of files without a channel column.",
        ),
        click.option(
            "--delimiter",
            default=None,
            metavar="CHAR",
            help="Field delimiter (default: detected: comma, semicolon, tab or pipe).",
        ),
        click.option(
            "--interval-minutes",
            type=int,
            default=None,
            metavar="N",
            help="Interval length of interval reports (default: detected).",
        ),
        click.option(
            "--date-format",
            default=None,
            metavar="FMT",
            help="Date-time format, strftime-like, from %Y %m %d %H %M %S, or %I with %p for "
            "12-hour times (default: detected), e.g. '%d/%m/%Y %H:%M', '%m/%d/%Y %I:%M %p'.",
        ),
        click.option(
            "--encoding",
            default=None,
            metavar="NAME",
            help="Text encoding of the files, e.g. cp1252 for a spreadsheet saved on Windows in "
            "Western Europe (default: UTF-8, or UTF-16 with its byte-order mark).",
        ),
        click.option(
            "--timezone",
            default=None,
            metavar="ZONE",
            help="The files' times are UTC (or carry UTC offsets): read them as this IANA time "
            "zone's standard time, e.g. America/New_York (default: times are the centre's own "
            "clock, as written).",
        ),
    ]

    @functools.wraps(func)
    def packed(
        *args: Any,
        columns: tuple[str, ...],
        channel: str | None,
        delimiter: str | None,
        interval_minutes: int | None,
        date_format: str | None,
        encoding: str | None,
        timezone: str | None,
        **kwargs: Any,
    ) -> Any:
        reader = Reading(
            columns, channel, delimiter, interval_minutes, date_format, encoding, timezone
        )
        return func(*args, reader=reader, **kwargs)

    command: Callable[..., Any] = packed
    for option in reversed(options):
        command = option(command)
    return command


_DATE = click.DateTime(formats=["%Y-%m-%d"])


def date_range_options(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--from DATE`` and ``--to DATE`` (parameters ``start``, ``end``): the days of the data
    ``what`` uses ("to check", "to fit on"), both included."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        func = click.option(
            "--to",
            "end",
            type=_DATE,
            default=None,
            metavar="DATE",
            help=f"Last day {what}, YYYY-MM-DD, included (default: the data's last).",
        )(func)
        return click.option(
            "--from",
            "start",
            type=_DATE,
            default=None,
            metavar="DATE",
            help=f"First day {what}, YYYY-MM-DD (default: the data's first).",
        )(func)

    return decorate


def date_range(
    start: dt.datetime | None, end: dt.datetime | None
) -> tuple[dt.date | None, dt.date | None]:
    """The days of ``--from``/``--to``; ``--from`` after ``--to`` is an :class:`OptionError`."""
    first = start.date() if start is not None else None
    last = end.date() if end is not None else None
    if first is not None and last is not None and first > last:
        raise OptionError(f"--from {first} is after --to {last}")
    return first, last
