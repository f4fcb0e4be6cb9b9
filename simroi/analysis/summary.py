"""Summaries of per-trial samples: intervals, probabilities, objectives and the TEI view.

Everything here is a pure function of a :class:`~simroi.execution.result.RunResult`'s arrays.
Percentiles are P5/P50/P95 (the 90% interval people present); probabilities come with their Monte
Carlo standard error ``sqrt(p(1−p)/n)``; means with ``sd/sqrt(n)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from simroi.execution.result import RunResult

__all__ = [
    "Interval",
    "ObjectiveOutcome",
    "interval",
    "objective_outcomes",
    "probability",
    "summarize",
    "tei_view",
]


@dataclass(frozen=True)
class Interval:
    """Mean, percentiles and the Monte Carlo standard error of the mean of one quantity.

    NaN trials (e.g. ROI with no incremental cost, payback never reached) are left out;
    ``defined`` is the share of trials where the quantity exists.
    """

    mean: float
    p05: float
    p50: float
    p95: float
    mcse: float
    defined: float

    def to_json(self) -> dict[str, float | None]:
        """JSON-ready (NaN becomes null)."""
        return {k: _clean(v) for k, v in self.__dict__.items()}


def _clean(x: float) -> float | None:
    return None if not math.isfinite(x) else float(x)


def interval(values: np.ndarray) -> Interval:
    """Summarize one per-trial array."""
    values = np.asarray(values, dtype=float)
    ok = values[np.isfinite(values)]
    n = values.size
    if ok.size == 0:
        nan = float("nan")
        return Interval(nan, nan, nan, nan, nan, 0.0)
    p05, p50, p95 = np.percentile(ok, [5, 50, 95])
    sd = float(ok.std(ddof=1)) if ok.size > 1 else 0.0
    return Interval(
        float(ok.mean()),
        float(p05),
        float(p50),
        float(p95),
        sd / math.sqrt(ok.size),
        ok.size / n,
    )


def probability(event: np.ndarray) -> tuple[float, float]:
    """``(p, standard error)`` of a per-trial boolean event."""
    event = np.asarray(event, dtype=bool)
    n = event.size
    p = float(event.mean()) if n else float("nan")
    return p, math.sqrt(max(p * (1 - p), 0.0) / n) if n else float("nan")


@dataclass(frozen=True)
class ObjectiveOutcome:
    """One return-on-objectives line: the chance that the objective is met."""

    label: str
    metric: str
    op: str
    bound: float
    probability: float
    mcse: float

    def to_json(self) -> dict[str, Any]:
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


def objective_outcomes(result: RunResult) -> list[ObjectiveOutcome]:
    """The probability of meeting each objective stated in the scenario."""
    outcomes = []
    for obj in result.meta.get("objectives", []):
        values = metric_samples(result, obj["metric"])
        with np.errstate(invalid="ignore"):
            met = values >= obj["bound"] if obj["op"] == ">=" else values <= obj["bound"]
        met &= np.isfinite(values)
        p, se = probability(met)
        outcomes.append(
            ObjectiveOutcome(obj["label"], obj["metric"], obj["op"], obj["bound"], p, se)
        )
    return outcomes


def tei_view(
    result: RunResult, benefit_percentile: float = 10, cost_percentile: float = 90
) -> dict[str, float]:
    """A Forrester TEI-style risk-adjusted point estimate beside the distribution.

    Benefits are taken at a low percentile and costs at a high one (defaults P10 and P90), the
    judgemental haircuts TEI applies, here derived from the simulated distribution.
    """
    benefits = float(np.nanpercentile(result.samples["pv_benefits"], benefit_percentile))
    costs = float(np.nanpercentile(result.samples["pv_costs"], cost_percentile))
    npv = benefits - costs
    return {
        "benefit_percentile": benefit_percentile,
        "cost_percentile": cost_percentile,
        "pv_benefits": benefits,
        "pv_costs": costs,
        "npv": npv,
        "roi": npv / costs if costs > 0 else float("nan"),
    }


def summarize(result: RunResult) -> dict[str, Any]:
    """The JSON summary of a run (the shape printed by ``simroi run --json``)."""
    s = result.samples
    prov = result.provenance
    roi = interval(s["roi"])
    p_pos, p_se = probability(np.nan_to_num(s["roi"], nan=-np.inf) > 0)
    npv_pos, npv_se = probability(s["npv"] > 0)
    payback = interval(s["payback_months"])
    no_payback, no_payback_se = probability(~np.isfinite(s["payback_months"]))
    kpis: dict[str, dict[str, dict[str, float | None]]] = {}
    for key, values in s.items():
        if key.startswith("kpi."):
            _, world, rest = key.split(".", 2)
            kpis.setdefault(world, {})[rest] = interval(values).to_json()
    lines = {
        key.removeprefix("pv."): interval(values).to_json()
        for key, values in s.items()
        if key.startswith("pv.")
    }
    roi_json: dict[str, Any] = roi.to_json()
    roi_json.update(prob_positive=p_pos, prob_positive_mcse=p_se)
    if roi.defined < 1.0:
        roi_json["note"] = (
            "ROI is undefined in trials with no incremental cost; NPV is reported for all trials"
        )
    npv_json: dict[str, Any] = interval(s["npv"]).to_json()
    npv_json.update(prob_positive=npv_pos, prob_positive_mcse=npv_se)
    payback_json: dict[str, Any] = payback.to_json()
    payback_json.update(prob_no_payback=no_payback, prob_no_payback_mcse=no_payback_se)
    objectives = objective_outcomes(result)
    return {
        "trials": result.trials,
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
        "currency": result.meta.get("currency", "USD"),
        "horizon_months": result.meta.get("horizon_months"),
        "stop_reason": prov.stop_reason,
        "roi": roi_json,
        "npv": npv_json,
        "payback_months": payback_json,
        "pv_benefits": interval(s["pv_benefits"]).to_json(),
        "pv_costs": interval(s["pv_costs"]).to_json(),
        "lines": lines,
        "tei": {k: _clean(v) for k, v in tei_view(result).items()},
        "objectives": {o.label: o.probability for o in objectives},
        "objectives_detail": [o.to_json() for o in objectives],
        "kpis": kpis,
    }
