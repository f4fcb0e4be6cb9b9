"""What a report holds: frozen records of the numbers every export shows.

:class:`Stat` is one interval with its probability; :class:`RunReport` one simulated run;
:class:`Report` a run, a comparison or a sweep. Built by :mod:`simroi.report.builders`, read by
the tables, charts, slides and the terminal.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simroi.analysis.comparison import ComparisonResult
from simroi.analysis.monthly import MonthlyBands
from simroi.analysis.summary import ObjectiveOutcome, TeiView
from simroi.analysis.sweep import DEFAULT_CONFIDENCE
from simroi.estimates import Probability
from simroi.execution.result import RunResult
from simroi.formatting import chance, counted, fmt, interval_text, magnitude, signed

__all__ = [
    "SAMPLING_BASE",
    "SWING_BASE",
    "TORNADO_MAX_ROWS",
    "CashBands",
    "Histogram",
    "Report",
    "RunReport",
    "Sensitivity",
    "Stat",
    "SweepCurve",
    "moving_together",
]


@dataclass(frozen=True)
class Stat:
    """One row of an interval table: a per-trial quantity summarized.

    ``probability`` is the chance of the event named by ``probability_of`` (e.g. ``ROI > 0``),
    with Monte Carlo standard error ``probability_mcse``; NaN where the row has none. A paired
    difference's ``probability`` is P(better) and ``probability_worse`` P(worse) (the rest of
    the trials tie); NaN in every other row.
    """

    run: str
    section: str
    key: str
    label: str
    unit: str
    mean: float
    p05: float
    p50: float
    p95: float
    mcse: float
    probability: float = math.nan
    probability_mcse: float = math.nan
    probability_of: str = ""
    probability_worse: float = math.nan

    def fmt(self, x: float, currency: str, scale: float | None = None) -> str:
        """Format a value of this row, with the decimals the row's magnitude needs (``scale``:
        that of the numbers shown with it, by default the row's own); a paired difference
        (``diff.…``) with its sign, as the terminal shows it (``+$77k``)."""
        if scale is None:
            scale = magnitude((self.p05, self.p50, self.p95))
        if self.key.startswith("diff.") and self.unit != "pp":  # pp are signed already
            return signed(x, self.unit, currency, scale=scale)
        return fmt(x, self.unit, currency, scale=scale)

    def interval_text(self, currency: str, scale: float | None = None) -> str:
        """``median [P5–P95]``, or an em dash when undefined (``scale`` as in :meth:`fmt`)."""
        if not math.isfinite(self.p50):
            return "—"
        return interval_text(
            *(self.fmt(x, currency, scale) for x in (self.p05, self.p95, self.p50))
        )

    def cells(self, currency: str) -> list[str]:
        """Formatted ``[label, P50, P5, P95, mean, probability]`` for a slide or Markdown."""
        prob = f"{chance(self.probability)} {self.probability_of}".strip()
        return [
            self.label,
            *(self.fmt(v, currency) for v in (self.p50, self.p05, self.p95, self.mean)),
            prob if math.isfinite(self.probability) else "",
        ]


@dataclass(frozen=True)
class Histogram:
    """ROI histogram with bin edges placed exactly at P5 and P95 (so the 90% interval is whole
    bars). Trials beyond the shown range are counted in ``below`` and ``above``."""

    edges: np.ndarray
    counts: np.ndarray
    below: int
    above: int
    undefined: int


@dataclass(frozen=True)
class CashBands:
    """Percentiles of cumulative incremental net cash flow (undiscounted) by month, t0 first."""

    months: np.ndarray
    percentiles: dict[int, np.ndarray]
    includes_terminal_value: bool


@dataclass(frozen=True)
class Sensitivity:
    """A tornado as stored by ``simroi sensitivity``: the method named, one row per input.

    Rows keep the stored order (the method's ranking, biggest driver first). ``base`` is the
    output the bars are measured against (bars start there), or None (bars start at zero).
    """

    method: str
    output: str
    output_label: str
    unit: str
    rows: list[dict[str, Any]]
    base: float | None = None
    #: "tornado" (the sampling tornado, every trial) or "one-at-a-time swing".
    kind: str = "tornado"
    #: The inputs ``simroi sensitivity --top`` showed (None: a file written before it was kept).
    top: int | None = None

    @property
    def listed(self) -> list[dict[str, Any]]:
        """The rows a table lists: the ``top`` the command showed (all when not kept)."""
        return self.rows[: self.top] if self.top else self.rows

    @property
    def shown(self) -> list[dict[str, Any]]:
        """The rows a chart or slide shows: :attr:`listed`, at most :data:`TORNADO_MAX_ROWS`
        (a slide's room)."""
        return self.listed[:TORNADO_MAX_ROWS]

    @property
    def base_words(self) -> str:
        """What the bars start from: the mean over every trial for the sampling tornado, the
        run with every input at its median for a swing."""
        return SAMPLING_BASE if self.kind == "tornado" else SWING_BASE


@dataclass(frozen=True)
class RunReport:
    """Everything shown about one run."""

    name: str
    result: RunResult
    currency: str
    horizon_months: int
    stats: list[Stat]
    objectives: list[ObjectiveOutcome]
    objectives_all: Probability | None
    histogram: Histogram
    cash: CashBands | None
    sensitivity: list[Sensitivity]
    tei: TeiView
    payback_within: Probability
    #: P(no payback within the horizon), as the terminal's P(no payback): the median payback
    #: is over the other trials (:attr:`payback_within` is by a payback objective's months).
    no_payback: Probability
    sentence: str
    monthly: MonthlyBands | None = None  # month-by-month bands; None when the result has none

    @property
    def has_lifetime(self) -> bool:
        """Whether the report holds the lifetime view (rows ``lifetime.roi``, ``lifetime.npv``)."""
        return any(s.key == "lifetime.npv" for s in self.stats)

    def kpi_rows(self) -> list[list[str]]:
        """``[label, program, baseline]`` for every KPI, as the Markdown and the slides show
        them: each ``median [P5–P95]`` at one scale for the row, as the terminal shows it (a
        duration in one unit: "50.0 min" beside "0.83 h" otherwise), an em dash where
        undefined."""
        baseline = {
            s.key.replace(".baseline.", ".program.", 1): s for s in self.section("KPIs (baseline)")
        }
        rows = []
        for s in self.section("KPIs (program)"):  # in channel order, then KPI order
            pair = (s, baseline.get(s.key))
            scale = magnitude(
                v for x in pair if x is not None for v in (x.p05, x.p50, x.p95, x.mean)
            )
            cells = ("—" if x is None else x.interval_text(self.currency, scale) for x in pair)
            rows.append([s.label, *cells])
        return rows

    @property
    def median_payback(self) -> float:
        """The median payback month: P50 of the trials that pay back, NaN when none does.

        The one definition every output uses: the ``payback_months`` interval's P50
        (:func:`simroi.analysis.summary.interval`, as in ``simroi run``, its JSON, the CSV and
        the tables), always shown beside the chance of paying back (:attr:`payback_within`).
        """
        return self.stat("payback_months").p50

    def payback_text(self) -> str:
        """``median payback in month 9 (trials that pay back)``, or that no trial pays back."""
        m = self.median_payback
        if math.isfinite(m):
            return f"median payback in month {fmt(m, 'months')} (trials that pay back)"
        return f"no trial pays back within {counted(self.horizon_months, 'month')}"

    def stat(self, key: str) -> Stat:
        """The row with ``key`` (``roi``, ``npv``, ``pv.agents``, ``kpi.program.…``)."""
        for s in self.stats:
            if s.key == key:
                return s
        raise KeyError(key)

    def section(self, name: str) -> list[Stat]:
        """The rows of one section, in order."""
        return [s for s in self.stats if s.section == name]


@dataclass(frozen=True)
class Report:
    """A run, comparison or sweep, ready to be laid out on slides, charts and tables.

    ``focus`` is the run whose details (histogram, cash flow, lines, KPIs) are shown: the only
    run, the first scenario of a comparison, the recommended point of a sweep. ``comparison``
    is the comparison of a ``compare`` result, as ``simroi compare`` computes it: the paired
    differences, P(better) and P(best) every export shows come from it.
    """

    kind: str
    runs: list[RunReport]
    title: str
    sentence: str
    details: list[str]
    differences: list[Stat] = field(default_factory=list)
    sweep: SweepCurve | None = None
    focus: int = 0
    comparison: ComparisonResult | None = None

    @property
    def main(self) -> RunReport:
        """The run in focus."""
        return self.runs[self.focus]

    @property
    def confidence(self) -> float:
        """The probability at which an objective counts as met on a slide or chart: the sweep's
        required confidence, else the sweep's default (``simroi sweep --confidence``)."""
        if self.sweep is not None and self.sweep.confidence is not None:
            return self.sweep.confidence
        return DEFAULT_CONFIDENCE

    @property
    def best_chances(self) -> list[tuple[float, float]] | None:
        """Each run's chance of the highest NPV, trial by trial, with its standard error: the
        P(best) ``simroi compare`` and ``simroi sweep`` print; None for a single run."""
        if self.comparison is not None:
            c = self.comparison
            return list(zip(c.prob_best, c.prob_best_mcse, strict=True))
        if self.sweep is not None and self.sweep.prob_best:
            return list(zip(self.sweep.prob_best, self.sweep.prob_best_mcse, strict=True))
        return None

    @property
    def best_stats(self) -> list[Stat]:
        """:attr:`best_chances` as table rows (a probability, no interval), one per run."""
        chances = self.best_chances
        if chances is None:
            return []
        return [
            Stat(
                r.name,
                "Chance of the highest NPV",
                "prob_best",
                "P(highest NPV)",
                "pct",
                math.nan,
                math.nan,
                math.nan,
                math.nan,
                math.nan,
                p,
                se,
                "highest NPV of all, trial by trial",
            )
            for r, (p, se) in zip(self.runs, chances, strict=True)
        ]

    @property
    def stats(self) -> list[Stat]:
        """Every interval row of every run, then the paired differences, then each run's
        chance of the highest NPV."""
        return [s for r in self.runs for s in r.stats] + self.differences + self.best_stats


@dataclass(frozen=True)
class SweepCurve:
    """A sweep's grid, one point per run, with the stored recommendation."""

    keys: list[str]
    points: list[list[Any]]
    labels: list[str]
    numeric_x: list[float] | None
    best_npv: int | None
    recommended: int | None
    confidence: float | None
    #: Each point's chance of the highest NPV, trial by trial (``simroi sweep``'s P(best)),
    #: with its Monte Carlo standard error.
    prob_best: list[float] = field(default_factory=list)
    prob_best_mcse: list[float] = field(default_factory=list)


#: Most tornado bars a chart or slide shows (fewer when ``--top`` showed fewer).
TORNADO_MAX_ROWS = 12
#: What a tornado's bars start from (its ``base``), as every output words it.
SAMPLING_BASE = "the mean over all trials"
SWING_BASE = "the run with every input at its median"


def moving_together(rows: Iterable[tuple[str, float, float, float | None]]) -> str:
    """A sentence naming the inputs of a sampling tornado whose bars are the same to the bit,
    from ``(label, low, high, coefficient)`` rows; "" when none are.

    The same decile means and the same rank correlation mean the same ranks in every trial:
    inputs drawn from one random number by ``[[orderings]]`` (comonotone). They are one lever,
    not several, and the reader must not add their bars up.
    """
    groups: dict[tuple[float, float, float], list[str]] = {}
    for label, low, high, coefficient in rows:
        if coefficient is not None:
            groups.setdefault((low, high, coefficient), []).append(label)
    tied = [" = ".join(g) for g in groups.values() if len(g) > 1]
    if not tied:
        return ""
    return (
        "inputs with the same bars are drawn together by [[orderings]] and move as one, a "
        f"single lever: {'; '.join(tied)}"
    )
