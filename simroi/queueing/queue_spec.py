"""What a queue study is asked: one channel's queue (:class:`QueueSpec`), a service level to
staff it for (:class:`StaffingTarget`) and the agents that meets it (:class:`Staffing`), each
checked when made, every broken rule one part of a one-line :class:`QueueInputError`; and the
limits a study keeps to (agents, trials, a day's contacts, the study's contacts).
:mod:`simroi.queueing.study` simulates it.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, Literal, TypeGuard

from simroi.errors import OptionError
from simroi.limits import MAX_AGENTS

__all__ = [
    "BLOCK_SLOTS",
    "HANDLE_DISTS",
    "MAX_HOURS",
    "QUEUE_BLOCK",
    "QueueInputError",
    "QueueSpec",
    "Staffing",
    "StaffingTarget",
    "is_whole",
]


class QueueInputError(OptionError):
    """A queue study parameter breaks a rule (the message names it between backticks)."""


@dataclass(frozen=True)
class QueueSpec:
    """One channel's queue: rates per hour, times in minutes, the threshold in seconds.

    ``agents`` is the number on duty all day; None (only with a :class:`StaffingTarget`, see
    :func:`study_queue`) means the number the target requires.

    Checked when made: rates, times and ``handle_cv`` finite and > 0, ``hours`` at most
    :data:`MAX_HOURS` (a year), ``sl_seconds`` ≥ 0, ``warmup_minutes`` ≥ 0 and shorter than the
    day, ``agents`` a whole number from 0 to :data:`simroi.limits.MAX_AGENTS`, ``handle_dist``
    one of :data:`HANDLE_DISTS`; every broken rule is one part of a one-line
    :class:`QueueInputError`.
    Numbers are kept as floats and ``agents`` as an int.
    """

    arrivals_per_hour: float
    agents: int | None
    aht_minutes: float
    patience_minutes: float | None = None  # None: nobody abandons (Erlang C)
    hours: float = 8.0
    sl_seconds: float = 20.0
    handle_dist: Literal["exponential", "lognormal", "gamma"] = "exponential"
    handle_cv: float = 1.0
    warmup_minutes: float = 0.0

    def __post_init__(self) -> None:
        day_minutes = self.hours * 60 if _real(self.hours) else math.inf
        warmup = self.warmup_minutes
        rules = [
            _positive("arrivals_per_hour", self.arrivals_per_hour),
            None
            if self.agents is None or (is_whole(self.agents) and 0 <= self.agents <= MAX_AGENTS)
            else f"`agents` must be a whole number from 0 to {MAX_AGENTS:,} (got {self.agents!r})",
            _positive("aht_minutes", self.aht_minutes),
            None
            if self.patience_minutes is None
            else _positive("patience_minutes", self.patience_minutes),
            _positive("hours", self.hours)
            or (
                None
                if self.hours <= MAX_HOURS
                else f"`hours` must be at most {MAX_HOURS:,} (a year; got {self.hours!r})"
            ),
            None
            if _real(self.sl_seconds) and self.sl_seconds >= 0
            else f"`sl_seconds` must be a finite number ≥ 0 (got {self.sl_seconds!r})",
            None
            if self.handle_dist in HANDLE_DISTS
            else f"`handle_dist` must be one of {_choices(HANDLE_DISTS)} "
            f"(got {self.handle_dist!r})",
            _positive("handle_cv", self.handle_cv),
            None
            if _real(warmup) and 0 <= warmup < day_minutes
            else f"`warmup_minutes` must be ≥ 0 and shorter than the day (got {warmup!r})",
        ]
        problems = [rule for rule in rules if rule is not None]
        if problems:
            raise QueueInputError("; ".join(problems))
        # Numbers as the command line parses them (120 → 120.0), whoever made the spec.
        for name in ("arrivals_per_hour", "aht_minutes", "hours", "sl_seconds", "handle_cv"):
            object.__setattr__(self, name, float(getattr(self, name)))
        object.__setattr__(self, "warmup_minutes", float(warmup))
        if self.patience_minutes is not None:
            object.__setattr__(self, "patience_minutes", float(self.patience_minutes))
        if self.agents is not None:
            object.__setattr__(self, "agents", int(self.agents))

    @property
    def end_s(self) -> float:
        """The day's end, in seconds from its start."""
        return self.hours * 3600.0

    @property
    def contacts_per_day(self) -> float:
        """The contacts a day is expected to bring (arrivals per hour × hours)."""
        return self.arrivals_per_hour * self.hours

    @property
    def mean_gap_s(self) -> float:
        """The mean time between arrivals, in seconds."""
        return 3600.0 / self.arrivals_per_hour


#: Trials a queue study simulates at once, block k on spawned stream k (DESIGN.md §3): memory
#: stays flat in the trials, and the default study (2,000 trials) is one block.
QUEUE_BLOCK = 2000
#: The handle-time distributions of a queue study.
HANDLE_DISTS = ("exponential", "lognormal", "gamma")
#: Contact slots a study's block of days holds at once (its per-contact tables): 58.7 million
#: took 3.0 GB on the compiled engine and 3.7 GB on numpy (README.md, "Limits"). A study beyond
#: it is refused (fewer trials fit); the block layout, and so every study's numbers, stays.
BLOCK_SLOTS = 60_000_000
#: The longest "day" a study simulates, in hours: a year.
MAX_HOURS = 8_784


def is_whole(value: object) -> bool:
    """An integer, numpy's included, but not a bool (``True`` is not a count)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _real(value: object) -> TypeGuard[float]:
    """A finite real number, numpy's included, but not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _positive(name: str, value: object) -> str | None:
    """The rule "a finite number > 0" for the argument ``name``, if ``value`` breaks it."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        return f"`{name}` must be a number > 0 (got {value!r})"
    if not _real(value):
        return f"`{name}` must be finite (got {value!r})"
    return None if value > 0 else f"`{name}` must be > 0 (got {value!r})"


def _choices(values: tuple[str, ...]) -> str:
    return ", ".join(repr(v) for v in values)


@dataclass(frozen=True)
class StaffingTarget:
    """A service level to staff a queue for, as workforce planners state it.

    ``service_level`` is the fraction of all arriving contacts answered within the queue's
    ``sl_seconds``, in [0, 1) ("80/20": 0.8 within 20 s); ``max_abandonment``, optional, the
    highest acceptable fraction hanging up, in (0, 1] (it needs the queue's patience).
    """

    service_level: float
    max_abandonment: float | None = None

    def __post_init__(self) -> None:
        problems = []
        level, cap = self.service_level, self.max_abandonment
        if not (_real(level) and 0 <= level < 1):
            problems.append(f"`service_level` must be in [0, 1) (got {level!r})")
        if cap is not None and not (_real(cap) and 0 < cap <= 1):
            problems.append(f"`max_abandonment` must be in (0, 1] (got {cap!r})")
        if problems:
            raise QueueInputError("; ".join(problems))


@dataclass(frozen=True)
class Staffing:
    """The fewest agents meeting a :class:`StaffingTarget` by the steady-state formula.

    ``formula`` is ``"Erlang A"`` when the queue has a patience (abandonment counts: the service
    level is of all arrivals), ``"Erlang C"`` when nobody hangs up.
    """

    target: StaffingTarget
    formula: Literal["Erlang A", "Erlang C"]
    agents: int

    def to_json(self) -> dict[str, Any]:
        """``{"formula", "target_service_level", "max_abandonment", "required_agents"}``."""
        return {
            "formula": self.formula,
            "target_service_level": self.target.service_level,
            "max_abandonment": self.target.max_abandonment,
            "required_agents": self.agents,
        }
