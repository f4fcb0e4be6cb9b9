"""Comparing scenarios under common random numbers: paired differences, P(better), P(best).

Every scenario of a comparison is run with the same root seed, trial count and block size, so
trial *t* of each run is the same possible world: the same draws of every input the scenarios
share (streams are keyed by the input's name), the same customers and the same contacts where
the scenarios agree (:mod:`simroi.randomness`). The difference of a metric between two scenarios
is therefore taken *trial by trial* (a paired difference). Its standard error is
``sd(b − a)/√n``, which under common random numbers is far smaller than ``√(var a + var b)/√n``,
the standard error two independent runs would give; both are reported, so the gain is visible.

"Better" is per metric (higher ROI, NPV and service level; lower payback, cost and abandonment)
and is decided trial by trial by one rule (:func:`better_trials`), wherever P(better), P(worse)
or P(best) is shown (``simroi compare``, and the tables, JSON and slides of ``simroi export``):
**an undefined value is never better.** A trial in which a metric is undefined (ROI with no
incremental cost, payback not reached within the horizon) counts as the worst value: a defined
value beats it, it beats nothing, and when both scenarios are undefined the trial is a tie,
counted in neither P(better) nor P(worse) (in P(best), tied scenarios share the trial equally).
Undefined trials are left out of the difference's interval. The probability that each scenario
is the best is the share of trials in which its NPV is the highest: NPV, not ROI, because a
decision between alternatives maximises value, and ROI favours small investments.

:func:`run_comparison` loads and runs the scenarios
(:func:`~simroi.analysis.common_runs.run_common`); the other functions are pure functions of the
resulting :class:`~simroi.execution.result.RunResult` objects.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from simroi.analysis.common_runs import Progress, run_common
from simroi.analysis.summary import Interval, interval, objective_outcomes, require_baseline
from simroi.analysis.views import samples_frame
from simroi.errors import SimroiError
from simroi.estimates import Probability, ci95, mean_estimate, probability
from simroi.execution.checkpoint import CheckpointSet
from simroi.execution.result import ResultSet, RunResult
from simroi.execution.runner import RunOptions
from simroi.formatting import (
    PAYBACK_LABEL,
    PCT_DIGITS,
    chance,
    counted,
    html_table,
    interval_cells,
    interval_text,
    json_ready,
    kpi_label,
    magnitude,
    text_table,
)
from simroi.scenario.load import load_scenario

__all__ = [
    "ComparisonError",
    "ComparisonResult",
    "MetricComparison",
    "PairedDifference",
    "better_trials",
    "compare_result_set",
    "compare_results",
    "paired_difference",
    "prob_best",
    "run_comparison",
]

Better = Literal["higher", "lower"]

#: The money metrics every comparison shows: (sample key, label, display kind, better).
RESULT_ROWS: tuple[tuple[str, str, str, Better | None], ...] = (
    ("roi", "ROI", "pct", "higher"),
    ("npv", "NPV", "money", "higher"),
    ("payback_months", PAYBACK_LABEL, "num", "lower"),
    ("pv_benefits", "PV benefits", "money", "higher"),
    ("pv_costs", "PV costs", "money", "lower"),
)
#: Which way is better for each KPI (None: neither, e.g. occupancy or volume).
KPI_BETTER: dict[str, Better | None] = {
    "service_level": "higher",
    "abandonment": "lower",
    "asa_seconds": "lower",
    "response_p90_hours": "lower",
    "occupancy": None,
    "fcr": "higher",
    "cost_per_contact": "lower",
    "offered_per_month": None,
    "answered_per_month": "higher",
    "sentiment": "higher",
    "public_posts": None,
    "impressions": None,
    "customers_at_horizon": "higher",
}


class ComparisonError(SimroiError, ValueError):
    """Runs that cannot be compared (different trials or seeds), or too few scenarios."""


@dataclass(frozen=True)
class PairedDifference:
    """The trial-by-trial difference ``b − a`` of one metric between two runs.

    ``mean``, ``p05``, ``p50``, ``p95`` describe the distribution of the per-trial difference
    (over trials where both are defined; ``defined`` is their share). ``mcse`` is the Monte Carlo
    standard error of the mean difference from the paired samples, ``sd(b − a)/√n``;
    ``unpaired_mcse`` is what it would be for two independent runs, ``√((var a + var b)/n)``.
    ``ci95_*`` and ``unpaired_ci95_*`` are the matching 95% intervals of the mean difference.
    ``prob_better`` is the share of trials in which ``b`` beats ``a`` (strictly), with its
    standard error; ``prob_worse`` the share in which it loses. Both are None when the metric
    has no better direction.
    """

    mean: float
    p05: float
    p50: float
    p95: float
    mcse: float
    unpaired_mcse: float
    defined: float
    prob_better: float | None
    prob_better_mcse: float | None
    prob_worse: float | None

    @property
    def ci95_low(self) -> float:
        """Lower end of the 95% interval of the mean paired difference."""
        return ci95(self.mean, self.mcse)[0]

    @property
    def ci95_high(self) -> float:
        """Upper end of the 95% interval of the mean paired difference."""
        return ci95(self.mean, self.mcse)[1]

    @property
    def unpaired_ci95_low(self) -> float:
        """Lower end of the 95% interval two independent runs would give."""
        return ci95(self.mean, self.unpaired_mcse)[0]

    @property
    def unpaired_ci95_high(self) -> float:
        """Upper end of the 95% interval two independent runs would give."""
        return ci95(self.mean, self.unpaired_mcse)[1]

    def both_defined(self, trials: int) -> int:
        """How many of ``trials`` both runs define the metric in: those the difference is over."""
        return round(self.defined * trials)

    @property
    def prob_tied(self) -> float | None:
        """The share of trials in which neither run is better (equal, or both undefined)."""
        if self.prob_better is None or self.prob_worse is None:
            return None
        return max(0.0, 1.0 - self.prob_better - self.prob_worse)

    def to_dict(self) -> dict[str, float | None]:
        """JSON-ready (NaN becomes null), with the interval ends."""
        out = asdict(self)
        for name in ("ci95_low", "ci95_high", "unpaired_ci95_low", "unpaired_ci95_high"):
            out[name] = getattr(self, name)
        return json_ready(out)


@dataclass(frozen=True)
class MetricComparison:
    """One metric across the compared scenarios.

    ``values[i]`` summarizes scenario *i*; ``differences[i]`` is scenario *i* minus the first
    (None for the first itself). ``kind`` is a display hint (``pct``, ``money``, ``num``,
    ``num2``).
    """

    key: str
    label: str
    kind: str
    better: Better | None
    values: tuple[Interval, ...]
    differences: tuple[PairedDifference | None, ...]


@dataclass(frozen=True, repr=False, eq=False)
class ComparisonResult:
    """A side-by-side comparison of scenarios run with common random numbers.

    ``prob_best[i]`` is the probability that scenario *i* has the highest NPV (ties shared),
    with standard errors in ``prob_best_mcse``; ``objectives`` maps each objective label to the
    probability of meeting it in each scenario (None where a scenario does not state it).
    ``runs`` are the runs compared, in order: their per-trial samples are :attr:`samples`.
    """

    labels: tuple[str, ...]
    names: tuple[str, ...]
    sources: tuple[str, ...]
    trials: int
    seed: int
    currency: str
    horizons: tuple[int | None, ...]
    metrics: tuple[MetricComparison, ...]
    prob_best: tuple[float, ...]
    prob_best_mcse: tuple[float, ...]
    objectives: tuple[tuple[str, tuple[float | None, ...]], ...]
    runs: tuple[RunResult, ...] = field(default=())
    result_set: ResultSet | None = None

    def save(self, path: str | Path) -> Path:
        """Write the compared runs to a result file (``.npz``), as ``simroi compare --out`` does."""
        if self.result_set is None:
            raise ComparisonError("this comparison holds no result set to save (compare_results)")
        return self.result_set.save(path)

    @property
    def samples(self) -> dict[str, dict[str, np.ndarray]]:
        """Each scenario's per-trial samples (arrays of shape (trials,)), by label."""
        return {label: run.samples for label, run in zip(self.labels, self.runs, strict=True)}

    def metric(self, key: str) -> MetricComparison:
        """The comparison of one metric (``roi``, ``npv``, ``kpi.program.social.service_level``)."""
        for m in self.metrics:
            if m.key == key:
                return m
        raise KeyError(key)

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``simroi compare --json``.

        ``metrics`` maps each sample key (``roi``, ``npv``, ``kpi.program.social.service_level``
        ...) to its label, better direction, one interval per scenario, and one paired
        difference against the first scenario per scenario (null for the first).
        """
        return json_ready(
            {
                "kind": "compare",
                "seed": str(self.seed),
                "trials": self.trials,
                "currency": self.currency,
                "reference": self.labels[0],
                "prob_best_metric": "npv",
                "scenarios": [
                    {
                        "label": self.labels[i],
                        "name": self.names[i],
                        "source": self.sources[i],
                        "horizon_months": self.horizons[i],
                        "prob_best": self.prob_best[i],
                        "prob_best_mcse": self.prob_best_mcse[i],
                        "objectives": {
                            label: probs[i]
                            for label, probs in self.objectives
                            if probs[i] is not None
                        },
                    }
                    for i in range(len(self.labels))
                ],
                "metrics": {
                    m.key: {
                        "label": m.label,
                        "kind": m.kind,
                        "better": m.better,
                        "values": [v.to_dict() for v in m.values],
                        "differences": [
                            d.to_dict() if d is not None else None for d in m.differences
                        ],
                    }
                    for m in self.metrics
                },
            }
        )

    def to_frame(self) -> Any:
        """Every scenario's per-trial samples as one pandas DataFrame, indexed by
        ``(scenario, trial)``; raises ImportError naming ``pip install "simroi[notebook]"``
        when pandas is missing."""
        return samples_frame(dict(zip(self.labels, self.runs, strict=True)), "scenario")

    def _rows(self) -> list[list[str]]:
        """Per scenario: ROI and NPV as P50 [P5–P95] (as ``simroi compare`` and every export
        show them), P(higher NPV than the first), P(best)."""
        roi, npv = self.metric("roi"), self.metric("npv")
        scale = magnitude(x for v in npv.values for x in (v.mean, v.p05, v.p50, v.p95))
        rows = []
        for i, label in enumerate(self.labels):
            r = interval_cells([roi.values[i].p50, roi.values[i].p05, roi.values[i].p95], "pct")
            n = interval_cells(
                [npv.values[i].p50, npv.values[i].p05, npv.values[i].p95],
                "money",
                self.currency,
                scale,
            )
            d = npv.differences[i]
            better = "" if d is None else chance(d.prob_better, PCT_DIGITS)
            rows.append(
                [
                    label,
                    interval_text(r[1], r[2], r[0]),
                    interval_text(n[1], n[2], n[0]),
                    better,
                    chance(self.prob_best[i], PCT_DIGITS),
                ]
            )
        return rows

    def _title(self) -> str:
        return (
            f"{len(self.labels)} scenarios on common random numbers: "
            f"{counted(self.trials, 'trial')}, "
            f"seed {self.seed}; P(higher NPV) against {self.labels[0]}, trial by trial"
        )

    _HEADER = ("scenario", "ROI P50 [P5–P95]", "NPV P50 [P5–P95]", "P(higher NPV)", "P(best)")

    def __repr__(self) -> str:
        return text_table(f"ComparisonResult: {self._title()}", self._HEADER, self._rows())

    def _repr_html_(self) -> str:
        return html_table(self._title(), self._HEADER, self._rows())


def _worst_filled(values: np.ndarray, better: Better) -> np.ndarray:
    """Undefined (NaN) trials as the worst possible value, for deciding who is better."""
    return np.nan_to_num(np.asarray(values, float), nan=-np.inf if better == "higher" else np.inf)


def better_trials(a: np.ndarray, b: np.ndarray, *, better: Better) -> tuple[np.ndarray, np.ndarray]:
    """Per trial, whether ``b`` is better than ``a``, and whether it is worse.

    The one rule behind every P(better) and P(worse): an undefined value (NaN) is never better.
    It counts as the worst value, so a defined value is better than an undefined one; when both
    are undefined the trial is a tie (neither better nor worse), as it is when they are equal.

    Parameters
    ----------
    a, b : numpy.ndarray, shape (trials,)
        The same metric in two runs; trial *t* of each is the same possible world.
    better : {"higher", "lower"}
        Which direction is better.

    Returns
    -------
    (better, worse) : two boolean arrays of shape (trials,)
    """
    fa, fb = _worst_filled(a, better), _worst_filled(b, better)
    if better == "higher":
        return fb > fa, fb < fa
    return fb < fa, fb > fa


def paired_difference(
    a: np.ndarray, b: np.ndarray, *, better: Better | None, key: str = ""
) -> PairedDifference:
    """Summarize ``b − a`` trial by trial (``a`` and ``b`` from runs with common random numbers).

    Parameters
    ----------
    a, b : numpy.ndarray, shape (trials,)
        The same metric in two runs; trial *t* of each is the same possible world.
    better : {"higher", "lower"} or None
        Which direction is better, for ``prob_better`` and ``prob_worse``
        (:func:`better_trials`); None leaves them out.
    key : str
        The metric, for its percentiles (:func:`~simroi.analysis.summary.interval`).
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ComparisonError(
            f"paired difference needs runs of the same trials (got {a.size} and {b.size})"
        )
    both = np.isfinite(a) & np.isfinite(b)
    n = int(both.sum())
    d = b[both] - a[both]
    paired = mean_estimate(d)  # mean and s.e. of the per-trial difference
    nan = float("nan")
    d05 = d50 = d95 = unpaired = nan
    if n > 0:
        spread = interval(d, key)  # its percentiles, as every other row's
        d05, d50, d95 = spread.p05, spread.p50, spread.p95
    if n > 1:  # the s.e. of the difference of two independent means, for contrast
        unpaired = math.sqrt((float(a[both].var(ddof=1)) + float(b[both].var(ddof=1))) / n)
    wins: Probability | None = None
    losses: Probability | None = None
    if better is not None and a.size:
        better_in, worse_in = better_trials(a, b, better=better)
        wins, losses = probability(better_in), probability(worse_in)
    return PairedDifference(
        mean=paired.value,
        p05=d05,
        p50=d50,
        p95=d95,
        mcse=paired.mcse,
        unpaired_mcse=unpaired,
        defined=n / a.size if a.size else 0.0,
        prob_better=None if wins is None else wins.value,
        prob_better_mcse=None if wins is None else wins.mcse,
        prob_worse=None if losses is None else losses.value,
    )


def prob_best(
    columns: Sequence[np.ndarray], *, better: Better = "higher"
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The probability that each alternative is the best, trial by trial, with standard errors.

    ``columns[i]`` holds alternative *i*'s per-trial metric. The rule of :func:`better_trials`:
    an undefined trial counts as the worst value; alternatives tied for the best (equal, or all
    undefined) share the trial equally, so identical alternatives get equal shares.
    """
    values = np.column_stack([_worst_filled(c, better) for c in columns])
    if better == "lower":
        values = -values
    top = values.max(axis=1, keepdims=True)
    winners = values == top
    shares = winners / winners.sum(axis=1, keepdims=True)  # (trials, alternatives)
    best = [probability(shares[:, i]) for i in range(shares.shape[1])]
    return tuple(p.value for p in best), tuple(p.mcse for p in best)


def _metric_rows(results: Sequence[RunResult]) -> list[tuple[str, str, str, Better | None]]:
    """The metrics to compare: money first, then the objectives' KPIs and each channel's."""
    rows = list(RESULT_ROWS)
    seen = {r[0] for r in rows}
    wanted: list[str] = []
    for result in results:
        for objective in result.meta.get("objectives", []):
            metric = objective["metric"]
            if metric not in seen:
                wanted.append(metric)
    for channel in results[0].meta.get("channels", []):
        wanted.extend([f"{channel}.service_level", f"{channel}.abandonment"])
    wanted.append("sentiment")
    for metric in wanted:
        key = f"kpi.program.{metric}"
        if metric in seen or key in seen or not all(key in r.samples for r in results):
            continue
        if _constant(r.samples[key] for r in results):
            continue  # e.g. the abandonment of a channel that never drops a contact: no news
        seen.add(key)
        label, kind = kpi_label(metric)  # as a run's KPI table names and shows it
        rows.append((key, label, kind, KPI_BETTER.get(metric.rsplit(".", 1)[-1])))
    return rows


def _constant(columns: Iterable[np.ndarray]) -> bool:
    """Whether every value of every column is the same number (NaN counts as a value)."""
    values = np.concatenate([np.asarray(c, dtype=float).ravel() for c in columns])
    return (
        values.size == 0
        or bool(np.all(np.isnan(values)))
        or (bool(np.all(np.isfinite(values))) and float(np.ptp(values)) == 0.0)
    )


def _check_aligned(results: Sequence[RunResult]) -> None:
    if len(results) < 1:
        raise ComparisonError("compare needs at least one run")
    first = results[0].provenance
    for result in results[1:]:
        p = result.provenance
        if (p.seed, p.trials, p.block_size) != (first.seed, first.trials, first.block_size):
            raise ComparisonError(
                f"{p.scenario_name}: runs compared trial by trial need the same seed, trials and "
                f"block size (got seed {p.seed}, {counted(p.trials, 'trial')}, block "
                f"{p.block_size}; the first has seed {first.seed}, "
                f"{counted(first.trials, 'trial')}, block {first.block_size})"
            )


def compare_results(
    results: Sequence[RunResult], labels: Sequence[str] | None = None
) -> ComparisonResult:
    """Compare runs made with common random numbers, each against the first.

    Parameters
    ----------
    results : sequence of RunResult
        Runs with the same seed, trial count and block size (:func:`run_common`).
    labels : sequence of str, optional
        Display names (default: the scenario names).

    Raises
    ------
    ComparisonError
        If the runs do not share seed, trials and block size.
    """
    _check_aligned(results)
    names = tuple(r.provenance.scenario_name for r in results)
    labels = tuple(labels) if labels is not None else names
    metrics = []
    for key, label, kind, better in _metric_rows(results):
        columns = [r.samples[key] for r in results]
        paired = functools.partial(paired_difference, better=better, key=key)
        metrics.append(
            MetricComparison(
                key=key,
                label=label,
                kind=kind,
                better=better,
                values=tuple(interval(c, key) for c in columns),
                differences=(None, *(paired(columns[0], c) for c in columns[1:])),
            )
        )
    best, best_se = prob_best([r.samples["npv"] for r in results])
    objective_labels: list[str] = []
    met: list[dict[str, float]] = []
    for result in results:
        outcomes = {o.label: o.probability for o in objective_outcomes(result)}
        met.append(outcomes)
        objective_labels.extend(k for k in outcomes if k not in objective_labels)
    return ComparisonResult(
        labels=labels,
        names=names,
        sources=tuple(r.provenance.scenario_source for r in results),
        trials=results[0].trials,
        seed=results[0].provenance.seed,
        currency=str(results[0].meta.get("currency", "USD")),
        horizons=tuple(r.meta.get("horizon_months") for r in results),
        metrics=tuple(metrics),
        prob_best=best,
        prob_best_mcse=best_se,
        objectives=tuple((k, tuple(m.get(k) for m in met)) for k in objective_labels),
        runs=tuple(results),
    )


def _unique_labels(names: Sequence[str]) -> list[str]:
    labels: list[str] = []
    for name in names:
        label, k = name, 2
        while label in labels:
            label, k = f"{name} ({k})", k + 1
        labels.append(label)
    return labels


def run_comparison(
    scenarios: Sequence[str],
    options: RunOptions | None = None,
    *,
    overrides: Sequence[str] = (),
    progress: Progress | None = None,
    checkpoints: CheckpointSet | None = None,
) -> ResultSet:
    """Load and run scenarios with common random numbers; a ``compare`` :class:`ResultSet`.

    Parameters
    ----------
    scenarios : paths or bundled names, at least two; the first is the reference
    options : trials, seed, engine, executor (see :func:`run_common`)
    overrides : ``--set`` strings applied to every scenario
    checkpoints : where each scenario's run keeps its blocks, to be resumed (:func:`run_common`)

    Returns
    -------
    ResultSet
        ``kind = "compare"``, one run per scenario in the order given; ``meta`` holds
        ``labels`` (unique display names), ``names`` (scenario names), ``sources``,
        ``overrides`` and ``seed``.

    Raises
    ------
    ComparisonError
        With fewer than two scenarios.
    ScenarioError
        If a scenario or override is invalid, or a scenario has no baseline (all are loaded
        before any is run).
    """
    if len(scenarios) < 2:
        raise ComparisonError(
            f"compare needs at least two scenarios (got {len(scenarios)}); to see one, use "
            "`simroi run`"
        )
    options = options or RunOptions()
    loaded = [load_scenario(s, overrides=overrides) for s in scenarios]
    for item in loaded:
        require_baseline(item)
    sets = [list(overrides)] * len(loaded)
    results = run_common(
        loaded, options, overrides=sets, progress=progress, checkpoints=checkpoints
    )
    labels = _unique_labels([str(s) for s in scenarios])
    meta = {
        "labels": labels,
        "names": [item.name for item in loaded],
        "sources": [item.source for item in loaded],
        "overrides": list(overrides),
        "seed": str(results[0].provenance.seed),
    }
    return ResultSet("compare", results, meta)


def compare_result_set(result_set: ResultSet) -> ComparisonResult:
    """The comparison of a ``compare`` result set (saved or fresh), recomputed from its runs."""
    labels = result_set.meta.get("labels")
    return replace(compare_results(result_set.runs, labels), result_set=result_set)
