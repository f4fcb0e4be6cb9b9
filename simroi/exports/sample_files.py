"""Sample data files on disk: what ``simroi sample-data`` and ``simroi.sample_data`` write.

:func:`write_sample_data` simulates a scenario's contact centre
(:func:`simroi.model.sample_data.simulate_sample_data`) and writes the three data files and the
truth they were simulated from into a directory, each file whole or not at all
(:func:`simroi.execution.result.atomic_write`). Files already there are refused unless
``force``: the refusal comes before anything is simulated or written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from simroi.errors import OptionError, OutputError
from simroi.execution.result import atomic_write
from simroi.model.sample_data import SampleData, simulate_sample_data
from simroi.queueing.queue_spec import is_whole
from simroi.randomness import Streams
from simroi.scenario.load import load_scenario

__all__ = [
    "DEFAULT_SAMPLE_CUSTOMERS",
    "DEFAULT_SAMPLE_DAYS",
    "DEFAULT_SAMPLE_SEED",
    "SAMPLE_FILES",
    "SampleFiles",
    "write_sample_data",
]

#: The files written, in order.
SAMPLE_FILES = ("intervals.csv", "contacts.csv", "customers.csv", "truth.json")
#: The seed used when none is given: the same files every time.
DEFAULT_SAMPLE_SEED = 1
#: Days simulated by default: calibrate on 7 weeks, backtest on the 8th.
DEFAULT_SAMPLE_DAYS = 56
#: Rows of ``customers.csv`` by default.
DEFAULT_SAMPLE_CUSTOMERS = 20_000
#: The ranges the command line enforces too (``--days``, ``--customers``).
MAX_DAYS = 366
MAX_CUSTOMERS = 10_000_000


@dataclass(frozen=True)
class SampleFiles:
    """The sample data written: where, from what, and the files' text.

    Attributes
    ----------
    directory : Path
        The directory the files are in.
    paths : tuple of Path
        The files written, in the order of :data:`SAMPLE_FILES`.
    scenario : str
        The name of the scenario simulated.
    seed : int
        The root seed used.
    days : int
        Days simulated, from Monday 2025-01-06.
    sample : SampleData
        The files' text by name and the truth they were simulated from (``sample.truth``).
    """

    directory: Path
    paths: tuple[Path, ...]
    scenario: str
    seed: int
    days: int
    sample: SampleData

    def __repr__(self) -> str:
        lines = [
            f"SampleFiles: {self.days} days of {self.scenario!r} (seed {self.seed}) in "
            f"{self.directory}"
        ]
        for path in self.paths:
            rows = f": {self.rows(path.name):,} rows" if path.suffix == ".csv" else ""
            lines.append(f"  {path.name}{rows}")
        return "\n".join(lines)

    def rows(self, name: str) -> int:
        """Data rows (lines after the header) of the file ``name`` (e.g. ``"contacts.csv"``)."""
        return self.sample.rows(name)


def _check(days: int, customers: int, seed: int) -> None:
    problems = []
    if not (is_whole(days) and 1 <= days <= MAX_DAYS):
        problems.append(f"`days` must be a whole number from 1 to {MAX_DAYS} (got {days!r})")
    if not (is_whole(customers) and 2 <= customers <= MAX_CUSTOMERS):
        problems.append(
            f"`customers` must be a whole number from 2 to {MAX_CUSTOMERS:,} (got {customers!r})"
        )
    if not (is_whole(seed) and seed >= 0):
        problems.append(f"`seed` must be a whole number ≥ 0 (got {seed!r})")
    if problems:
        raise OptionError("; ".join(problems))


def write_sample_data(
    directory: str | Path,
    *,
    scenario: str | Path | None = None,
    days: int = DEFAULT_SAMPLE_DAYS,
    customers: int = DEFAULT_SAMPLE_CUSTOMERS,
    seed: int = DEFAULT_SAMPLE_SEED,
    force: bool = False,
) -> SampleFiles:
    """Simulate ``days`` days of ``scenario`` and write :data:`SAMPLE_FILES` into ``directory``.

    Parameters
    ----------
    directory : path
        Made if missing.
    scenario : path or bundled scenario name, optional
        The scenario whose program is simulated; None: the bundled default.
    days : int
        Days simulated, 1 to 366, from Monday 2025-01-06.
    customers : int
        Rows of ``customers.csv``, 2 to 10,000,000.
    seed : int
        Root seed (≥ 0), as entropy of block 0's streams.
    force : bool
        Overwrite files already in ``directory``; without it they are refused.

    Raises
    ------
    OptionError
        ``days``, ``customers`` or ``seed`` out of range.
    OutputError
        Files already there (without ``force``), or a directory that cannot be made or written.
    ScenarioError
        An invalid scenario.
    """
    _check(days, customers, seed)
    target = Path(directory)
    existing = [str(target / name) for name in SAMPLE_FILES if (target / name).exists()]
    if existing and not force:
        raise OutputError(f"{', '.join(existing)}: already exist (use `force` to overwrite)")
    loaded = load_scenario(scenario)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{directory}: cannot make the directory ({exc.strerror})") from None
    sample = simulate_sample_data(
        loaded.program, days=int(days), customers=int(customers), streams=Streams(int(seed), 0)
    )
    paths = tuple(
        atomic_write(target / name, _writer(sample.files[name].encode("utf-8")))
        for name in SAMPLE_FILES
    )
    return SampleFiles(target, paths, loaded.name, int(seed), int(days), sample)


def _writer(data: bytes) -> Callable[[IO[bytes]], object]:
    return lambda handle: handle.write(data)
