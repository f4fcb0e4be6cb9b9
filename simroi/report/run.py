"""The report of one run: intervals, probabilities, histogram, cash bands and tornado.

Nothing is simulated here, and no statistic is invented: intervals and probabilities come from
:mod:`simroi.analysis.summary`, the tornado from ``meta["sensitivity"]`` as stored.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from simroi.analysis.monthly import monthly_bands
from simroi.analysis.summary import (
    all_objectives_met,
    interval,
    listed_lines,
    metric_samples,
    no_payback,
    objective_outcomes,
    payback_threshold,
    pays_back_within,
    roi_note,
    tei_view,
    views_note,
)
from simroi.errors import ResultFileError
from simroi.estimates import Probability, prob_positive, probability
from simroi.execution.result import RunResult
from simroi.formatting import (
    EXTRA_KPI_LABELS,
    KPI_LABELS,
    LINE_LABELS,
    PAYBACK_LABEL,
    SOCIAL_LABELS,
    chance,
    counted,
    fmt,
    kpi_label,
    number_or_nan,
    pct,
    significant,
)
from simroi.model.economics import LINE_ITEMS_BENEFIT, LINE_ITEMS_COST
from simroi.report.types import (
    CashBands,
    Histogram,
    RunReport,
    Sensitivity,
    Stat,
    moving_together,
)

__all__ = [
    "CASH_PERCENTILES",
    "LIFETIME_SECTION",
    "REQUIRED_SAMPLES",
    "footer",
    "run_details",
    "run_report",
    "stat",
]

#: The per-trial samples a result file must hold to be reported.
REQUIRED_SAMPLES = ("roi", "npv", "payback_months", "pv_benefits", "pv_costs")


#: Cumulative cash-flow percentiles drawn as a fan.
CASH_PERCENTILES = (5, 25, 50, 75, 95)


def footer(result: RunResult, runs: int = 1) -> str:
    """One line that reproduces any figure: version, seed, trials, scenario and its hash."""
    p = result.provenance
    trials = f"{counted(p.trials, 'trial')}" + (
        f" × {runs} runs (common random numbers)" if runs > 1 else ""
    )
    # compiled and numpy give the same bits: only the simpy engine's numbers differ
    engine = f" · engine {p.engine}" if p.engine == "simpy" else ""
    return (
        f"simroi {p.simroi_version} · seed {p.seed} · {trials}{engine} · scenario "
        f"{p.scenario_name} #{p.scenario_hash[:12]} · {p.created_utc[:10]}"
    )


def _require(result: RunResult, where: str) -> None:
    missing = [k for k in REQUIRED_SAMPLES if k not in result.samples]
    if missing:
        raise ResultFileError(f"{where}: result has no per-trial {', '.join(missing)} samples")
    # Judged against the trials the provenance records, so that a wrongly shaped array is the
    # one named, whichever it is (roi included).
    n = (result.provenance.trials,)
    wrong = [key for key, values in result.samples.items() if values.shape != n]
    if wrong and len(wrong) == len(result.samples):
        shapes = sorted({str(v.shape) for v in result.samples.values()})
        raise ResultFileError(
            f"{where}: provenance trials is {n[0]} but the samples have shape {', '.join(shapes)}"
        )
    if wrong:
        key = wrong[0]
        raise ResultFileError(
            f"{where}: samples {key!r} have shape {result.samples[key].shape}, expected {n}"
        )
    if result.net_by_month is not None and (
        result.net_by_month.ndim != 2 or result.net_by_month.shape[0] != n[0]
    ):
        raise ResultFileError(f"{where}: net_by_month has shape {result.net_by_month.shape}")


def stat(
    run: str,
    section: str,
    key: str,
    label: str,
    unit: str,
    values: np.ndarray,
    prob: tuple[float, float] | None = None,
    prob_of: str = "",
) -> Stat:
    """One interval row: :func:`~simroi.analysis.summary.interval` of ``values`` (shape
    (trials,)), with the probability ``prob`` (value, s.e.) of the event named ``prob_of``."""
    iv = interval(values, key)
    p, se = prob if prob is not None else (math.nan, math.nan)
    return Stat(
        run, section, key, label, unit, iv.mean, iv.p05, iv.p50, iv.p95, iv.mcse, p, se, prob_of
    )


def _histogram(roi: np.ndarray) -> Histogram:
    ok = roi[np.isfinite(roi)]
    if ok.size == 0:
        return Histogram(np.array([0.0, 1.0]), np.zeros(1, dtype=int), 0, 0, int(roi.size))
    p005, p05, p95, p995 = np.percentile(ok, [0.5, 5, 95, 99.5])
    inner = 14
    width = (p95 - p05) / inner
    if width <= 0:
        width = max(abs(p05) * 0.05, 0.01)
        edges = p05 + width * np.arange(-2, 3) - width / 2
    else:
        left = min(8, math.ceil((p05 - p005) / width))
        right = min(8, math.ceil((p995 - p95) / width))
        edges = p05 + width * np.arange(-left, inner + right + 1)
        edges[left] = p05
        edges[left + inner] = p95
    counts, _ = np.histogram(ok, bins=edges)
    below = int((ok < edges[0]).sum())
    above = int((ok > edges[-1]).sum())
    return Histogram(edges, counts.astype(int), below, above, int(roi.size - ok.size))


def _cash(result: RunResult) -> CashBands | None:
    if result.net_by_month is None:
        return None
    cumulative = np.cumsum(result.net_by_month, axis=1)
    bands = np.percentile(cumulative, CASH_PERCENTILES, axis=0)
    terminal = result.samples.get("pv.terminal_value")
    return CashBands(
        np.arange(cumulative.shape[1]),
        {q: bands[i] for i, q in enumerate(CASH_PERCENTILES)},
        bool(terminal is not None and np.nanmedian(np.abs(terminal)) > 0),
    )


def _sensitivity(meta: dict[str, Any], where: str) -> list[Sensitivity]:
    """The tornados ``simroi sensitivity`` stored, in their stored order (biggest driver first).

    Rows hold ``low``/``high``: the output (ROI or NPV) with the input low and high; extra
    fields (``value_low``, ``value_high``, ``coefficient``, ``first_order_index``) are kept.
    """
    stored = meta.get("sensitivity")
    if not isinstance(stored, dict):
        return []
    out = []
    top = stored.get("top")
    top = top if isinstance(top, int) and not isinstance(top, bool) and top >= 1 else None
    for kind, block in (("tornado", stored), ("one-at-a-time swing", stored.get("swing"))):
        if not isinstance(block, dict):
            continue
        try:
            rows: list[dict[str, Any]] = [
                {
                    **r,
                    "input": str(r["input"]),
                    "label": str(r.get("label") or r["input"]),
                    "low": number_or_nan(r["low"]),
                    "high": number_or_nan(r["high"]),
                }
                for r in block["rows"]
            ]
            method = str(block["method"])
            base = block.get("base", stored.get("base"))
            base_value = None if base is None else float(base)
        except (KeyError, TypeError, ValueError) as exc:
            raise ResultFileError(f"{where}: malformed sensitivity table ({exc!r})") from None
        output = str(block.get("output", stored.get("output", "roi")))
        label = str(block.get("output_label") or stored.get("output_label") or output.upper())
        if label != output.upper():  # a long label explains the output: keep it with the method
            method = f"{method}; output: {label}"
            label = output.upper()
        unit = str(block.get("unit") or {"roi": "pct", "npv": "money"}.get(output, "num"))
        sens = Sensitivity(method, output, label, unit, rows, base_value, kind, top)
        if kind == "tornado":  # over the rows shown, as the terminal says it (--top)
            tied = moving_together(
                (r["label"], r["low"], r["high"], r.get("coefficient")) for r in sens.listed
            )
            sens = replace(sens, method=f"{method}; {tied}") if tied else sens
        out.append(sens)
    return out


def _objectives_all(result: RunResult) -> Probability | None:
    met = all_objectives_met(result)
    return None if met is None else probability(met)


def run_report(result: RunResult, name: str | None = None, where: str = "result") -> RunReport:
    """Summarize one run for export (raises ResultFileError when the file lacks samples)."""
    _require(result, where)
    s = result.samples
    name = name or result.provenance.scenario_name
    currency = str(result.meta.get("currency", "USD"))
    horizon = int(
        result.meta.get("horizon_months")
        or (result.net_by_month.shape[1] - 1 if result.net_by_month is not None else 0)
    )
    payback = s["payback_months"]
    threshold = payback_threshold(result)
    if threshold is None:
        threshold = horizon
    within = probability(pays_back_within(result, threshold))
    stats = [
        stat(name, "Return", "roi", "ROI", "pct", s["roi"], prob_positive(s["roi"]), "ROI > 0"),
        stat(name, "Return", "npv", "NPV", "money", s["npv"], prob_positive(s["npv"]), "NPV > 0"),
        stat(
            name,
            "Return",
            "payback_months",
            PAYBACK_LABEL,
            "months",
            payback,
            within,
            f"pays back within {counted(threshold, 'month')}",
        ),
        stat(name, "Return", "pv_benefits", "PV of benefits", "money", s["pv_benefits"]),
        stat(name, "Return", "pv_costs", "PV of costs", "money", s["pv_costs"]),
    ]
    stats += _lifetime_stats(result, name)
    known = [*LINE_ITEMS_BENEFIT, *LINE_ITEMS_COST]
    lines = listed_lines(s)
    for line in sorted(lines, key=lambda x: known.index(x) if x in known else len(known)):
        section = "Costs" if line in LINE_ITEMS_COST else "Benefits"
        stats.append(
            stat(name, section, f"pv.{line}", LINE_LABELS.get(line, line), "money", s[f"pv.{line}"])
        )
    objectives = objective_outcomes(result)
    for obj, outcome in zip(result.meta.get("objectives", []), objectives, strict=True):
        metric = obj["metric"]
        unit = {"roi": "pct", "npv": "money", "payback_months": "months"}.get(
            metric, kpi_label(metric)[1]
        )
        stats.append(
            stat(
                name,
                "Objectives",
                f"objective.{metric}",
                outcome.label,
                unit,
                metric_samples(result, metric),
                (outcome.probability, outcome.mcse),
                "met",
            )
        )
    channels = [str(c) for c in result.meta.get("channels", [])]
    kpis = [*KPI_LABELS, *EXTRA_KPI_LABELS, *SOCIAL_LABELS]

    def order(key: str) -> tuple[int, int, str]:
        # kpi.<world>.<channel>.<kpi> by channel, then KPI; kpi.<world>.<metric> last.
        parts = key.split(".")
        channel, kpi = (parts[2], parts[3]) if len(parts) == 4 else ("", parts[-1])
        rank = channels.index(channel) if channel in channels else len(channels)
        return rank, kpis.index(kpi) if kpi in kpis else len(kpis), key

    for world in ("program", "baseline"):
        for key in sorted((k for k in s if k.startswith(f"kpi.{world}.")), key=order):
            label, unit = kpi_label(key.removeprefix(f"kpi.{world}."))
            stats.append(stat(name, f"KPIs ({world})", key, label, unit, s[key]))
    iv = stats[0]
    # Payback is on cumulative cash as it comes (undiscounted), ROI on present values: a trial
    # may pay back and still have an ROI below 0, so the sentence says which it means.
    pays = (
        f"{chance(within[0])} chance it pays back within {counted(threshold, 'month')} "
        "(cumulative cash, undiscounted)."
    )
    if math.isfinite(iv.p50):
        sentence = f"ROI: median {pct(iv.p50)}, 90% interval {pct(iv.p05)} to {pct(iv.p95)}; {pays}"
    else:  # no trial has an incremental cost: ROI is undefined, NPV is not
        npv = stats[1]
        sentence = (
            f"NPV: median {fmt(npv.p50, 'money', currency)}, 90% interval "
            f"{fmt(npv.p05, 'money', currency)} to {fmt(npv.p95, 'money', currency)} "
            f"(ROI undefined: no incremental cost); {pays}"
        )
    return RunReport(
        name=name,
        result=result,
        currency=currency,
        horizon_months=horizon,
        stats=stats,
        objectives=objectives,
        objectives_all=_objectives_all(result),
        histogram=_histogram(s["roi"]),
        cash=_cash(result),
        sensitivity=_sensitivity(result.meta, where),
        tei=tei_view(result),
        payback_within=within,
        no_payback=no_payback(payback),
        sentence=sentence,
        monthly=monthly_bands(result),
    )


#: The section of the lifetime view's rows in every table.
LIFETIME_SECTION = "Return (lifetime view)"


def _lifetime_stats(result: RunResult, name: str) -> list[Stat]:
    """The lifetime view's ROI and NPV rows (none in files written before it existed)."""
    s = result.samples
    if "lifetime.roi" not in s or "lifetime.npv" not in s:
        return []
    roi, npv = s["lifetime.roi"], s["lifetime.npv"]
    return [
        stat(
            name,
            LIFETIME_SECTION,
            "lifetime.roi",
            "ROI, lifetime view",
            "pct",
            roi,
            prob_positive(roi),
            "ROI > 0",
        ),
        stat(
            name,
            LIFETIME_SECTION,
            "lifetime.npv",
            "NPV, lifetime view",
            "money",
            npv,
            prob_positive(npv),
            "NPV > 0",
        ),
    ]


def run_details(r: RunReport) -> list[str]:
    """The lines under a run's headline: NPV, P(ROI > 0), baseline, TEI view, objectives."""
    npv = r.stat("npv")
    roi = r.stat("roi")
    p = r.result.provenance
    out = [
        f"NPV: median {fmt(npv.p50, 'money', r.currency)}, 90% interval "
        f"{fmt(npv.p05, 'money', r.currency)} to {fmt(npv.p95, 'money', r.currency)}; "
        f"{chance(npv.probability)} chance NPV > 0.",
        f"{chance(roi.probability)} chance ROI > 0 "
        f"(Monte Carlo s.e. {pct(roi.probability_mcse, 1)}).",
        f"Incremental to the baseline '{p.baseline_name}' over "
        f"{counted(r.horizon_months, 'month')}; "
        f"{counted(p.trials, 'trial')}, every input drawn from its stated range.",
        f"TEI-style risk-adjusted view (benefits at P{significant(r.tei.benefit_percentile)}, "
        f"costs at P{significant(r.tei.cost_percentile)}): ROI {pct(r.tei.roi)}, "
        f"NPV {fmt(r.tei.npv, 'money', r.currency)}.",
    ]
    if r.has_lifetime:
        life = r.stat("lifetime.npv")
        out.append(
            f"Lifetime view (the customers kept valued at the horizon): NPV median "
            f"{fmt(life.p50, 'money', r.currency)}, {chance(life.probability)} chance NPV > 0. "
            + views_note(r.horizon_months)
        )
    if r.objectives_all is not None:
        out.append(
            f"{chance(r.objectives_all[0])} chance all {len(r.objectives)} objectives are "
            f"met together."
        )
    note = roi_note(interval(r.result.samples["roi"]))
    if note:
        out.append(f"{note}.")
    return out
