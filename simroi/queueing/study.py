"""One channel's queue, simulated and set beside Erlang C and Erlang A: ``simroi queue``.

A workforce planner's calculator and the project's validation handle. Each trial is one day of
``hours`` with Poisson arrivals at a constant rate, ``agents`` always on duty, handle times with
mean ``aht`` (exponential, lognormal or gamma) and, optionally, exponential patience. KPIs are
measured on the contacts that arrive after ``warmup`` and averaged across trials, with 95%
confidence intervals from the spread between trials (trials are independent).

KPI definitions (the same as the Erlang formulas use):

* service level — contacts answered within the threshold / all contacts that arrived;
* abandonment — contacts that hung up before an agent answered / all contacts that arrived;
* ASA — mean wait of *answered* contacts, in seconds;
* occupancy — (answered contacts × their handle time) / (agents × measured time).

The Erlang values are steady-state: a simulated day starts with an empty queue and idle agents,
so its first minutes are better than steady state. ``warmup`` discards them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from simroi.errors import SimroiError
from simroi.estimates import Z_TWO_SIDED_95
from simroi.queueing.engine import serve_fcfs
from simroi.queueing.erlang import ErlangAResult, ErlangCResult, erlang_a, erlang_c
from simroi.queueing.shifts import QueueState, ShiftPattern
from simroi.randomness import Streams, fresh_entropy

__all__ = ["QueueSpec", "QueueStudy", "simulate_day", "study_queue"]


class QueueInputError(SimroiError, ValueError):
    """A queue study parameter breaks a rule."""


@dataclass(frozen=True)
class QueueSpec:
    """One channel's queue: rates in the units of the CLI (per hour, minutes, seconds)."""

    arrivals_per_hour: float
    agents: int
    aht_minutes: float
    patience_minutes: float | None = None  # None: nobody abandons (Erlang C)
    hours: float = 8.0
    sl_seconds: float = 20.0
    handle_dist: Literal["exponential", "lognormal", "gamma"] = "exponential"
    handle_cv: float = 1.0
    warmup_minutes: float = 0.0

    def __post_init__(self) -> None:
        rules = [
            (self.arrivals_per_hour > 0, "arrivals-per-hour must be > 0", self.arrivals_per_hour),
            (self.agents >= 0, "agents must be ≥ 0", self.agents),
            (self.aht_minutes > 0, "aht-minutes must be > 0", self.aht_minutes),
            (
                self.patience_minutes is None or self.patience_minutes > 0,
                "patience-minutes must be > 0",
                self.patience_minutes,
            ),
            (self.hours > 0, "hours must be > 0", self.hours),
            (self.sl_seconds >= 0, "sl-seconds must be ≥ 0", self.sl_seconds),
            (self.handle_cv > 0, "handle-cv must be > 0", self.handle_cv),
            (
                0 <= self.warmup_minutes < self.hours * 60,
                "warmup-minutes must be ≥ 0 and shorter than the day",
                self.warmup_minutes,
            ),
        ]
        problems = [f"{rule} (got {value})" for ok, rule, value in rules if not ok]
        if problems:
            raise QueueInputError("; ".join(problems))


def simulate_day(spec: QueueSpec, trials: int, streams: Streams) -> tuple[np.ndarray, ...]:
    """Arrival, handle, patience and presence arrays (n, trials) for one day per trial."""
    lam = spec.arrivals_per_hour * spec.hours
    counts = streams.rng("queue", "count").poisson(lam, trials)
    n = int(counts.max(initial=0))
    present = np.arange(n)[:, None] < counts[None, :]
    times = streams.rng("queue", "time").random((n, trials)) * spec.hours * 3600.0
    times = np.sort(np.where(present, times, np.inf), axis=0)
    present = np.isfinite(times)
    arrival = np.where(present, times, 0.0)
    mean = spec.aht_minutes * 60.0
    u = streams.rng("queue", "handle").random((n, trials))
    if spec.handle_dist == "exponential":
        handle = -mean * np.log1p(-u)
    elif spec.handle_dist == "lognormal":
        sigma2 = math.log1p(spec.handle_cv**2)
        handle = np.exp(math.log(mean) - sigma2 / 2 + math.sqrt(sigma2) * _ndtri(u))
    else:
        from scipy.special import gammaincinv

        shape = 1.0 / spec.handle_cv**2
        handle = gammaincinv(shape, u) * mean / shape
    if spec.patience_minutes is None:
        patience = np.full((n, trials), np.inf)
    else:
        patience = (
            -spec.patience_minutes
            * 60.0
            * np.log1p(-streams.rng("queue", "patience").random((n, trials)))
        )
    return arrival, handle, patience, present


def _ndtri(u: np.ndarray) -> np.ndarray:
    from scipy.special import ndtri

    return np.asarray(ndtri(u))


@dataclass(frozen=True)
class QueueStudy:
    """Simulated KPIs (per-trial arrays) beside the Erlang C and Erlang A values."""

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

    def to_json(self) -> dict[str, Any]:
        """The JSON printed by ``simroi queue --json``."""

        def ci(values: np.ndarray) -> dict[str, Any]:
            ok = values[np.isfinite(values)]
            if ok.size == 0:
                return {"mean": None, "ci95": [None, None]}
            mean = float(ok.mean())
            half = (
                Z_TWO_SIDED_95 * float(ok.std(ddof=1)) / math.sqrt(ok.size)
                if ok.size > 1
                else math.nan
            )
            return {"mean": mean, "ci95": [mean - half, mean + half]}

        c, a = self.erlang_c, self.erlang_a
        return {
            "engine": self.engine,
            "trials": self.trials,
            "seed": str(self.seed),
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
        }


def study_queue(
    spec: QueueSpec,
    *,
    trials: int = 2000,
    seed: int | None = None,
    engine: Literal["vectorized", "simpy"] = "vectorized",
) -> QueueStudy:
    """Simulate ``trials`` days of the queue and compute the Erlang values for comparison.

    Erlang A is shown when a patience is given (with ASA as the mean wait of answered contacts,
    like the simulation); Erlang C when agents exceed the offered load.
    """
    if trials < 2:
        raise QueueInputError(f"trials must be ≥ 2 for a confidence interval (got {trials})")
    entropy = seed if seed is not None else fresh_entropy()
    streams = Streams(entropy, 0)
    arrival, handle, patience, present = simulate_day(spec, trials, streams)
    shifts = ShiftPattern.always_on(spec.agents)
    state = QueueState.initial(shifts, trials)
    if engine == "simpy":
        from simroi.queueing.reference import serve_fcfs_simpy

        start, _ = serve_fcfs_simpy(arrival, handle, patience, present, shifts, state)
    else:
        start, _ = serve_fcfs(arrival, handle, patience, present, shifts, state)
    warm = spec.warmup_minutes * 60.0
    counted = present & (arrival >= warm)
    answered = counted & np.isfinite(start)
    wait = np.where(answered, start - arrival, 0.0)
    offered = counted.sum(axis=0).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        service_level = (answered & (wait <= spec.sl_seconds)).sum(axis=0) / offered
        abandonment = (counted & ~answered).sum(axis=0) / offered
        asa = wait.sum(axis=0) / answered.sum(axis=0)
        window = spec.hours * 3600.0 - warm
        occupancy = (
            np.where(answered, handle, 0.0).sum(axis=0) / (spec.agents * window)
            if spec.agents > 0
            else np.full(trials, np.nan)
        )
    lam = spec.arrivals_per_hour / 3600.0
    aht = spec.aht_minutes * 60.0
    c_result = erlang_c(lam, aht, spec.agents, spec.sl_seconds) if spec.agents > 0 else None
    a_result = (
        erlang_a(lam, aht, spec.agents, spec.patience_minutes * 60.0, spec.sl_seconds)
        if spec.patience_minutes is not None and spec.agents > 0
        else None
    )
    return QueueStudy(
        spec,
        engine,
        trials,
        entropy,
        service_level,
        abandonment,
        asa,
        occupancy,
        offered,
        c_result,
        a_result,
    )
