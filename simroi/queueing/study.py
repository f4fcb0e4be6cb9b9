"""One channel's queue, simulated and set beside Erlang C and Erlang A: ``simroi queue``.

A workforce planner's calculator and the project's validation handle. Each trial is one day of
``hours`` with Poisson arrivals at a constant rate, ``agents`` always on duty, handle times with
mean ``aht`` (exponential, lognormal or gamma) and, optionally, exponential patience. KPIs are
measured on the contacts that arrive after ``warmup`` and averaged across trials, with 95%
confidence intervals from the spread between trials (trials are independent).

KPI definitions (the same as the Erlang formulas use):

* service level — contacts answered within the threshold / all contacts that arrived;
* abandonment — contacts that hung up before an agent answered / all contacts that arrived
  (without a patience nobody hangs up: the contacts still waiting when the day ends);
* ASA — mean wait of *answered* contacts, in seconds;
* occupancy — agent time spent handling contacts within the measured time / (agents × measured
  time); work that runs past the end of the day is not counted, so it never exceeds 100 %.

The Erlang values are steady-state: a simulated day starts with an empty queue and idle agents,
so its first minutes are better than steady state. ``warmup`` discards them.

Given a :class:`StaffingTarget`, the study also reports the agents the formula requires for it
(:func:`staff_queue`: Erlang A with a patience, Erlang C without), and, when the queue's
``agents`` is left out, simulates the day at that count: the formula's answer checked by
simulation.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from simroi import __version__
from simroi.estimates import mean_estimate
from simroi.formatting import amount, cell, html_table, interval_text, json_ready
from simroi.limits import MAX_AGENTS, MAX_TRIALS
from simroi.notebook import pandas
from simroi.queueing.contact_draws import column_groups, draw_by_groups, draw_groups
from simroi.queueing.engines import Engine, engine_problem, normalize_engine
from simroi.queueing.erlang import ErlangAResult, ErlangCResult, erlang_a, erlang_c
from simroi.queueing.kernels import serve
from simroi.queueing.queue_spec import (
    BLOCK_SLOTS,
    QUEUE_BLOCK,
    QueueInputError,
    QueueSpec,
    Staffing,
    StaffingTarget,
    is_whole,
)
from simroi.queueing.shifts import QueueState, ShiftPattern
from simroi.queueing.staffing import required_agents
from simroi.randomness import Streams, fresh_entropy

__all__ = ["STUDY_KPIS", "QueueStudy", "simulate_day", "staff_queue", "study_queue", "study_rows"]


def staff_queue(spec: QueueSpec, target: StaffingTarget) -> Staffing:
    """The agents ``spec``'s queue needs to meet ``target`` in steady state.

    :func:`~simroi.queueing.staffing.required_agents` on the queue's arrivals, mean handle time,
    patience and ``sl_seconds`` (``spec.agents`` is not used). Like the Erlang formulas it assumes
    exponential handle times and patience and a steady state; simulate the queue at the answer
    (:func:`study_queue`) to see the day as it is.

    Raises
    ------
    QueueInputError
        ``max_abandonment`` without a patience, or a target no staffing meets.
    """
    patience = None if spec.patience_minutes is None else spec.patience_minutes * 60.0
    if target.max_abandonment is not None and patience is None:
        raise QueueInputError(
            "`max_abandonment` needs a `patience_minutes`: contacts that never hang up cannot "
            "breach an abandonment target"
        )
    try:
        agents = required_agents(
            spec.arrivals_per_hour / 3600.0,
            spec.aht_minutes * 60.0,
            target.service_level,
            spec.sl_seconds,
            patience,
            target.max_abandonment,
        )
    except ValueError:  # the inputs are checked: no staffing up to the formulas' limit does it
        cap = target.max_abandonment
        goal = f"`service_level` {target.service_level!r}" + (
            "" if cap is None else f" with `max_abandonment` {cap!r}"
        )
        raise QueueInputError(
            f"{goal}: no number of agents the staffing formulas can handle meets it"
        ) from None
    return Staffing(target, "Erlang C" if patience is None else "Erlang A", agents)


def _day_rows(spec: QueueSpec) -> float:
    """Rows a trial's day is first drawn in: the expected contacts and eight standard deviations
    more (a float: it may be too large for any table, or infinite)."""
    expected = spec.contacts_per_day
    rows = expected + 8.0 * math.sqrt(expected)
    return math.floor(rows) + 16.0 if math.isfinite(rows) else math.inf


def simulate_day(
    spec: QueueSpec, trials: int, streams: Streams, *, compiled: bool = False
) -> tuple[np.ndarray, ...]:
    """Arrival, handle, patience and presence arrays (n, trials) for one day per trial.

    Arrivals are a Poisson process: the gaps between them are exponential, with mean
    3600 / ``arrivals_per_hour`` seconds, and arrival k comes at (E₁ + … + Eₖ) × that mean
    while that is before the day's end. Each contact's handle time is ``aht`` × a standard
    exponential, exp(μ + σ Z) for a lognormal, or a gamma's inverse CDF of a uniform; its
    patience ``patience`` × a standard exponential. Every per-contact number is drawn by
    column group (:func:`~simroi.queueing.contact_draws.draw_groups`): contact k of a trial
    gets the same numbers however many rows are drawn, so the compiled engine can draw, serve
    and tally a day in one pass with these numbers (:mod:`simroi.queueing.compiled_study`).
    ``compiled`` draws them with the compiled kernel (the same numbers).
    """
    end, mean_gap = spec.end_s, spec.mean_gap_s
    rows = int(_day_rows(spec))
    while True:  # enough rows for every trial's day: nearly always the first time
        gaps = np.empty((rows, trials))
        cover = [(0, rows, trials)]
        draw_by_groups(streams.rng("queue", "gaps"), "exponential", gaps, cover, compiled=compiled)
        times = np.cumsum(gaps, axis=0) * mean_gap
        if trials == 0 or bool((times[-1] >= end).all()):
            break
        rows *= 2
    counts = (times < end).sum(axis=0)
    n = int(counts.max(initial=0))
    present = np.arange(n)[:, None] < counts[None, :]
    arrival = np.where(present, times[:n], 0.0)
    # Each column group draws as many rows as its busiest trial has contacts.
    need = [int(counts[a:b].max(initial=0)) for a, b in column_groups(trials)]

    def standard(purpose: str, kind: str) -> np.ndarray:
        out = np.zeros((n, trials))
        draw_groups(streams.rng("queue", purpose), kind, out, need, compiled=compiled)
        return out

    mean = spec.aht_minutes * 60.0
    if spec.handle_dist == "exponential":
        handle = mean * standard("handle", "exponential")
    elif spec.handle_dist == "lognormal":
        sigma2 = math.log1p(spec.handle_cv**2)
        z = standard("handle", "normal")
        handle = np.exp(math.log(mean) - sigma2 / 2 + math.sqrt(sigma2) * z)
    else:  # gamma: QueueSpec accepts no other name
        from scipy.special import gammaincinv

        shape = 1.0 / spec.handle_cv**2
        handle = gammaincinv(shape, standard("handle", "uniform")) * mean / shape
    if spec.patience_minutes is None:
        patience = np.full((n, trials), np.inf)
    else:
        patience = (spec.patience_minutes * 60.0) * standard("patience", "exponential")
    return arrival, handle, patience, present


@dataclass(frozen=True)
class QueueStudy:
    """Simulated KPIs (per-trial arrays) beside the Erlang C and Erlang A values.

    ``spec.agents`` is the number simulated; ``staffing`` the agents a target requires (None
    without a target). ``block_size`` (trials per block, block k on spawned stream k) and the
    versions replay it: the same seed, trials, block size and versions give the same bits.
    """

    spec: QueueSpec
    engine: str
    trials: int
    seed: int
    service_level: np.ndarray
    abandonment: np.ndarray
    asa_seconds: np.ndarray
    occupancy: np.ndarray
    offered: np.ndarray
    erlang_c: ErlangCResult | None
    erlang_a: ErlangAResult | None
    staffing: Staffing | None = None
    block_size: int = 0  # QUEUE_BLOCK when made by study_queue
    simroi_version: str = ""
    numpy_version: str = ""

    @property
    def samples(self) -> dict[str, np.ndarray]:
        """The per-trial (per simulated day) KPIs, arrays of shape (trials,)."""
        return {
            "service_level": self.service_level,
            "abandonment": self.abandonment,
            "asa_seconds": self.asa_seconds,
            "occupancy": self.occupancy,
            "offered_per_day": self.offered,
        }

    def to_frame(self) -> Any:
        """The per-trial KPIs as a pandas DataFrame, a row per simulated day.

        Raises ImportError naming ``pip install "simroi[notebook]"`` when pandas is missing.
        """
        pd = pandas()
        return pd.DataFrame(self.samples, index=pd.RangeIndex(self.trials, name="trial"))

    def _rows(self) -> list[list[str]]:
        return study_rows(self.to_dict())

    def _title(self) -> str:
        s = self.spec
        staffed = "" if self.staffing is None else f"; required {self.staffing.agents} agents"
        return (
            f"{s.arrivals_per_hour:g} arrivals/h, {s.agents} agents, AHT {s.aht_minutes:g} min: "
            f"{self.trials:,} simulated days, seed {self.seed}{staffed}"
        )

    def __repr__(self) -> str:
        lines = [f"QueueStudy: {self._title()}"]
        rows = self._rows()
        width = max(len(row[0]) for row in rows)
        lines += [
            f"  {label:<{width}} {sim:<26} Erlang C {c:>7}  Erlang A {a:>7}"
            for label, sim, c, a in rows
        ]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        header = ["", "simulated (95% CI)", "Erlang C", "Erlang A"]
        return html_table(self._title(), header, self._rows())

    def to_dict(self) -> dict[str, Any]:
        """The JSON printed by ``simroi queue --json`` (NaN becomes null).

        Each simulated KPI is its mean over the days where it is defined, with the 95% interval
        of :func:`~simroi.estimates.mean_estimate` (null ends with fewer than two such days).
        """

        def ci(values: np.ndarray) -> dict[str, Any]:
            estimate = mean_estimate(values[np.isfinite(values)])
            return {"mean": estimate.value, "ci95": list(estimate.ci95)}

        c, a = self.erlang_c, self.erlang_a
        data = {
            "engine": self.engine,
            "trials": self.trials,
            "seed": str(self.seed),
            "block_size": self.block_size,
            "simroi_version": self.simroi_version,
            "numpy_version": self.numpy_version,
            "inputs": dict(self.spec.__dict__),
            "simulated": {
                "service_level": ci(self.service_level),
                "abandonment": ci(self.abandonment),
                "asa_seconds": ci(self.asa_seconds),
                "occupancy": ci(self.occupancy),
                "offered_per_day": ci(self.offered),
            },
            "erlang_c": None
            if c is None
            else {
                "service_level": c.service_level,
                "asa_seconds": c.asa_seconds,
                "p_wait": c.p_wait,
                "occupancy": c.occupancy,
            },
            "erlang_a": None
            if a is None
            else {
                "service_level": a.service_level,
                "abandonment": a.abandonment,
                "asa_seconds": a.mean_wait_answered_seconds,
                "p_wait": a.p_wait,
                "occupancy": a.occupancy,
            },
            "staffing": None if self.staffing is None else self.staffing.to_json(),
        }
        return json_ready(data)


def study_queue(
    spec: QueueSpec,
    *,
    trials: int = 2000,
    seed: int | None = None,
    engine: Engine = "compiled",
    target: StaffingTarget | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> QueueStudy:
    """Simulate ``trials`` days of the queue and compute the Erlang values for comparison.

    ``progress`` is called as ``progress(days_done, trials)`` after each block of days.

    Erlang A is shown when a patience is given (with ASA as the mean wait of answered contacts,
    like the simulation); Erlang C when agents exceed the offered load.

    With a ``target``, the study also holds the agents it requires (:func:`staff_queue`); a spec
    whose ``agents`` is None is then simulated at that number, so that the simulated KPIs check
    the formula's answer. A spec with ``agents`` is simulated as given, beside the requirement
    (a plan against what the target needs).

    Raises
    ------
    QueueInputError
        ``trials`` not a whole number from 2 (a confidence interval needs two days) to
        :data:`~simroi.limits.MAX_TRIALS`, ``seed`` not a whole number ≥ 0,
        ``engine`` not an engine (:data:`~simroi.queueing.engines.ENGINES`), ``target`` not a
        :class:`StaffingTarget`, ``agents`` None without a target; days simulated together
        holding more than :data:`~simroi.queueing.queue_spec.BLOCK_SLOTS` contact slots (the
        message gives the trials that fit); a target needing more than
        :data:`~simroi.limits.MAX_AGENTS` agents; see also :func:`staff_queue`.
    """
    problems = []
    if not (is_whole(trials) and 2 <= trials <= MAX_TRIALS):
        problems.append(
            f"`trials` must be a whole number from 2 (a confidence interval) to {MAX_TRIALS:,} "
            f"(got {trials!r})"
        )
    if seed is not None and not (is_whole(seed) and seed >= 0):
        problems.append(f"`seed` must be a whole number ≥ 0 (got {seed!r})")
    engine_rule = engine_problem(engine)
    if engine_rule is not None:
        problems.append(engine_rule)
    if target is not None and not isinstance(target, StaffingTarget):
        problems.append(f"`target` must be a StaffingTarget (got {target!r})")
    if problems:
        raise QueueInputError("; ".join(problems))
    trials = int(trials)
    _check_size(spec, trials)  # before the staffing search, which a huge day makes slow
    staffing = staff_queue(spec, target) if target is not None else None
    if spec.agents is not None:
        agents = spec.agents
    elif staffing is not None:
        agents = staffing.agents
        if agents > MAX_AGENTS:
            raise QueueInputError(
                f"the target needs {agents:,} agents, more than the {MAX_AGENTS:,} a study "
                "simulates: give `agents` to simulate fewer beside the requirement"
            )
        spec = replace(spec, agents=agents)
    else:
        raise QueueInputError("`agents`: give the agents on duty, or a `target` to staff for")
    entropy = int(seed) if seed is not None else fresh_entropy()
    # Blocks of QUEUE_BLOCK trials, block k on spawned stream k: memory stays flat in trials.
    parts = []
    for k, first in enumerate(range(0, trials, QUEUE_BLOCK)):
        size = min(QUEUE_BLOCK, trials - first)
        parts.append(_simulate_block(spec, agents, size, Streams(entropy, k), engine))
        if progress is not None:
            progress(first + size, trials)
    service_level, abandonment, asa, occupancy, offered = (
        np.concatenate(column) for column in zip(*parts, strict=True)
    )
    lam = spec.arrivals_per_hour / 3600.0
    aht = spec.aht_minutes * 60.0
    c_result = erlang_c(lam, aht, agents, spec.sl_seconds) if agents > 0 else None
    a_result = (
        erlang_a(lam, aht, agents, spec.patience_minutes * 60.0, spec.sl_seconds)
        if spec.patience_minutes is not None and agents > 0
        else None
    )
    return QueueStudy(
        spec,
        normalize_engine(engine),
        trials,
        entropy,
        service_level,
        abandonment,
        asa,
        occupancy,
        offered,
        c_result,
        a_result,
        staffing,
        QUEUE_BLOCK,
        __version__,
        np.__version__,
    )


def _check_size(spec: QueueSpec, trials: int) -> None:
    """Refuse, in one line, a study whose block of days would hold more than
    :data:`BLOCK_SLOTS` contact slots at once (a day too long for even two). With at most
    :data:`MAX_TRIALS` days, a study then simulates at most ~3e11 contacts."""
    rows = _day_rows(spec)
    contacts = spec.contacts_per_day
    day = f"~{amount(contacts)}" if math.isfinite(contacts) else "countless"
    block = min(trials, QUEUE_BLOCK)
    hold = f"more than a study holds at once ({BLOCK_SLOTS:,} contact slots, up to about 4 GB)"
    if 2 * rows > BLOCK_SLOTS:
        raise QueueInputError(
            f"a day of {day} contacts (`arrivals_per_hour` × `hours`) is too long: two such "
            f"days are {hold}: lower `arrivals_per_hour` or `hours`"
        )
    if block * rows > BLOCK_SLOTS:
        raise QueueInputError(
            f"{block:,} days of {day} contacts, simulated together ({QUEUE_BLOCK:,} at most), "
            f"are {hold}: lower `trials` to {int(BLOCK_SLOTS // rows):,} or fewer, or "
            "`arrivals_per_hour` or `hours`"
        )


def _simulate_block(
    spec: QueueSpec, agents: int, trials: int, streams: Streams, engine: str
) -> tuple[np.ndarray, ...]:
    """One block of a study's days: per-trial service level, abandonment, ASA (seconds),
    occupancy and offered contacts, each (trials,)."""
    warm, end = spec.warmup_minutes * 60.0, spec.end_s
    compiled = normalize_engine(engine) == "compiled"
    # One column is summed pairwise by numpy: a block of one trial stays on the numpy tallies.
    if compiled and trials > 1:
        from simroi.queueing import compiled_study  # imports numba: compiled runs only

        if spec.handle_dist == "exponential" and agents > 0:  # one pass, no per-contact table
            rngs = (streams.rng("queue", "gaps"), streams.rng("queue", "handle"),
                    streams.rng("queue", "patience"))  # fmt: skip
            patience = None if spec.patience_minutes is None else spec.patience_minutes * 60.0
            day = compiled_study.StudyDay(
                mean_gap_s=spec.mean_gap_s,
                end_s=end,
                handle_mean_s=spec.aht_minutes * 60.0,
                patience_mean_s=patience,
                warmup_s=warm,
                sl_seconds=spec.sl_seconds,
            )
            kpis = compiled_study.study_day(rngs, trials, day, agents)
            if kpis is not None:
                return tuple(kpis)
    arrival, handle, patience_s, present = simulate_day(spec, trials, streams, compiled=compiled)
    shifts = ShiftPattern.always_on(agents)
    state = QueueState.initial(shifts, trials)
    start, _ = serve(engine, arrival, handle, patience_s, present, shifts, state)
    if compiled and trials > 1:
        counts = present.sum(axis=0)
        limits = (warm, end, spec.sl_seconds, agents)
        until_end = spec.patience_minutes is None
        kpis = compiled_study.day_tallies(
            arrival, start, handle, counts, limits, until_end=until_end
        )
        return tuple(kpis)
    counted = present & (arrival >= warm)
    answered = counted & np.isfinite(start)
    wait = np.where(answered, start - arrival, 0.0)
    offered = counted.sum(axis=0).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        service_level = (answered & (wait <= spec.sl_seconds)).sum(axis=0) / offered
        # Without a patience nobody hangs up: the contacts not answered before the day's end.
        lost = ~(start < end) if spec.patience_minutes is None else ~answered
        abandonment = (counted & lost).sum(axis=0) / offered
        asa = wait.sum(axis=0) / answered.sum(axis=0)
        # Agent time spent handling inside the measured window, whenever the contact arrived:
        # work that spills past the end of the day is not counted, so it never exceeds 100 %.
        served = present & np.isfinite(start)
        busy = np.where(served, np.minimum(start + handle, end) - np.maximum(start, warm), 0.0)
        occupancy = (
            np.maximum(busy, 0.0).sum(axis=0) / (agents * (end - warm))
            if agents > 0
            else np.full(trials, np.nan)
        )
    return service_level, abandonment, asa, occupancy, offered


#: A study's rows: KPI key, label and display unit, in the order every view shows them.
STUDY_KPIS = (
    ("service_level", "Service level", "pct"),
    ("abandonment", "Abandonment", "pct"),
    ("asa_seconds", "ASA of answered (s)", "num2"),
    ("occupancy", "Occupancy", "pct"),
)


def study_rows(data: Mapping[str, Any]) -> list[list[str]]:
    """``[KPI, simulated mean [95% CI], Erlang C, Erlang A]`` for each KPI of a study's
    :meth:`QueueStudy.to_dict` — the one table ``simroi queue`` and a notebook show. Erlang C's
    abandonment is 0 (nobody hangs up in it); a formula that does not apply is an em dash.
    Without a patience the abandonment row is the contacts still unanswered when the day ends
    (with no agent, all of them), which no formula counts, and says so."""
    rows = []
    nobody_hangs_up = data["inputs"].get("patience_minutes") is None
    for key, label, unit in STUDY_KPIS:
        unanswered = key == "abandonment" and nobody_hangs_up
        if unanswered:
            label = "Unanswered at day's end"
        sim = data["simulated"][key]
        low, high = sim["ci95"]
        band = cell(sim["mean"], unit)
        if low is not None and high is not None:  # no interval from fewer than two days
            band = interval_text(cell(low, unit), cell(high, unit), band)
        theory = []
        for formula in ("erlang_c", "erlang_a"):
            values = data[formula]
            if values is None or unanswered:
                theory.append("—")
                continue
            # Erlang C has no abandonment: nobody hangs up in it.
            none_lost = formula == "erlang_c" and key == "abandonment"
            theory.append(cell(values.get(key, 0.0 if none_lost else None), unit))
        rows.append([label, band, *theory])
    return rows
