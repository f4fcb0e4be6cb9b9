"""Synthetic result objects for tests that must not depend on the queue engine.

Realistic per-trial arrays with the shapes, keys and meta that :func:`simroi.execution.runner.run`
writes; the fixtures in ``conftest.py`` and a few tests build on them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simroi.execution.result import Provenance, RunResult

SYNTHETIC_CHANNELS = ("phone", "email", "social")


SYNTHETIC_KPIS = {
    "service_level": (0.8, 0.05),
    "abandonment": (0.06, 0.02),
    "asa_seconds": (25.0, 8.0),
    "response_p90_hours": (0.9, 0.3),
    "occupancy": (0.82, 0.05),
    "fcr": (0.7, 0.05),
    "cost_per_contact": (6.5, 0.8),
    "offered_per_month": (21_000.0, 3_000.0),
}


def synthetic_provenance(
    name: str = "social-care", trials: int = 400, seed: int = 20240611
) -> Provenance:
    """Provenance as the runner records it."""
    return Provenance(
        simroi_version="0.1.0",
        numpy_version=np.__version__,
        seed=seed,
        trials=trials,
        block_size=200,
        engine="compiled",
        sampling="lhs",
        scenario_name=name,
        scenario_hash="9f2c4e1a7b3d5c6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6",
        scenario_source=f"scenarios/{name}.toml",
        baseline_name="no-social-care",
        created_utc="2025-01-15T09:30:00+00:00",
    )


def make_synthetic_run(
    *,
    trials: int = 400,
    seed: int = 20240611,
    agents: float = 1.0,
    name: str = "social-care",
    sensitivity: bool = False,
    horizon: int = 36,
) -> RunResult:
    """A run whose arrays obey the model's accounting identities.

    Per trial: monthly benefit lines and agent and tool costs, t0 setup and training; PV at a
    sampled discount rate; ``roi = npv / pv_costs``; payback from the cumulative net cash flow the
    way :mod:`simroi.model.block` computes it. ``agents`` scales the team (benefits saturate, costs
    do not), so runs built with the same ``seed`` share their random numbers like a sweep.
    """
    rng = np.random.default_rng(seed)
    n = trials
    discount = rng.triangular(0.08, 0.10, 0.12, n)
    margin = rng.triangular(4.2, 7.5, 13.3, n)
    reach = rng.lognormal(0.0, 0.35, n)
    wom = rng.normal(0.0, 1.0, n)
    cost_hour = rng.triangular(29.4, 38.0, 44.0, n)
    shrinkage = rng.triangular(0.25, 0.32, 0.38, n)
    deflected = rng.triangular(0.0, 0.3, 1.0, n)
    saturation = 1.0 - np.exp(-agents / 1.2)
    months = np.arange(1, horizon + 1)
    ramp = 1.0 - np.exp(-months / 4.0)
    monthly = {
        "retained_margin": (9_000.0 * margin * reach * saturation)[:, None] * ramp,
        "word_of_mouth": (2_500.0 * wom * saturation)[:, None] * ramp,
        "spend_uplift": (900.0 * reach * saturation)[:, None] * ramp,
        "deflection_savings": (3_000.0 * deflected * saturation)[:, None] * ramp,
        "repeat_contact_savings": (700.0 * reach * saturation)[:, None] * ramp,
        "staffing_savings": np.zeros((n, horizon)),
        "terminal_value": np.zeros((n, horizon)),
        "agents": (agents * 14 * 30.4 * cost_hour / (1 - shrinkage))[:, None] * np.ones(horizon),
        "tools": np.full((n, horizon), 1_500.0),
    }
    monthly["terminal_value"][:, -1] = 60_000.0 * margin * reach * saturation
    t0 = {"setup": np.full(n, 25_000.0), "training": np.full(n, 8_000.0 * agents)}
    factor = (1.0 + ((1.0 + discount) ** (1 / 12) - 1.0))[:, None] ** -months[None, :]
    pv = {line: (flow * factor).sum(axis=1) for line, flow in monthly.items()}
    pv.update(t0)
    benefit_lines = (
        "retained_margin",
        "word_of_mouth",
        "spend_uplift",
        "deflection_savings",
        "repeat_contact_savings",
        "staffing_savings",
        "terminal_value",
    )
    pv_benefits = sum(pv[k] for k in benefit_lines)
    pv_costs = pv["agents"] + pv["tools"] + pv["setup"] + pv["training"]
    npv = pv_benefits - pv_costs
    benefits = sum(monthly[k] for k in benefit_lines)
    net = np.concatenate(
        [-(t0["setup"] + t0["training"])[:, None], benefits - monthly["agents"] - monthly["tools"]],
        axis=1,
    )
    cumulative = np.cumsum(net, axis=1)
    negative = cumulative < 0
    last_negative = horizon - np.argmax(negative[:, ::-1], axis=1)
    payback = np.where(
        negative[:, -1], np.nan, np.where(negative.any(axis=1), last_negative + 1, 0)
    ).astype(float)
    samples: dict[str, np.ndarray] = {
        "roi": npv / pv_costs,
        "npv": npv,
        "payback_months": payback,
        "pv_benefits": pv_benefits,
        "pv_costs": pv_costs,
    }
    samples.update({f"pv.{k}": v for k, v in pv.items()})
    for world, lift in (("program", 1.0), ("baseline", 0.0)):
        for channel in SYNTHETIC_CHANNELS:
            for kpi, (mean, sd) in SYNTHETIC_KPIS.items():
                samples[f"kpi.{world}.{channel}.{kpi}"] = rng.normal(mean, sd, n)
        samples[f"kpi.{world}.public_posts"] = rng.normal(1_800.0, 200.0, n)
        samples[f"kpi.{world}.impressions"] = rng.lognormal(11.0, 0.4, n)
        samples[f"kpi.{world}.sentiment"] = rng.normal(0.3 * lift - 0.2, 0.1, n)
    # The social team's size drives its service level; the baseline answers nobody.
    samples["kpi.program.social.service_level"] = np.clip(
        rng.normal(min(0.55 + 0.12 * agents, 0.97), 0.05, n), 0.0, 1.0
    )
    samples["kpi.baseline.social.service_level"] = np.zeros(n)
    samples.update(
        {
            "input.scenario.discount_rate": discount,
            "input.customers.monthly_margin_per_customer": margin,
            "input.channels.social.cost_per_agent_hour": cost_hour,
            "input.channels.social.shrinkage": shrinkage,
            "input.deflection.contacts_deflected_per_public_answer": deflected,
        }
    )
    # The lifetime view: the customers kept, valued at the horizon, on top of the TEI NPV.
    kept_value = 40_000.0 * margin * reach * saturation
    samples["lifetime.npv"] = npv - pv["terminal_value"] + kept_value
    samples["lifetime.roi"] = samples["lifetime.npv"] / pv_costs
    kept = (250.0 * reach * saturation)[:, None] * months[None, :] * ramp
    by_month = {
        "program.social.service_level": np.clip(
            samples["kpi.program.social.service_level"][:, None] * ramp, 0.0, 1.0
        ),
        "program.social.agents": np.full((n, horizon), 1.45 * agents),
        "program.customers": 500_000.0 + kept,
        "baseline.customers": np.full((n, horizon), 500_000.0),
        "customers_kept": kept,
        "net_cash_flow": net[:, 1:],
        "cumulative_net_cash_flow": cumulative[:, 1:],
    }
    monthly_kpis = {k: v.astype(np.float32) for k, v in by_month.items()}
    meta: dict[str, Any] = {
        "description": "Mid-size consumer brand starts a social care team "
        "(baseline: social posts go unanswered)",
        "currency": "USD",
        "horizon_months": horizon,
        "channels": list(SYNTHETIC_CHANNELS),
        "objectives": [
            {
                "label": "Social SLA: 80% answered within 1 h",
                "metric": "social.service_level",
                "op": ">=",
                "bound": 0.8,
            },
            {
                "label": "Phone abandonment at most 8%",
                "metric": "phone.abandonment",
                "op": "<=",
                "bound": 0.08,
            },
            {
                "label": "The program pays for itself (ROI > 0)",
                "metric": "roi",
                "op": ">=",
                "bound": 0.0,
            },
        ],
        "assumptions": synthetic_assumptions(),
    }
    if sensitivity:
        meta["sensitivity"] = synthetic_sensitivity()
    provenance = synthetic_provenance(name, n, seed)
    return RunResult(provenance, samples, net, meta, monthly=monthly_kpis)


def synthetic_assumptions() -> list[dict[str, Any]]:
    """Rows shaped like :func:`simroi.scenario.spec.assumptions` output."""
    rows = [
        (
            "scenario.discount_rate",
            "triangular(low=0.08, mode=0.1, high=0.12)",
            (0.0863, 0.1, 0.1137, 0.1),
            "ASSUMPTION: cost of capital; TEI uses 10%",
        ),
        (
            "customers.monthly_margin_per_customer",
            "triangular(low=4.2, mode=7.5, high=13.3)",
            (5.425, 8.163, 11.68, 8.333),
            "ASSUMPTION: $50-160/yr margin",
        ),
        (
            "customers.monthly_churn",
            "PERT(0.0134, 0.0237, 0.0353)",
            (0.01721, 0.02387, 0.0308, 0.02392),
            "ASSUMPTION: annual retention 65-85% (CLV multiple 1.4-3.4, Gupta & Lehmann 2003)",
        ),
        (
            "channels.social.cost_per_agent_hour",
            "triangular(low=29.4, mode=38, high=44)",
            (31.5, 37.2, 42.1, 37.1),
            "BLS CSR median $20.59/h x benefits 1.43 (BLS ECEC) x overhead 1.15-1.6 (ASSUMPTION)",
        ),
        (
            "channels.social.shrinkage",
            "triangular(low=0.25, mode=0.32, high=0.38)",
            (0.265, 0.318, 0.362, 0.317),
            "30-35% typical (GoTo)",
        ),
        (
            "deflection.contacts_deflected_per_public_answer",
            "triangular(low=0, mode=0.3, high=1)",
            (0.0774, 0.4084, 0.8268, 0.4333),
            "ASSUMPTION: others with the same question read the answer",
        ),
    ]
    return [
        {
            "input": k,
            "distribution": d,
            "p05": q[0],
            "p50": q[1],
            "p95": q[2],
            "mean": q[3],
            "source": src,
        }
        for k, d, q, src in rows
    ]


def synthetic_sensitivity() -> dict[str, Any]:
    """A ``meta["sensitivity"]`` table shaped as :func:`simroi.analysis.sensitivity.run_sensitivity`
    stores it: ``low``/``high`` are the output with the input low and high, ``base`` the output
    the bars are measured against, rows in the method's order."""
    rank = [
        ("customers.monthly_margin_per_customer", "monthly margin per customer", 0.55, 1.62, 0.62),
        ("deflection.contacts_deflected_per_public_answer", "contacts deflected", 0.8, 1.3, 0.3),
        ("channels.social.cost_per_agent_hour", "social: cost per agent hour", 1.12, 0.9, -0.15),
        ("scenario.discount_rate", "discount rate", 1.03, 0.98, -0.02),
    ]
    swing = [
        ("customers.monthly_margin_per_customer", "monthly margin per customer", 0.35, 2.1),
        ("channels.social.cost_per_agent_hour", "social: cost per agent hour", 1.4, 0.9),
    ]
    return {
        "method": "sampling tornado: mean ROI of the trials in each input's bottom and top "
        "decile (change in output mean; respects input correlations)",
        "output": "roi",
        "output_label": "ROI",
        "base": 1.0,
        "trials": 400,
        "rows": [
            {
                "input": i,
                "label": lab,
                "low": lo,
                "high": hi,
                "value_low": 0.0,
                "value_high": 1.0,
                "swing": abs(hi - lo),
                "coefficient": rho,
                "coefficient_ci95": [rho - 0.1, rho + 0.1],
                "first_order_index": rho * rho,
            }
            for i, lab, lo, hi, rho in rank
        ],
        "swing": {
            "method": "one-at-a-time swing: each input at its P10 and P90, all other uncertain "
            "inputs at their medians (ignores correlations and orderings)",
            "output": "roi",
            "output_label": "ROI",
            "base": 1.1,
            "trials": 200,
            "rows": [
                {
                    "input": i,
                    "label": lab,
                    "low": lo,
                    "high": hi,
                    "value_low": 0.0,
                    "value_high": 1.0,
                    "swing": abs(hi - lo),
                }
                for i, lab, lo, hi in swing
            ],
        },
    }
