"""The data verbs of the Python API: :func:`sample_data`, :func:`calibrate` and :func:`backtest`.

Each calls the library functions its command calls, with the same defaults, so the same
arguments give the same files and numbers: :func:`calibrate` writes the same scenario bytes as
``simroi calibrate``, :func:`backtest` gives the JSON of ``simroi backtest --json``
(``result.to_dict()``). ``data`` is one path or several (interval reports, contact logs and
customer outcomes, in any mix; each file's kind is told by its header), read with the reader
options ``columns``, ``channel``, ``delimiter``, ``interval_minutes``, ``date_format``,
``encoding`` and ``timezone``
(:func:`simroi.data.read.read_data`), or a :class:`~simroi.data.frames.DataSet` already read,
so that a notebook reads its files once for both verbs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from os import PathLike
from pathlib import Path

from simroi.analysis.backtest import DEFAULT_TRIALS, BacktestResult
from simroi.analysis.backtest import backtest as run_backtest
from simroi.analysis.calibration import CalibrationResult
from simroi.analysis.calibration import calibrate as fit_scenario
from simroi.api.simulate import Engine, Progress, ScenarioName, load_scenario, override_list
from simroi.data.columns import parse_column_map
from simroi.data.frames import DataSet
from simroi.data.read import read_data
from simroi.errors import OptionError
from simroi.exports.sample_files import (
    DEFAULT_SAMPLE_CUSTOMERS,
    DEFAULT_SAMPLE_DAYS,
    DEFAULT_SAMPLE_SEED,
    SampleFiles,
    write_sample_data,
)
from simroi.queueing.queue_spec import is_whole
from simroi.scenario.load import LoadedScenario

__all__ = ["DataFiles", "backtest", "calibrate", "sample_data"]

#: One data file's path or several, or a data set already read.
DataFiles = str | PathLike[str] | Sequence[str | PathLike[str]] | DataSet
#: Our column names to the files': ``{"interval_start": "DateTime", "offered": "Calls"}``, or
#: as ``--columns`` takes them: ``"interval_start=DateTime,offered=Calls"`` (or a list of such).
Columns = Mapping[str, str] | str | Sequence[str]


def _read(
    data: DataFiles,
    columns: Columns | None,
    channel: str | None,
    delimiter: str | None,
    interval_minutes: int | None,
    date_format: str | None,
    encoding: str | None,
    timezone: str | None,
) -> DataSet:
    """``data`` as a data set: read with the reader options, or as given when already read."""
    options = {
        "columns": columns,
        "channel": channel,
        "delimiter": delimiter,
        "interval_minutes": interval_minutes,
        "date_format": date_format,
        "encoding": encoding,
        "timezone": timezone,
    }
    if isinstance(data, DataSet):
        given = [f"`{name}`" for name, value in options.items() if value is not None]
        if given:
            raise OptionError(
                f"{', '.join(given)}: reader options apply while files are read: give the "
                "files' paths as `data`, not a data set already read"
            )
        return data
    if isinstance(columns, Mapping):
        mapping: dict[str, str] | None = dict(columns) or None
    else:
        mapping = parse_column_map(columns) or None if columns is not None else None
    return read_data(
        [data] if isinstance(data, str | PathLike) else list(data),
        columns=mapping,
        channel=channel,
        delimiter=delimiter,
        interval_minutes=interval_minutes,
        date_format=date_format,
        encoding=encoding,
        timezone=timezone,
    )


def _day(name: str, value: dt.date | str | None) -> dt.date | None:
    """A day given as a date or as ``YYYY-MM-DD``."""
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise OptionError(f"`{name}` must be a date, YYYY-MM-DD (got {value!r})") from None


def _days(
    start: dt.date | str | None, end: dt.date | str | None
) -> tuple[dt.date | None, dt.date | None]:
    """The first and last day asked for; ``start`` after ``end`` is refused."""
    first, last = _day("start", start), _day("end", end)
    if first is not None and last is not None and first > last:
        raise OptionError(f"`start` {first} is after `end` {last}")
    return first, last


def sample_data(
    directory: str | PathLike[str],
    *,
    days: int = DEFAULT_SAMPLE_DAYS,
    seed: int = DEFAULT_SAMPLE_SEED,
    scenario: ScenarioName | None = None,
    customers: int = DEFAULT_SAMPLE_CUSTOMERS,
    force: bool = False,
) -> SampleFiles:
    """Write sample data files to try :func:`calibrate` and :func:`backtest` on
    (``simroi sample-data``).

    Simulates ``days`` days of the scenario's contact centre with the real queue engine and
    writes ``intervals.csv`` (15-minute interval report), ``contacts.csv`` (one row per
    contact), ``customers.csv`` (one row per customer) and ``truth.json`` (the inputs simulated
    from, one trial's draw) into ``directory``, each whole or not at all.

    Parameters
    ----------
    directory : the folder to write into (made if missing)
    days : days simulated, 1 to 366, from Monday 2025-01-06
    seed : the root seed, a whole number ≥ 0 (default 1: the same files every time)
    scenario : a file path or a bundled name; None simulates the bundled default
    customers : rows of ``customers.csv``, 2 to 10,000,000
    force : overwrite the files if ``directory`` has them; else they are refused

    Returns
    -------
    SampleFiles
        ``paths`` the files written, ``sample.truth`` the inputs simulated from, ``rows(name)``
        the data rows of a file.

    Raises
    ------
    OptionError
        ``days``, ``customers`` or ``seed`` out of range.
    OutputError
        The files exist already (without ``force``), or cannot be written.

    Examples
    --------
    >>> import simroi, tempfile
    >>> files = simroi.sample_data(tempfile.mkdtemp(), days=2)
    >>> [p.name for p in files.paths], files.sample.truth["days"]
    (['intervals.csv', 'contacts.csv', 'customers.csv', 'truth.json'], 2)
    """
    return write_sample_data(
        Path(directory),
        scenario=None if scenario is None else str(scenario),
        days=days,
        customers=customers,
        seed=seed,
        force=force,
    )


def calibrate(
    data: DataFiles,
    *,
    out: str | PathLike[str],
    into: ScenarioName | None = None,
    customers: int | None = None,
    columns: Columns | None = None,
    channel: str | None = None,
    delimiter: str | None = None,
    interval_minutes: int | None = None,
    date_format: str | None = None,
    encoding: str | None = None,
    timezone: str | None = None,
    start: dt.date | str | None = None,
    end: dt.date | str | None = None,
    seed: int = 0,
) -> CalibrationResult:
    """Fit a scenario to your own data and write it as a new scenario (``simroi calibrate``).

    Fitted, per channel: the intraday profile, weekday factors, opening hours, day-to-day
    variation, the contact rate, handle time, patience (censored), FCR, public and retry
    shares; from customer outcomes, the churn multiplier of each experience class. Every
    fitted number is written as an uncertain input with its source; everything else is the
    ``into`` scenario's, comments included.

    Parameters
    ----------
    data : one data file's path or several, or a data set already read
        (:func:`simroi.data.read.read_data`; then no reader option)
    out : the calibrated scenario to write (validated first, written atomically)
    into : the scenario that supplies every input the data does not tell (a file path or a
        bundled name); None: the bundled default
    customers : the customers behind the contacts, ≥ 1; becomes
        ``customers.active_customers``. Without it the contact rates are against the
        scenario's customer count, so it simulates the observed volume.
    columns : the files' column names for simroi's: ``{"interval_start": "DateTime"}`` or
        ``"interval_start=DateTime,offered=Calls"`` (``date+period`` joins two columns)
    channel : the channel of files without a ``channel`` column
    delimiter : the field delimiter, one character (default: detected)
    interval_minutes : the interval length of interval reports (default: detected)
    date_format : the date-time format, strftime-like, e.g. ``"%d/%m/%Y %H:%M"`` (default:
        detected)
    encoding : the files' text encoding, e.g. ``"cp1252"`` (default: UTF-8, or UTF-16 with its
        byte-order mark)
    timezone : an IANA time zone, e.g. ``"America/New_York"``: the files' times are UTC (or
        carry UTC offsets) and are read as the zone's standard time (default: times are the
        centre's own clock, as written)
    start, end : fit on the days from ``start`` to ``end`` only, as dates or
        ``"YYYY-MM-DD"``, both included (default: every day of the data); customer outcomes,
        which have no dates, are kept whole
    seed : the root seed of the bootstrap intervals, a whole number ≥ 0 (default 0: the same
        scenario every time)

    Returns
    -------
    CalibrationResult
        ``fitted`` every input written with its interval, method and source; ``unfitted``
        what the data could not tell and why; ``written.path`` the file; ``to_json()`` what
        ``simroi calibrate --json`` prints.

    Raises
    ------
    DataFileError
        A problem in the files (one line each, naming file, row and column), or a channel the
        scenario lacks.
    OptionError
        A reader option or ``customers`` or ``seed`` out of range, ``start`` after ``end``.
    ScenarioError, OutputError
        An invalid ``into`` scenario, or an ``out`` that cannot be written; nothing written.

    Examples
    --------
    >>> import simroi, tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> files = simroi.sample_data(folder, days=7)
    >>> fit = simroi.calibrate(files.paths[:2], out=os.path.join(folder, "my.toml"))
    >>> fit.written.path.name, fit.written.loaded.name, len(fit.fitted) > 0
    ('my.toml', 'default calibrated', True)
    """
    if not (is_whole(seed) and seed >= 0):
        raise OptionError(f"`seed` must be a whole number ≥ 0 (got {seed!r})")
    first, last = _days(start, end)
    dataset = _read(
        data, columns, channel, delimiter, interval_minutes, date_format, encoding, timezone
    )
    return fit_scenario(
        dataset.between(first, last),
        Path(out),
        into=None if into is None else str(into),
        customers=customers,
        seed=int(seed),
    )


def backtest(
    scenario: ScenarioName | LoadedScenario,
    data: DataFiles,
    *,
    trials: int = DEFAULT_TRIALS,
    seed: int | None = None,
    start: dt.date | str | None = None,
    end: dt.date | str | None = None,
    engine: Engine = "compiled",
    overrides: Sequence[str] = (),
    columns: Columns | None = None,
    channel: str | None = None,
    delimiter: str | None = None,
    interval_minutes: int | None = None,
    date_format: str | None = None,
    encoding: str | None = None,
    timezone: str | None = None,
    progress: Progress | None = None,
) -> BacktestResult:
    """Simulate each observed day of ``data`` with ``scenario`` and set the observed KPIs beside
    the simulated distribution (``simroi backtest``).

    Each observed day is simulated ``trials`` times with the model's engine (the day's
    weekday, the scenario's uncertain inputs drawn per trial, busyness, arrivals, handle
    times, patience; the data's agents on queue where it has them). A well calibrated model
    puts the observed value inside the simulated 90 % band on about 90 % of days.

    Parameters
    ----------
    scenario : a file path, a bundled name, or a :func:`~simroi.api.load_scenario` result
    data : interval reports and contact logs (customer outcomes are ignored), as for
        :func:`calibrate`: paths, or a data set already read
    trials : simulated days per observed day, ≥ 20 (the band's ends are their P5 and P95)
    seed : the root seed, a whole number ≥ 0; None draws a fresh one (``result.seed``)
    start, end : the first and last day to check, as dates or ``"YYYY-MM-DD"``, both
        included (default: the data's first and last)
    engine : ``"compiled"``, ``"numpy"`` (the same bits) or ``"simpy"``
    overrides : ``--set`` strings applied to the scenario (not with a loaded scenario)
    columns, channel, delimiter, interval_minutes, date_format, encoding, timezone : as for
        :func:`calibrate`
    progress : called as ``progress(trials_done, trials_planned)`` as days are simulated

    Returns
    -------
    BacktestResult
        Per (channel, day): observed, P5, P50, P95 and whether inside the band, per metric
        (offered, service level, abandonment, mean wait); ``coverage90`` per metric;
        ``to_dict()`` what ``simroi backtest --json`` prints.

    Raises
    ------
    DataFileError
        A problem in the files, a channel the scenario lacks, or no day in range.
    OptionError
        ``trials`` < 20, a bad ``seed``, ``start`` after ``end``, an unknown ``engine``, a
        reader option out of range, ``overrides`` with a loaded scenario.
    ScenarioError
        The scenario or an override breaks a rule.

    Examples
    --------
    >>> import simroi, tempfile
    >>> files = simroi.sample_data(tempfile.mkdtemp(), days=2)
    >>> bt = simroi.backtest("default", files.paths[0], trials=20, seed=1, end="2025-01-06")
    >>> bt.channels, [str(d) for d in sorted(set(bt.date))]
    (['phone', 'email', 'social'], ['2025-01-06'])
    """
    first, last = _days(start, end)
    overrides = override_list(overrides)
    if isinstance(scenario, LoadedScenario):
        if overrides:
            raise OptionError(
                "`overrides` apply while a scenario loads: give them to load_scenario(), or "
                "give backtest() the scenario's name or path"
            )
        loaded = scenario
    else:
        loaded = load_scenario(scenario, overrides=overrides)
    dataset = _read(
        data, columns, channel, delimiter, interval_minutes, date_format, encoding, timezone
    )
    return run_backtest(
        loaded,
        dataset,
        trials=trials,
        seed=seed,
        start=first,
        end=last,
        engine=engine,
        progress=progress,
    )
