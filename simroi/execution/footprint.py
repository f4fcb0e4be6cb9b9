"""What a run will cost before it starts: contacts to simulate, memory, time; and refusing what
cannot finish.

A run that asks for a billion trials of a bank's call centre would not fail: it would run for
months, or be killed by the out-of-memory killer hours in. :func:`run_footprint` estimates, from
the scenario's expected contact rates (every uncertain input at its mean, each channel's
contacts a day by :func:`simroi.model.contacts.forecast_contacts_per_day`, on the sampled days
of every month, events included, for the program and its baseline):

* the contacts the run simulates, and from them the time it takes at
  :data:`CONTACTS_PER_CPU_SECOND` per process (a round, deliberately slow figure: the progress
  bar shows the measured ETA once blocks finish);
* the contact slots one channel-month of a block holds, against the model's own limit
  :data:`simroi.model.contacts.MAX_CONTACT_SLOTS` (the model checks the drawn counts again while
  it runs; this refuses, before any block, what is sure to exceed it on average);
* the memory: :data:`BYTES_PER_CONTACT_SLOT` per slot in each local process simulating a block,
  plus the per-trial results the parent keeps, against the memory the machine has available
  (``MemAvailable`` of ``/proc/meminfo``, else the physical memory, else no check).

:meth:`RunFootprint.check` refuses a run that would simulate more than :data:`MAX_RUN_CONTACTS`
contacts, hold more than the model's limit in a block, or need more memory than is available,
with the estimate and what to change, in one line (:class:`~simroi.errors.ScenarioError`).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simroi.errors import ScenarioError
from simroi.formatting import amount, counted
from simroi.model.calendar import weekday_factors
from simroi.model.contacts import MAX_CONTACT_SLOTS, forecast_contacts_per_day
from simroi.model.inputs import channel_inputs
from simroi.scenario.load import LoadedScenario
from simroi.scenario.quantity import as_distribution
from simroi.scenario.spec import Scenario

__all__ = [
    "BYTES_PER_CONTACT_SLOT",
    "CONTACTS_PER_CPU_SECOND",
    "MAX_RUN_CONTACTS",
    "RunFootprint",
    "available_memory",
    "run_footprint",
]

#: Working memory per contact slot of a block's channel-month (arrival, handle and patience
#: times, waits, outcomes, as float64 and a few temporaries): MAX_CONTACT_SLOTS is ~5 GB.
BYTES_PER_CONTACT_SLOT = 170
#: Contacts one process simulates a second with the numpy engine, rounded down from
#: benchmarks/README.md so that the estimate errs long: the bar's ETA measures the real pace.
CONTACTS_PER_CPU_SECOND = 1_000_000
#: The most contacts a run may simulate: about 12 CPU-days at the pace above, or 8 million
#: trials of the bundled default scenario (1.2e5 contacts a trial over 36 months).
MAX_RUN_CONTACTS = 1e12
#: What every process holds before it simulates anything (numpy, scipy, the model).
PROCESS_BYTES = 200e6
#: What the parent keeps per trial: the scalars (~1 kB), the monthly cash flows up to
#: MONTHLY_KEEP_LIMIT trials and the month-by-month KPIs up to MONTHLY_KPIS_LIMIT
#: (:mod:`simroi.execution.runner`), per month of the horizon.
SCALAR_BYTES_PER_TRIAL = 1_000
MONTHLY_BYTES_PER_TRIAL_MONTH = 8
KPI_BYTES_PER_TRIAL_MONTH = 240


@dataclass(frozen=True)
class RunFootprint:
    """The estimated cost of a run.

    Attributes
    ----------
    trials, block_size, processes : as the run will use them (``processes``: local processes
        simulating blocks at once; 0 on a Dask cluster, whose memory is not this machine's)
    contacts : contacts simulated over the run, all channels, program and baseline
    seconds : CPU seconds at :data:`CONTACTS_PER_CPU_SECOND`, divided among the processes
    block_slots : the largest channel-month of one block, in contact slots (one world)
    busiest : the channel of ``block_slots``
    memory_bytes : the run's peak memory on this machine
    available_bytes : the memory available on this machine, None if unknown
    """

    trials: int
    block_size: int
    processes: int
    contacts: float
    seconds: float
    block_slots: float
    busiest: str
    memory_bytes: float
    available_bytes: int | None

    def describe(self) -> str:
        """``~2.3e8 contacts, ~4 min`` — the estimate the progress bar shows."""
        return f"~{amount(self.contacts)} contacts, ~{duration(self.seconds)}"

    def problems(self) -> list[str]:
        """Why the run cannot finish, one sentence each with the way out (empty if it can)."""
        out = []
        if self.contacts > MAX_RUN_CONTACTS:
            out.append(
                f"the run would simulate ~{amount(self.contacts)} contacts (~"
                f"{duration(self.seconds)} of computing), more than the "
                f"{amount(MAX_RUN_CONTACTS)} simroi runs: lower the trials ({self.trials:,}), "
                "simulation.sampled_days_per_month or scenario.horizon_months, or check "
                "customers.active_customers and contacts_per_customer_per_year"
            )
        if self.block_slots > MAX_CONTACT_SLOTS:
            block = min(self.block_size, self.trials)
            fits = int(block * MAX_CONTACT_SLOTS / self.block_slots)
            way_out = (
                f"lower simulation.block_size to {fits:,} or less, or check "
                if fits >= 1
                else "even one trial is too many: check "
            )
            out.append(
                f"channels.{self.busiest}: a block of {counted(block, 'trial')} would hold "
                f"~{amount(self.block_slots)} contacts in one month, more than simroi holds at "
                f"once ({MAX_CONTACT_SLOTS:,}): {way_out}contacts_per_customer_per_year and "
                "customers.active_customers"
            )
        if self.available_bytes is not None and self.memory_bytes > self.available_bytes:
            processes = f"{self.processes} process" + ("es" if self.processes != 1 else "")
            out.append(
                f"the run would need ~{_gigabytes(self.memory_bytes)} of memory ({processes} "
                "simulating blocks of "
                f"{counted(min(self.block_size, self.trials), 'trial')}, and the "
                f"results of {counted(self.trials, 'trial')}) but this machine has "
                f"{_gigabytes(self.available_bytes)} "
                "available: lower simulation.block_size or `workers`, or run fewer trials"
            )
        return out

    def check(self) -> None:
        """Raise a one-line ScenarioError if the run cannot finish (:meth:`problems`)."""
        problems = self.problems()
        if problems:
            raise ScenarioError("cannot run: " + "; ".join(problems))


def run_footprint(
    loaded: LoadedScenario, *, trials: int, block_size: int, processes: int
) -> RunFootprint:
    """Estimate the contacts, time and memory of running ``loaded`` (see the module's notes).

    Parameters
    ----------
    loaded : the scenario and its baseline
    trials : trials the run simulates
    block_size : trials per block
    processes : local processes simulating blocks at once (0 for a Dask cluster)
    """
    worlds = [loaded.program] + ([loaded.baseline] if loaded.baseline is not None else [])
    per_channel: dict[str, float] = {}  # contacts of one trial over the horizon
    peak: dict[str, float] = {}  # contacts of one trial in its busiest month
    for world in worlds:
        for name, months in _monthly_contacts(world).items():
            per_channel[name] = per_channel.get(name, 0.0) + float(months.sum())
            peak[name] = max(peak.get(name, 0.0), float(months.max(initial=0.0)))
    contacts = sum(per_channel.values()) * trials
    busiest = max(peak, key=lambda c: peak[c], default="")
    block = min(block_size, trials)
    block_slots = peak.get(busiest, 0.0) * block
    horizon = loaded.program.scenario.horizon_months
    per_trial = SCALAR_BYTES_PER_TRIAL + horizon * (
        MONTHLY_BYTES_PER_TRIAL_MONTH * (trials <= 200_000)
        + KPI_BYTES_PER_TRIAL_MONTH * (trials <= 20_000)
    )
    worker_bytes = PROCESS_BYTES + min(block_slots, MAX_CONTACT_SLOTS) * BYTES_PER_CONTACT_SLOT
    memory = PROCESS_BYTES + trials * per_trial + processes * worker_bytes
    return RunFootprint(
        trials=trials,
        block_size=block_size,
        processes=processes,
        contacts=contacts,
        seconds=contacts / CONTACTS_PER_CPU_SECOND / max(1, processes),
        block_slots=block_slots,
        busiest=busiest,
        memory_bytes=memory,
        available_bytes=available_memory(),
    )


def _monthly_contacts(scenario: Scenario) -> dict[str, np.ndarray]:
    """Expected contacts of one trial on each month's sampled days, per channel: (horizon,)."""
    means = {key: np.array([as_distribution(value).mean()]) for key, value in scenario.quantities()}
    sampled = scenario.simulation.sampled_days_per_month
    horizon = scenario.scenario.horizon_months
    out = {}
    for name, spec in scenario.channels.items():
        inputs = channel_inputs(name, scenario, means)
        first = inputs.first_contacts_per_day
        repeats = first * (1.0 - inputs.fcr)  # unresolved first contacts come back once
        rate = float(forecast_contacts_per_day(inputs, np.ones(1), np.zeros(1), repeats)[0])
        rate *= float(weekday_factors(spec).max())  # err high: every sampled day the busiest
        days = np.full(horizon, float(sampled))
        for i, event in enumerate(scenario.events):
            month = event.start_month - 1
            if name in event.channels and month < horizon:
                multiplier = float(means[f"events.{i}.volume_multiplier"][0])
                days[month] += min(event.days, sampled) * multiplier
        out[name] = rate * days if math.isfinite(rate) else np.full(horizon, math.inf)
    return out


def available_memory() -> int | None:
    """Bytes of memory available to a new run: ``MemAvailable`` (Linux), else the physical
    memory, else None (unknown: no memory check)."""
    try:
        for line in Path("/proc/meminfo").read_text(encoding="ascii").splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def duration(seconds: float) -> str:
    """``45 s``, ``12 min``, ``3.5 h``, ``2.1 days``, ``40 years``."""
    if not math.isfinite(seconds):
        return "forever"
    for unit, size in (("years", 365.25 * 86400), ("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= 2 * size:
            value = seconds / size
            return f"{value:.1f} {unit}" if value < 10 else f"{value:,.0f} {unit}"
    return f"{max(seconds, 1):.0f} s"


def _gigabytes(value: float) -> str:
    return f"{value / 1e9:.3g} GB"
