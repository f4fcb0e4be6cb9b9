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

from simroi.formatting import KPI_LABELS, LINE_LABELS

__all__ = [
    "money",
    "pct",
    "render_assumptions",
    "render_queue_study",
    "render_run_summary",
    "render_scenarios",
]


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


def render_run_summary(summary: dict[str, Any], console: Console) -> None:
    """Print a run's summary: ROI, NPV, payback, lines, TEI view, KPIs, objectives."""
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
        table.add_column(
            col, justify="right" if col in {"P5", "P50", "P95", "mean"} else "left", overflow="fold"
        )
    for r in rows:
        table.add_row(
            r["input"],
            r["distribution"],
            *(f"{r[k]:.4g}" for k in ("p05", "p50", "p95", "mean")),
            r["source"],
        )
    console.print(table)


def render_queue_study(data: dict[str, Any], console: Console) -> None:
    """Simulated queue KPIs with 95% intervals beside the Erlang C and Erlang A values."""
    sim, c, a = data["simulated"], data["erlang_c"], data["erlang_a"]
    table = Table(
        title=f"Queue: {data['trials']:,} simulated days, engine {data['engine']}",
        title_justify="left",
    )
    for col in ("KPI", "simulated (95% CI)", "Erlang C", "Erlang A"):
        table.add_column(col, justify="left" if col == "KPI" else "right")
    rows = (
        ("service level", "service_level", "pct"),
        ("abandonment", "abandonment", "pct"),
        ("ASA of answered (s)", "asa_seconds", "num2"),
        ("occupancy", "occupancy", "pct"),
    )
    for label, key, kind in rows:
        s = sim[key]
        lo, hi = s["ci95"]
        cell = f"{_fmt(s['mean'], kind, 'USD')} [{_fmt(lo, kind, 'USD')}, {_fmt(hi, kind, 'USD')}]"
        c_val = (
            "—"
            if c is None
            else _fmt(c.get(key, 0.0 if key == "abandonment" else None), kind, "USD")
        )
        a_val = "—" if a is None else _fmt(a.get(key), kind, "USD")
        table.add_row(label, cell, c_val, a_val)
    console.print(table)
    console.print(
        "Erlang values are steady state; a simulated day starts empty (see --warmup-minutes). "
        f"Seed {data['seed']}."
    )


def render_scenarios(rows: Sequence[tuple[str, str]], console: Console) -> None:
    """The bundled scenarios, one line each."""
    table = Table(
        title="Bundled scenarios (use the name or a path with any command)", title_justify="left"
    )
    table.add_column("name")
    table.add_column("description")
    for name, description in rows:
        table.add_row(name, description)
    console.print(table)


# --- decisions: compare, sweep, sensitivity ----------------------------------------------------

__all__ += ["render_comparison", "render_sensitivity", "render_sweep"]


def _signed(x: Any, kind: str, currency: str) -> str:
    """A difference with its sign: percentage points for shares, signed money and numbers."""
    if not _ok(x):
        return "—"
    if kind == "pct":
        return f"{x * 100:+.1f} pp"
    if kind == "money":
        text = money(abs(x), currency)
        return f"{'+' if x >= 0 else '-'}{text}"
    if kind == "num2":
        return f"{x:+.2f}"
    return f"{x:+,.0f}" if abs(x) >= 10 else f"{x:+.2f}"


def _band(iv: dict[str, Any] | None, kind: str, currency: str, center: str = "mean") -> str:
    """``center [P5–P95]`` of an interval dict, or an em dash."""
    if not iv or not _ok(iv.get(center)):
        return "—"
    return (
        f"{_fmt(iv[center], kind, currency)} "
        f"[{_fmt(iv.get('p05'), kind, currency)}–{_fmt(iv.get('p95'), kind, currency)}]"
    )


def render_comparison(data: dict[str, Any], console: Console, *, command: str = "") -> None:
    """Print a comparison: each metric per scenario, paired differences, P(better), P(best)."""
    cur = data.get("currency", "USD")
    scenarios = data["scenarios"]
    ref = data["reference"]
    console.print(
        f"[bold]Comparison of {len(scenarios)} scenarios[/bold], each against its own baseline — "
        f"{data['trials']:,} trials with common random numbers (seed {data['seed']}). "
        f"Δ is the paired difference against [bold]{ref}[/bold], trial by trial."
    )
    table = Table(
        title=f"Side by side: mean [P5–P95]; Δ mean (95% CI), P(better than {ref})",
        title_justify="left",
    )
    table.add_column("metric")
    for s in scenarios:
        table.add_column(s["label"], justify="right", overflow="fold")
    for metric in data["metrics"].values():
        kind = metric["kind"]
        cells = []
        for value, diff in zip(metric["values"], metric["differences"], strict=True):
            cell = _band(value, kind, cur)
            if diff is not None:
                low, high = diff["ci95_low"], diff["ci95_high"]
                cell += (
                    f"\nΔ {_signed(diff['mean'], kind, cur)} "
                    f"({_signed(low, kind, cur)} to {_signed(high, kind, cur)})"
                )
                if diff.get("prob_better") is not None:
                    cell += f"\nP(better) {pct(diff['prob_better'], 1)}"
            cells.append(cell)
        table.add_row(metric["label"], *cells)
    table.add_row(
        "[bold]P(highest NPV)[/bold]",
        *(
            f"[bold]{pct(s['prob_best'], 1)}[/bold] ± {pct(s['prob_best_mcse'], 1)}"
            for s in scenarios
        ),
    )
    labels = list(dict.fromkeys(k for s in scenarios for k in s["objectives"]))
    for label in labels:
        table.add_row(f"P({label})", *(pct(s["objectives"].get(label), 1) for s in scenarios))
    console.print(table)
    npv = data["metrics"].get("npv")
    if npv is not None and len(scenarios) > 1:
        for s, diff in zip(scenarios[1:], npv["differences"][1:], strict=True):
            paired = (diff["ci95_high"] - diff["ci95_low"]) / 2 if _ok(diff["ci95_high"]) else None
            unpaired = (
                (diff["unpaired_ci95_high"] - diff["unpaired_ci95_low"]) / 2
                if _ok(diff["unpaired_ci95_high"])
                else None
            )
            if paired and unpaired:
                console.print(
                    f"ΔNPV {s['label']} vs {ref}: {_signed(diff['mean'], 'money', cur)} "
                    f"± {money(paired, cur)} (95%, paired); independent runs would give "
                    f"± {money(unpaired, cur)} ({unpaired / paired:.1f}× wider)"
                )
    if command:
        console.print(f"Replay exactly: [bold]{command}[/bold]")


def _sweep_key_header(key: str) -> str:
    """The last two parts of a swept key (``channels.social.agents`` → ``social.agents``)."""
    parts = key.split(".")
    return ".".join(parts[-2:])


def render_sweep(data: dict[str, Any], console: Console, *, command: str = "") -> None:
    """Print a sweep: one row per grid point with bands, objectives and the two marks."""
    cur = data.get("currency", "USD")
    keys = data["keys"]
    points = data["points"]
    objectives = data.get("objectives", [])
    channels = list(points[0]["service_level"]) if points else []
    console.print(
        f"[bold]Sweep of {' × '.join(keys)}[/bold] over {len(points)} points — "
        f"{data['trials']:,} trials each with common random numbers (seed {data['seed']})"
    )

    def marks(p: dict[str, Any]) -> str:
        return ("★" if p["best_npv"] else "") + ("✔" if p["recommended"] else "")

    money_table = Table(
        title="Money, each point against its baseline: P50 [P5–P95]", title_justify="left"
    )
    service = Table(
        title="Service level (mean over the horizon) and P(objective met)", title_justify="left"
    )
    for table in (money_table, service):
        for key in keys:
            table.add_column(_sweep_key_header(key), justify="right", no_wrap=True)
    money_table.add_column("ROI", justify="right")
    money_table.add_column("NPV", justify="right")
    money_table.add_column("PV costs", justify="right")
    money_table.add_column("P(best)", justify="right")
    for channel in channels:
        service.add_column(f"{channel} SL", justify="right")
    for i, _ in enumerate(objectives, start=1):
        service.add_column(f"obj {i}", justify="right")
    if objectives:
        service.add_column("all", justify="right")
    for table in (money_table, service):
        table.add_column("", no_wrap=True)
    for p in points:
        style = "bold" if p["recommended"] or p["best_npv"] else None
        values = [str(p["values"][k]) for k in keys]
        money_table.add_row(
            *values,
            _band(p["roi"], "pct", cur, "p50"),
            _band(p["npv"], "money", cur, "p50"),
            money(p["pv_costs"]["mean"], cur),
            pct(p["prob_best_npv"], 0),
            marks(p),
            style=style,
        )
        service.add_row(
            *values,
            *(pct(p["service_level"][c]["mean"], 1) for c in channels),
            *(pct(o["probability"], 0) for o in p["objectives"]),
            *([pct(p["prob_all_objectives"], 0)] if objectives else []),
            marks(p),
            style=style,
        )
    console.print(money_table)
    console.print("PV costs: mean; P(best): share of trials in which the point has the highest NPV")
    console.print(service)
    for i, label in enumerate(objectives, start=1):
        console.print(f"  obj {i}: {label}", markup=False)
    if objectives:
        console.print("  all: every objective met in the same trial", markup=False)
    best = data["best_npv"]
    if best is not None:
        point = points[best["index"]]
        console.print(
            f"★ Best expected NPV: [bold]{best['label']}[/bold] (mean NPV "
            f"{money(point['npv']['mean'], cur)}; highest NPV in {pct(point['prob_best_npv'], 0)} "
            "of trials)"
        )
    mark = "✔" if data["recommended"] is not None else "✘"
    console.print(f"{mark} {data['recommendation']}", markup=False)
    if command:
        console.print(f"Replay exactly: [bold]{command}[/bold]")


def _tornado_bar(low: Any, high: Any, base: Any, scale: float, width: int = 8) -> str:
    """A text bar from ``low`` to ``high`` around ``base`` (│), ``width`` cells each side."""
    if not (_ok(low) and _ok(high) and _ok(base)) or scale <= 0:
        return ""
    lo, hi = min(low, high), max(low, high)
    left = min(width, round(width * max(0.0, base - lo) / scale))
    right = min(width, round(width * max(0.0, hi - base) / scale))
    return " " * (width - left) + "█" * left + "│" + "█" * right + " " * (width - right)


def _tornado_table(
    block: dict[str, Any],
    rows: Sequence[dict[str, Any]],
    *,
    title: str,
    sampling: bool,
    currency: str,
) -> Table:
    kind = "pct" if block["output"] == "roi" else "money"
    output = block["output"].upper()
    base = block.get("base")
    spans = [abs(v - base) for r in rows for v in (r["low"], r["high"]) if _ok(v) and _ok(base)]
    scale = max(spans, default=0.0)
    table = Table(title=title, title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("input", overflow="fold")
    if sampling:
        table.add_column("ρ", justify="right")
        table.add_column(f"{output}: bottom → top decile", justify="right")
        table.add_column("var. share", justify="right")
    else:
        table.add_column("input: P10 → P90", justify="right")
        table.add_column(f"{output}: at P10 → at P90", justify="right")
    table.add_column(f"low ← {_fmt(base, kind, currency)} → high", no_wrap=True)
    for i, r in enumerate(rows, start=1):
        cells = [str(i), r["label"]]
        if sampling:
            coef = r.get("coefficient")
            cells.append(f"{coef:+.2f}" if _ok(coef) else "—")
        else:
            lo, hi = r.get("value_low"), r.get("value_high")
            cells.append(f"{lo:.4g} → {hi:.4g}" if _ok(lo) and _ok(hi) else "—")
        cells.append(f"{_fmt(r['low'], kind, currency)} → {_fmt(r['high'], kind, currency)}")
        if sampling:
            cells.append(pct(r.get("first_order_index"), 1))
        cells.append(_tornado_bar(r["low"], r["high"], base, scale))
        table.add_row(*cells)
    return table


def render_sensitivity(
    data: dict[str, Any], console: Console, *, top: int = 10, command: str = ""
) -> None:
    """Print the sampling tornado and, if present, the one-at-a-time swing tornado."""
    cur = data.get("currency", "USD")
    console.print(
        f"[bold]What drives the {data['output'].upper()} of {data['scenario']}[/bold] — "
        f"{data['trials']:,} trials (seed {data['seed']})"
    )
    rows = data["rows"][:top]
    console.print(
        _tornado_table(
            data,
            rows,
            title=f"Tornado from the Monte Carlo trials (top {len(rows)} of "
            f"{len(data['rows'])} inputs)",
            sampling=True,
            currency=cur,
        )
    )
    console.print(f"Method: {data['method']}", markup=False, style="italic")
    swing = data.get("swing")
    if swing:
        console.print(
            _tornado_table(
                swing,
                swing["rows"],
                title="One-at-a-time swing tornado (for slides)",
                sampling=False,
                currency=cur,
            )
        )
        console.print(f"Method: {swing['method']}", markup=False, style="italic")
    if command:
        console.print(f"Replay exactly: [bold]{command}[/bold]")
