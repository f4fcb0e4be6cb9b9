"""Rich rendering of summaries for the terminal. Pure presentation: takes data and a Console.

The library computes; this module only lays numbers out. Every function takes the
:class:`rich.console.Console` to print on, so tests can capture the output.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

__all__ = ["money", "pct", "render_assumptions", "render_run_summary", "render_scenarios"]

KPI_LABELS = {
    "service_level": ("Service level", "pct"),
    "abandonment": ("Abandoned / ignored", "pct"),
    "asa_seconds": ("Mean wait of answered (s)", "num"),
    "response_p90_hours": ("P90 response time (h)", "num2"),
    "occupancy": ("Occupancy", "pct"),
    "fcr": ("First-contact resolution", "pct"),
    "cost_per_contact": ("Agent cost per answered contact", "money"),
    "offered_per_month": ("Contacts offered / month", "num"),
}
LINE_LABELS = {
    "retained_margin": "Retained margin (churn avoided)",
    "word_of_mouth": "Word-of-mouth customers (net of acquisition cost)",
    "spend_uplift": "Spend uplift",
    "deflection_savings": "Deflection savings",
    "repeat_contact_savings": "Repeat-contact savings",
    "terminal_value": "Terminal value (CLV at horizon)",
    "agents": "Agent cost",
    "tools": "Tools and licences",
    "setup": "Setup (t0)",
    "training": "Training (t0)",
}


def _ok(x: Any) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)


def pct(x: Any, digits: int = 0) -> str:
    """A share as a percentage, or an em dash when undefined."""
    return f"{x * 100:.{digits}f}%" if _ok(x) else "—"


def money(x: Any, currency: str = "USD") -> str:
    """An amount with thousands separators, compact above a million."""
    if not _ok(x):
        return "—"
    symbol = "$" if currency == "USD" else f"{currency} "
    sign = "-" if x < 0 else ""
    x = abs(x)
    if x >= 1e6:
        return f"{sign}{symbol}{x / 1e6:.2f}M"
    if x >= 1e4:
        return f"{sign}{symbol}{x / 1e3:.0f}k"
    return f"{sign}{symbol}{x:,.2f}"


def _fmt(x: Any, kind: str, currency: str) -> str:
    if kind == "pct":
        return pct(x, 1)
    if kind == "money":
        return money(x, currency)
    if kind == "num2":
        return f"{x:.2f}" if _ok(x) else "—"
    return f"{x:,.0f}" if _ok(x) else "—"


def _interval_row(label: str, iv: dict[str, Any], kind: str, currency: str) -> list[str]:
    return [label, *(_fmt(iv.get(k), kind, currency) for k in ("mean", "p05", "p50", "p95"))]


def render_run_summary(summary: dict[str, Any], console: Console, *, source: str = "") -> None:
    """Print a run's summary: ROI, NPV, payback, lines, TEI view, KPIs, objectives, replay line."""
    cur = summary.get("currency", "USD")
    sc = summary["scenario"]
    console.print(
        f"[bold]{sc['name']}[/bold] against [bold]{sc['baseline']}[/bold] — "
        f"{summary['trials']:,} trials, horizon {summary['horizon_months']} months, "
        f"engine {summary['engine']}"
    )
    roi, npv, pay = summary["roi"], summary["npv"], summary["payback_months"]
    table = Table(title="Return on investment (incremental to the baseline)", title_justify="left")
    for col in ("", "mean", "P5", "P50", "P95"):
        table.add_column(col, justify="right" if col else "left")
    table.add_row(*_interval_row("ROI", roi, "pct", cur))
    table.add_row(*_interval_row("NPV", npv, "money", cur))
    table.add_row(*_interval_row("Payback (months)", pay, "num", cur))
    table.add_row(*_interval_row("PV benefits", summary["pv_benefits"], "money", cur))
    table.add_row(*_interval_row("PV costs", summary["pv_costs"], "money", cur))
    console.print(table)
    console.print(
        f"P(ROI > 0) = [bold]{pct(roi['prob_positive'], 1)}[/bold] "
        f"(Monte Carlo s.e. {pct(roi['prob_positive_mcse'], 2)}); "
        f"P(NPV > 0) = {pct(npv['prob_positive'], 1)}; "
        f"P(no payback within {summary['horizon_months']} months) = "
        f"{pct(pay['prob_no_payback'], 1)}"
    )
    if roi.get("note"):
        console.print(f"[yellow]Note:[/yellow] {roi['note']}")
    lines = Table(title="Benefits and costs (present value, incremental)", title_justify="left")
    for col in ("line", "mean", "P5", "P50", "P95"):
        lines.add_column(col, justify="right" if col != "line" else "left")
    for key, iv in summary["lines"].items():
        lines.add_row(*_interval_row(LINE_LABELS.get(key, key), iv, "money", cur))
    console.print(lines)
    tei = summary["tei"]
    console.print(
        f"TEI-style risk-adjusted view (benefits at P{tei['benefit_percentile']:g}, costs at "
        f"P{tei['cost_percentile']:g}): NPV {money(tei['npv'], cur)}, ROI {pct(tei['roi'])}"
    )
    render_kpis(summary, console)
    if summary["objectives_detail"]:
        obj = Table(title="Return on objectives", title_justify="left")
        obj.add_column("objective")
        obj.add_column("P(met)", justify="right")
        obj.add_column("± s.e.", justify="right")
        for o in summary["objectives_detail"]:
            obj.add_row(o["name"], pct(o["probability"], 1), pct(o["mcse"], 1))
        console.print(obj)
    if summary.get("stop_reason", "").startswith(("converged", "stopped")):
        console.print(f"Trials: {summary['stop_reason']}")
    replay = f"simroi run {source} --seed {summary['seed']} --trials {summary['trials']}".replace(
        "  ", " "
    )
    console.print(f"Replay exactly: [bold]{replay}[/bold]")


def render_kpis(summary: dict[str, Any], console: Console) -> None:
    """KPIs per channel, program beside baseline (P50 with the 90% interval)."""
    cur = summary.get("currency", "USD")
    kpis = summary["kpis"]
    program = kpis.get("program", {})
    baseline = kpis.get("baseline", {})
    channels = sorted({k.split(".")[0] for k in program if "." in k})
    table = Table(title="Operational KPIs over the horizon: P50 [P5–P95]", title_justify="left")
    table.add_column("channel")
    table.add_column("KPI")
    table.add_column("program", justify="right")
    table.add_column("baseline", justify="right")
    for channel in channels:
        for kpi, (label, kind) in KPI_LABELS.items():
            key = f"{channel}.{kpi}"
            if key not in program:
                continue
            cells = []
            for world in (program, baseline):
                iv = world.get(key)
                if iv is None or not _ok(iv.get("p50")):
                    cells.append("—")
                else:
                    cells.append(
                        f"{_fmt(iv['p50'], kind, cur)} [{_fmt(iv['p05'], kind, cur)}–"
                        f"{_fmt(iv['p95'], kind, cur)}]"
                    )
            table.add_row(channel, label, *cells)
    for key, label, kind in (
        ("public_posts", "Public posts / month", "num"),
        ("impressions", "Impressions / month", "num"),
        ("sentiment", "Net sentiment of impressions", "pct"),
    ):
        cells = []
        for world in (program, baseline):
            iv = world.get(key)
            cells.append(_fmt(iv["p50"], kind, cur) if iv and _ok(iv.get("p50")) else "—")
        table.add_row("social media", label, *cells)
    console.print(table)


def render_assumptions(rows: Sequence[dict[str, Any]], console: Console, *, title: str) -> None:
    """The assumptions table: every uncertain input with its range and source."""
    table = Table(title=title, title_justify="left")
    for col in ("input", "distribution", "P5", "P50", "P95", "mean", "source"):
        table.add_column(col, justify="right" if col in {"P5", "P50", "P95", "mean"} else "left",
                         overflow="fold")
    for r in rows:
        table.add_row(
            r["input"], r["distribution"], *(f"{r[k]:.4g}" for k in ("p05", "p50", "p95", "mean")),
            r["source"],
        )
    console.print(table)


def render_scenarios(rows: Sequence[tuple[str, str]], console: Console) -> None:
    """The bundled scenarios, one line each."""
    table = Table(title="Bundled scenarios (use the name or a path with any command)",
                  title_justify="left")
    table.add_column("name")
    table.add_column("description")
    for name, description in rows:
        table.add_row(name, description)
    console.print(table)
