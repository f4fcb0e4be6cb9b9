"""Summaries of per-trial samples: intervals, objectives, the TEI view and a run's summary.

Everything here is a pure function of a :class:`~simroi.execution.result.RunResult`'s arrays.
Percentiles are P5/P50/P95 (the 90% interval people present); means come with their Monte Carlo
standard error ``sd/sqrt(n)`` (:func:`simroi.estimates.mean_estimate`), probabilities with
``sqrt(p(1−p)/n)`` (:func:`simroi.estimates.probability`). :func:`summarize` gathers them into a
:class:`RunSummary`, the object ``simroi run`` prints and ``simroi run --json`` writes
(:meth:`RunSummary.to_dict`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from simroi.analysis.monthly import MonthlyBands, monthly_bands
from simroi.analysis.views import samples_frame
from simroi.errors import ScenarioError
from simroi.estimates import Probability, mean_estimate, prob_positive, probability
from simroi.execution.result import RunResult
from simroi.formatting import (
    LINE_LABELS,
    PAYBACK_LABEL,
    PCT_DIGITS,
    chance,
    counted,
    html_table,
    interval_cells,
    json_ready,
    pct,
)
from simroi.scenario.load import LoadedScenario

__all__ = [
    "ROI_UNDEFINED_NOTE",
    "Interval",
    "ObjectiveOutcome",
    "ReturnView",
    "RunSummary",
    "TeiView",
    "all_objectives_met",
    "interval",
    "lifetime_view",
    "listed_lines",
    "metric_samples",
    "no_payback",
    "objective_met",
    "objective_outcomes",
    "payback_threshold",
    "pays_back_within",
    "percentiles",
    "require_baseline",
    "return_view",
    "roi_note",
    "summarize",
    "tei_view",
    "unlisted_lines_note",
    "views_note",
]

ROI_UNDEFINED_NOTE = (
    "ROI is undefined in trials with no incremental cost; NPV is reported for all trials"
)


def no_payback(payback_months: np.ndarray) -> Probability:
    """P(no payback within the horizon): the share of trials whose payback month is undefined
    (``payback_months`` (trials,), NaN where the cumulative cash never turns positive)."""
    return probability(~np.isfinite(payback_months))


def listed_lines(samples: Mapping[str, np.ndarray]) -> list[str]:
    """The benefit and cost lines a table lists, in the samples' order (``pv.…`` keys without the
    prefix): all but those zero in every trial, such as the terminal value of a scenario that
    does not count one, or the setup cost of one without any. Data outputs (``--json``,
    :attr:`RunSummary.lines`) keep every line."""
    return [line for line, zero in _lines(samples) if not zero]


def unlisted_lines_note(samples: Mapping[str, np.ndarray]) -> str:
    """The sentence under a table of lines that names the lines it leaves out (see
    :func:`listed_lines`), or ""."""
    left = [LINE_LABELS.get(line, line) for line, zero in _lines(samples) if zero]
    return f"Not listed, zero in every trial: {', '.join(left)}." if left else ""


def _lines(samples: Mapping[str, np.ndarray]) -> list[tuple[str, bool]]:
    """Each benefit and cost line (``pv.…`` without the prefix) and whether it is zero in every
    trial."""
    return [
        (key.removeprefix("pv."), not np.any(values != 0))
        for key, values in samples.items()
        if key.startswith("pv.")
    ]


def views_note(horizon_months: int | None) -> str:
    """Which view is the headline, and why: one sentence for every output that shows both."""
    months = f"{horizon_months}-month" if horizon_months else "horizon"
    return (
        f"Headline: the {months} (TEI) view — it counts no value after the horizon, the "
        "conservative view finance uses; the lifetime view adds the value at the horizon of "
        "the customers the program keeps (their CLV, net of excess churn already scheduled)."
    )


def require_baseline(loaded: LoadedScenario) -> None:
    """Refuse a scenario without a baseline: every ROI is incremental to one.

    Raises
    ------
    ScenarioError
        Naming the file and the key, and the two ways to give a baseline.
    """
    if loaded.baseline is None:
        raise ScenarioError(
            f"{loaded.source}: scenario.baseline: ROI is measured against a baseline; name a "
            'baseline file in [scenario] baseline = "..." or add a [baseline] table of overrides'
        )


@dataclass(frozen=True)
class Interval:
    """Mean, percentiles and the Monte Carlo standard error of the mean of one quantity.

    NaN trials (e.g. ROI with no incremental cost, payback never reached) are left out;
    ``defined`` is the share of trials where the quantity exists. ``mcse`` is NaN with a single
    defined trial. The P50 of ``payback_months`` is the median payback every output shows: the
    median month of the trials that pay back.
    """

    mean: float
    p05: float
    p50: float
    p95: float
    mcse: float
    defined: float

    def to_dict(self) -> dict[str, float | None]:
        """JSON-ready (NaN becomes null)."""
        return json_ready(asdict(self))


#: Per-trial samples counted in whole months: a percentile of them is a month some trial has.
WHOLE_MONTHS = frozenset({"payback_months"})


def percentiles(values: np.ndarray, qs: Sequence[float], key: str = "") -> np.ndarray:
    """The percentiles ``qs`` (0–100) of ``values`` (finite, shape (n,)), as every output
    shows them: NumPy's linear interpolation, except for a sample counted in whole months
    (:data:`WHOLE_MONTHS`, named by the last part of ``key``: ``payback_months``,
    ``diff.payback_months``), whose percentiles are values it takes (the inverse of the
    empirical distribution function): "pays back in month 6.8" is no month."""
    whole = key.rsplit(".", 1)[-1] in WHOLE_MONTHS
    return np.percentile(values, list(qs), method="inverted_cdf" if whole else "linear")


def interval(values: np.ndarray, key: str = "") -> Interval:
    """Summarize one per-trial array: mean, P5, P50, P95 and s.e. of the defined trials.

    The mean and its standard error are :func:`~simroi.estimates.mean_estimate`'s (NaN with a
    single defined trial: one value has no spread to estimate); the percentiles
    :func:`percentiles` of the defined trials (``key`` names the sample).
    """
    values = np.asarray(values, dtype=float)
    ok = values[np.isfinite(values)]
    n = values.size
    if ok.size == 0:
        nan = float("nan")
        return Interval(nan, nan, nan, nan, nan, 0.0)
    p05, p50, p95 = percentiles(ok, [5, 50, 95], key)
    mean = mean_estimate(ok)
    return Interval(mean.value, float(p05), float(p50), float(p95), mean.mcse, ok.size / n)


def roi_note(roi: Interval) -> str:
    """Why ROI is undefined in some trials (:data:`ROI_UNDEFINED_NOTE`), or an empty string
    when it is defined in all."""
    return ROI_UNDEFINED_NOTE if roi.defined < 1.0 else ""


@dataclass(frozen=True)
class ReturnView:
    """ROI and NPV of one view of the return (the three-year TEI view or the lifetime view):
    each interval with the chance it is positive."""

    roi: Interval
    prob_roi_positive: Probability
    npv: Interval
    prob_npv_positive: Probability

    @property
    def roi_note(self) -> str:
        """Why ROI is undefined in some trials (:func:`roi_note`)."""
        return roi_note(self.roi)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """``{"roi": {...}, "npv": {...}}``: each interval with ``prob_positive`` and its
        Monte Carlo s.e. (and, for ROI, a ``note`` when it is undefined in some trials)."""
        roi: dict[str, Any] = self.roi.to_dict()
        roi.update(
            prob_positive=self.prob_roi_positive.value,
            prob_positive_mcse=self.prob_roi_positive.mcse,
        )
        if self.roi_note:
            roi["note"] = self.roi_note
        npv: dict[str, Any] = self.npv.to_dict()
        npv.update(
            prob_positive=self.prob_npv_positive.value,
            prob_positive_mcse=self.prob_npv_positive.mcse,
        )
        return json_ready({"roi": roi, "npv": npv})


def return_view(roi: np.ndarray, npv: np.ndarray) -> ReturnView:
    """The :class:`ReturnView` of per-trial ROI and NPV samples (each (trials,))."""
    return ReturnView(interval(roi), prob_positive(roi), interval(npv), prob_positive(npv))


def lifetime_view(result: RunResult) -> ReturnView | None:
    """The lifetime view's ROI and NPV (:mod:`simroi.model.lifetime`); None in a result file
    written before it existed."""
    s = result.samples
    if "lifetime.roi" not in s or "lifetime.npv" not in s:
        return None
    return return_view(s["lifetime.roi"], s["lifetime.npv"])


@dataclass(frozen=True)
class ObjectiveOutcome:
    """One return-on-objectives line: the chance that the objective is met."""

    label: str
    metric: str
    op: str
    bound: float
    probability: float
    mcse: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: name, metric, op, bound, probability and its Monte Carlo s.e."""
        return {
            "name": self.label,
            "metric": self.metric,
            "op": self.op,
            "bound": self.bound,
            "probability": self.probability,
            "mcse": self.mcse,
        }


def metric_samples(result: RunResult, metric: str) -> np.ndarray:
    """Per-trial values of an objective's metric (program side for KPIs)."""
    if metric in {"roi", "npv", "payback_months"}:
        return result.samples[metric]
    return result.samples[f"kpi.program.{metric}"]


def objective_met(result: RunResult, objective: Mapping[str, Any]) -> np.ndarray:
    """Per trial, whether ``objective`` is met (the return-on-objectives rule).

    An objective (as stored in ``meta["objectives"]``: ``metric``, ``op`` ``">="`` or
    ``"<="``, ``bound``) is met in a trial when its metric is at or beyond the bound, bound
    included; a trial in which the metric is undefined (NaN: no ROI, no payback) never meets it.
    """
    values = metric_samples(result, objective["metric"])
    with np.errstate(invalid="ignore"):
        met = (
            values >= objective["bound"]
            if objective["op"] == ">="
            else values <= objective["bound"]
        )
    return np.asarray(met & np.isfinite(values), dtype=bool)


def payback_threshold(result: RunResult) -> int | None:
    """The months "pays back within" refers to: a payback objective's bound, else the horizon.

    The bound of the scenario's objective ``payback_months <= N`` when it states one; otherwise
    the horizon (``meta["horizon_months"]``, None when the result does not record it).
    """
    for objective in result.meta.get("objectives", []):
        if objective.get("metric") == "payback_months" and objective.get("op") == "<=":
            return int(objective["bound"])
    horizon = result.meta.get("horizon_months")
    return None if horizon is None else int(horizon)


def pays_back_within(result: RunResult, months: float) -> np.ndarray:
    """Per trial, whether the program pays back within ``months``: the rule of a payback
    objective (:func:`objective_met`: payback month ≤ ``months``; a trial that never pays back
    never does). Within the horizon it is the complement of P(no payback)."""
    return objective_met(result, {"metric": "payback_months", "op": "<=", "bound": months})


def all_objectives_met(result: RunResult) -> np.ndarray | None:
    """Per trial, whether every objective is met in that same trial; None without objectives."""
    objectives = result.meta.get("objectives", [])
    if not objectives:
        return None
    met = np.ones(result.trials, dtype=bool)
    for objective in objectives:
        met &= objective_met(result, objective)
    return met


def objective_outcomes(result: RunResult) -> list[ObjectiveOutcome]:
    """The probability of meeting each objective stated in the scenario."""
    outcomes = []
    for obj in result.meta.get("objectives", []):
        p, se = probability(objective_met(result, obj))
        outcomes.append(
            ObjectiveOutcome(obj["label"], obj["metric"], obj["op"], obj["bound"], p, se)
        )
    return outcomes


@dataclass(frozen=True)
class TeiView:
    """A Forrester TEI-style risk-adjusted point estimate: benefits low, costs high.

    ``pv_benefits`` is the P\\ ``benefit_percentile`` of the PV of benefits, ``pv_costs`` the
    P\\ ``cost_percentile`` of the PV of costs; ``npv`` and ``roi`` follow from them (ROI is NaN
    when that cost is not positive).
    """

    benefit_percentile: float
    cost_percentile: float
    pv_benefits: float
    pv_costs: float
    npv: float
    roi: float

    def to_dict(self) -> dict[str, float | None]:
        """JSON-ready (NaN becomes null)."""
        return json_ready(asdict(self))


def tei_view(
    result: RunResult, benefit_percentile: float = 10, cost_percentile: float = 90
) -> TeiView:
    """A Forrester TEI-style risk-adjusted point estimate beside the distribution.

    Benefits are taken at a low percentile and costs at a high one (defaults P10 and P90), the
    judgemental haircuts TEI applies, here derived from the simulated distribution (NumPy's
    default linear interpolation between trials; undefined trials left out).
    """
    benefits = float(np.nanpercentile(result.samples["pv_benefits"], benefit_percentile))
    costs = float(np.nanpercentile(result.samples["pv_costs"], cost_percentile))
    npv = benefits - costs
    return TeiView(
        float(benefit_percentile),
        float(cost_percentile),
        benefits,
        costs,
        npv,
        npv / costs if costs > 0 else float("nan"),
    )


@dataclass(frozen=True, repr=False, eq=False)
class RunSummary:
    """What a run says: ROI, NPV, payback, lines, TEI view, objectives and KPIs.

    Made by :func:`summarize`; ``result`` is the run it summarizes, so the per-trial samples
    stay at hand (:attr:`samples`, :meth:`to_frame`). ``lines`` maps each benefit and cost line
    (``retained_margin``, ``agents``, …) to the interval of its present value; ``kpis`` maps
    ``program`` and ``baseline`` to each KPI's interval (``phone.service_level``, …).
    ``lifetime`` is the lifetime view beside the three-year one (the headline, :func:`views_note`);
    ``monthly`` the month-by-month bands; each None when the result does not hold them.
    """

    result: RunResult
    roi: Interval
    prob_roi_positive: Probability
    npv: Interval
    prob_npv_positive: Probability
    payback_months: Interval
    prob_no_payback: Probability
    pv_benefits: Interval
    pv_costs: Interval
    lines: Mapping[str, Interval]
    tei: TeiView
    objectives: tuple[ObjectiveOutcome, ...]
    kpis: Mapping[str, Mapping[str, Interval]]
    lifetime: ReturnView | None = None
    monthly: MonthlyBands | None = None

    @property
    def samples(self) -> dict[str, np.ndarray]:
        """The per-trial samples (arrays of shape (trials,)), by name: ``roi``, ``npv``, …"""
        return self.result.samples

    def save(self, path: str | Path) -> Path:
        """Write the run to a result file (``.npz``), as ``simroi run --out`` does."""
        return self.result.save(path)

    @property
    def trials(self) -> int:
        """Number of trials."""
        return self.result.trials

    @property
    def currency(self) -> str:
        """ISO code of the money amounts."""
        return str(self.result.meta.get("currency", "USD"))

    @property
    def horizon_months(self) -> int | None:
        """Months of the business case."""
        horizon = self.result.meta.get("horizon_months")
        return None if horizon is None else int(horizon)

    @property
    def roi_note(self) -> str:
        """Why ROI is undefined in some trials (:func:`roi_note`)."""
        return roi_note(self.roi)

    @property
    def views_note(self) -> str:
        """Which view of the return is the headline, and why (:func:`views_note`)."""
        return views_note(self.horizon_months)

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``simroi run --json`` (NaN becomes null)."""
        prov = self.result.provenance
        three_year = ReturnView(
            self.roi, self.prob_roi_positive, self.npv, self.prob_npv_positive
        ).to_dict()
        payback: dict[str, Any] = self.payback_months.to_dict()
        payback.update(
            prob_no_payback=self.prob_no_payback.value,
            prob_no_payback_mcse=self.prob_no_payback.mcse,
        )
        return json_ready(
            {
                "trials": self.trials,
                "seed": str(prov.seed),
                "scenario": {
                    "name": prov.scenario_name,
                    "hash": prov.scenario_hash,
                    "source": prov.scenario_source,
                    "baseline": prov.baseline_name,
                },
                "simroi_version": prov.simroi_version,
                "numpy_version": prov.numpy_version,
                "engine": prov.engine,
                "block_size": prov.block_size,
                "currency": self.currency,
                "horizon_months": self.result.meta.get("horizon_months"),
                "stop_reason": prov.stop_reason,
                **three_year,
                "payback_months": payback,
                "pv_benefits": self.pv_benefits.to_dict(),
                "pv_costs": self.pv_costs.to_dict(),
                "lines": {k: v.to_dict() for k, v in self.lines.items()},
                "tei": self.tei.to_dict(),
                "objectives": {o.label: o.probability for o in self.objectives},
                "objectives_detail": [o.to_dict() for o in self.objectives],
                "kpis": {
                    world: {k: v.to_dict() for k, v in kpis.items()}
                    for world, kpis in self.kpis.items()
                },
                **self._later_views(),
            }
        )

    def _later_views(self) -> dict[str, Any]:
        """``lifetime`` (with the note on which view is the headline) and ``monthly``."""
        out: dict[str, Any] = {}
        if self.lifetime is not None:
            out["lifetime"] = {**self.lifetime.to_dict(), "note": self.views_note}
        if self.monthly is not None:
            out["monthly"] = self.monthly.to_dict()
        return out

    def to_frame(self) -> Any:
        """The per-trial samples as a pandas DataFrame: a row per trial, a column per sample.

        Raises ImportError naming ``pip install "simroi[notebook]"`` when pandas is missing.
        """
        return samples_frame(self.result)

    def _title(self) -> str:
        prov = self.result.provenance
        horizon = (
            f", horizon {counted(self.horizon_months, 'month')}" if self.horizon_months else ""
        )
        return (
            f"{prov.scenario_name} against {prov.baseline_name}: {counted(self.trials, 'trial')}, "
            f"seed {prov.seed}{horizon}"
        )

    def _rows(self) -> list[list[str]]:
        """``[label, P50, P5, P95, mean]`` of ROI, NPV and payback, each with one precision: the
        median first, as ``simroi run`` and every export lead with it."""
        order = ("p50", "p05", "p95", "mean")
        return [
            [label, *interval_cells([getattr(iv, k) for k in order], unit, self.currency)]
            for label, iv, unit in (
                ("ROI", self.roi, "pct"),
                ("NPV", self.npv, "money"),
                (PAYBACK_LABEL, self.payback_months, "num"),
            )
        ]

    def _probabilities(self) -> str:
        roi, npv = self.prob_roi_positive, self.prob_npv_positive
        return (
            f"P(ROI > 0) {chance(roi.value, PCT_DIGITS)} ± {pct(roi.mcse, PCT_DIGITS)}, "
            f"P(NPV > 0) {chance(npv.value, PCT_DIGITS)}, "
            f"P(no payback) {chance(self.prob_no_payback.value, PCT_DIGITS)}"
        )

    def __repr__(self) -> str:
        lines = [f"RunSummary: {self._title()}"]
        rows = self._rows()
        width = max(len(row[0]) for row in rows)
        for label, p50, p05, p95, mean in rows:
            lines.append(f"  {label:<{width}} P50 {p50:>8}  P5 {p05:>8}  P95 {p95:>8}  mean {mean}")
        lines.append(f"  {self._probabilities()}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return html_table(
            self._title(),
            ["", "P50", "P5", "P95", "mean"],
            self._rows(),
            self._probabilities(),
        )


def summarize(result: RunResult) -> RunSummary:
    """Summarize a run: the intervals, probabilities and objectives ``simroi run`` shows.

    Examples
    --------
    >>> from simroi.execution.runner import RunOptions, run
    >>> from simroi.scenario.load import load_scenario
    >>> fast = ["scenario.horizon_months=3", "simulation.sampled_days_per_month=1"]
    >>> result = run(load_scenario("default", overrides=fast), RunOptions(20, seed=1, workers=1))
    >>> summary = summarize(result)  # what simroi.run() returns
    >>> summary.roi.p05 <= summary.roi.p50 <= summary.roi.p95, summary.samples["roi"].shape
    (True, (20,))
    >>> summary.to_dict()["roi"]["p50"] == summary.roi.p50
    True
    """
    s = result.samples
    kpis: dict[str, dict[str, Interval]] = {}
    for key, values in s.items():
        if key.startswith("kpi."):
            _, world, rest = key.split(".", 2)
            kpis.setdefault(world, {})[rest] = interval(values)
    return RunSummary(
        result=result,
        roi=interval(s["roi"]),
        prob_roi_positive=prob_positive(s["roi"]),
        npv=interval(s["npv"]),
        prob_npv_positive=prob_positive(s["npv"]),
        payback_months=interval(s["payback_months"], "payback_months"),
        prob_no_payback=no_payback(s["payback_months"]),
        pv_benefits=interval(s["pv_benefits"]),
        pv_costs=interval(s["pv_costs"]),
        lines={
            key.removeprefix("pv."): interval(values)
            for key, values in s.items()
            if key.startswith("pv.")
        },
        tei=tei_view(result),
        objectives=tuple(objective_outcomes(result)),
        kpis=kpis,
        lifetime=lifetime_view(result),
        monthly=monthly_bands(result),
    )
