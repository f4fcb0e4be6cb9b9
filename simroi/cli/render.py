"""Rich rendering of summaries for the terminal. Pure presentation: takes summaries and a Console.

The library computes; this module only lays numbers out, and every number becomes text through
:mod:`simroi.formatting`, as on slides and in tables, and as in the notebook views of the
summaries (:func:`simroi.formatting.cell`). Within a table, amounts of money share one unit and
precision, that of the table's largest amount (``$65k`` beside ``$12k``, never ``$12,345.00``),
except an amount that unit would round to fewer than two digits, which keeps its own
(``$8.1k``, ``−$481``, never ``$8k`` or ``$0k``); percentages have one decimal, and intervals
read ``centre [P5–P95]``. Every function takes the
:class:`rich.console.Console` to print on, so tests can capture the output.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from simroi.analysis.summary import listed_lines, unlisted_lines_note
from simroi.formatting import (
    KPI_LABELS,
    LINE_LABELS,
    PAYBACK_LABEL,
    PCT_DIGITS,
    SOCIAL_LABELS,
    chance,
    counted,
    input_span,
    interval_text,
    magnitude,
    money,
    pct,
    signed,
    significant,
    tornado_cells,
    tornado_scale,
)
from simroi.formatting import cell as _cell
from simroi.queueing.study import study_rows

if TYPE_CHECKING:
    from simroi.analysis.breakeven import BreakevenResult
    from simroi.analysis.comparison import ComparisonResult
    from simroi.analysis.sensitivity import SensitivityResult, Tornado, TornadoRow
    from simroi.analysis.summary import Interval, RunSummary

__all__ = [
    "band",
    "render_assumptions",
    "render_breakeven",
    "render_comparison",
    "render_kpis",
    "render_queue_study",
    "render_run_summary",
    "render_scenarios",
    "render_sensitivity",
    "render_views",
    "spread",
]

#: The social-media KPIs shown under the channels' (the customer count is not a KPI here).
SOCIAL_KPIS = ("public_posts", "impressions", "sentiment")


def _ok(x: Any) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)


def spread(iv: Interval | None) -> list[float]:
    return [] if iv is None else [iv.mean, iv.p05, iv.p50, iv.p95]


#: The columns of a run's interval tables: the median first, as every other table and export
#: leads with it (the Markdown's "median (P50) | P5 | P95 | mean").
INTERVAL_COLUMNS = ("P50", "P5", "P95", "mean")


def _interval_row(
    label: str, iv: Interval, kind: str, currency: str, scale: float | None
) -> list[str]:
    return [label, *(_cell(x, kind, currency, scale) for x in (iv.p50, iv.p05, iv.p95, iv.mean))]


def band(
    iv: Interval | None, kind: str, currency: str, scale: float | None, center: str = "mean"
) -> str:
    """``center [P5–P95]`` of an interval, or an em dash."""
    if iv is None or not _ok(getattr(iv, center)):
        return "—"
    return interval_text(
        _cell(iv.p05, kind, currency, scale),
        _cell(iv.p95, kind, currency, scale),
        _cell(getattr(iv, center), kind, currency, scale),
    )


def render_run_summary(summary: RunSummary, console: Console) -> None:
    """Print a run's summary: ROI, NPV, payback, lines, TEI view, KPIs, objectives."""
    cur = summary.currency
    prov = summary.result.provenance
    console.print(
        f"[bold]{escape(prov.scenario_name)}[/bold] against "
        f"[bold]{escape(str(prov.baseline_name))}[/bold] — "
        f"{counted(summary.trials, 'trial')}, horizon "
        f"{counted(summary.horizon_months or 0, 'month')}, "
        f"engine {prov.engine}"
    )
    amounts = (summary.npv, summary.pv_benefits, summary.pv_costs)
    cash = magnitude(x for iv in amounts for x in spread(iv))
    table = Table(title="Return on investment (incremental to the baseline)", title_justify="left")
    for col in ("", *INTERVAL_COLUMNS):
        table.add_column(col, justify="right" if col else "left")
    table.add_row(*_interval_row("ROI", summary.roi, "pct", cur, None))
    table.add_row(*_interval_row("NPV", summary.npv, "money", cur, cash))
    payback = summary.payback_months
    scale = magnitude(spread(payback))
    table.add_row(*_interval_row(PAYBACK_LABEL, payback, "num", cur, scale))
    table.add_row(*_interval_row("PV benefits", summary.pv_benefits, "money", cur, cash))
    table.add_row(*_interval_row("PV costs", summary.pv_costs, "money", cur, cash))
    console.print(table)
    roi_positive = summary.prob_roi_positive
    console.print(
        f"P(ROI > 0) = [bold]{chance(roi_positive.value, PCT_DIGITS)}[/bold] "
        f"(Monte Carlo s.e. {pct(roi_positive.mcse, PCT_DIGITS)}); "
        f"P(NPV > 0) = {chance(summary.prob_npv_positive.value, PCT_DIGITS)}; "
        f"P(no payback within {counted(summary.horizon_months or 0, 'month')}) = "
        f"{chance(summary.prob_no_payback.value, PCT_DIGITS)}"
    )
    if summary.roi_note:
        console.print(f"[yellow]Note:[/yellow] {summary.roi_note}")
    render_views(summary, console)
    lines = Table(title="Benefits and costs (present value, incremental)", title_justify="left")
    for col in ("line", *INTERVAL_COLUMNS):
        lines.add_column(col, justify="right" if col != "line" else "left")
    listed = {key: summary.lines[key] for key in listed_lines(summary.result.samples)}
    scale = magnitude(x for iv in listed.values() for x in spread(iv))
    for key, iv in listed.items():
        lines.add_row(*_interval_row(LINE_LABELS.get(key, key), iv, "money", cur, scale))
    console.print(lines)
    if unlisted := unlisted_lines_note(summary.result.samples):
        console.print(unlisted)
    tei = summary.tei
    console.print(
        f"TEI-style risk-adjusted view (benefits at P{significant(tei.benefit_percentile)}, "
        f"costs at P{significant(tei.cost_percentile)}): NPV {money(tei.npv, cur)}, "
        f"ROI {pct(tei.roi, PCT_DIGITS)}"
    )
    render_kpis(summary, console)
    if summary.objectives:
        obj = Table(title="Return on objectives", title_justify="left")
        obj.add_column("objective")
        obj.add_column("P(met)", justify="right")
        obj.add_column("± s.e.", justify="right")
        for o in summary.objectives:
            obj.add_row(escape(o.label), chance(o.probability, PCT_DIGITS), pct(o.mcse, PCT_DIGITS))
        console.print(obj)
    if prov.stop_reason.startswith(("converged", "stopped")):
        console.print(f"Trials: {prov.stop_reason}")


def render_views(summary: RunSummary, console: Console) -> None:
    """The three-year (TEI) view and the lifetime view side by side, and which is the headline.

    Prints nothing for a result without the lifetime view (files written before it existed).
    """
    lifetime = summary.lifetime
    if lifetime is None:
        return
    cur = summary.currency
    horizon = summary.horizon_months
    three_year = f"{horizon}-month view (TEI, headline)" if horizon else "TEI view (headline)"
    table = Table(
        title="Two views of the return: P50 [P5–P95]", title_justify="left", show_lines=False
    )
    for col in ("", three_year, "lifetime view"):
        table.add_column(col, justify="right" if col else "left")
    cash = magnitude(x for iv in (summary.npv, lifetime.npv) for x in spread(iv))
    table.add_row(
        "ROI",
        band(summary.roi, "pct", cur, None, "p50"),
        band(lifetime.roi, "pct", cur, None, "p50"),
    )
    table.add_row(
        "NPV",
        band(summary.npv, "money", cur, cash, "p50"),
        band(lifetime.npv, "money", cur, cash, "p50"),
    )
    table.add_row(
        "P(ROI > 0)",
        chance(summary.prob_roi_positive.value, PCT_DIGITS),
        chance(lifetime.prob_roi_positive.value, PCT_DIGITS),
    )
    console.print(table)
    console.print(summary.views_note)


def render_kpis(summary: RunSummary, console: Console) -> None:
    """KPIs per channel, program beside baseline (P50 with the 90% interval)."""
    cur = summary.currency
    program = summary.kpis.get("program", {})
    baseline = summary.kpis.get("baseline", {})
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
            worlds = (program.get(key), baseline.get(key))
            scale = magnitude(x for iv in worlds for x in spread(iv))
            cells = [band(iv, kind, cur, scale, center="p50") for iv in worlds]
            table.add_row(escape(channel), label, *cells)
    for key in SOCIAL_KPIS:
        label, kind = SOCIAL_LABELS[key]
        worlds = (program.get(key), baseline.get(key))
        scale = magnitude(x for iv in worlds for x in spread(iv))
        cells = [band(iv, kind, cur, scale, center="p50") for iv in worlds]
        table.add_row("social media", label, *cells)
    console.print(table)


#: The least width the assumptions table gives its distribution and source columns before it
#: is printed as one block per input instead.
_TEXT_COLUMN = 24


def render_assumptions(rows: Sequence[dict[str, Any]], console: Console, *, title: str) -> None:
    """The assumptions table: every uncertain input with its range and source.

    Each input's key is printed whole, to be copied into ``--set``: on a terminal too narrow for
    the table beside its distributions and sources (it folded the keys mid-word), one block per
    input — the key on its own line, then the distribution with its percentiles, then the source.
    """
    numbers = [[significant(r[k]) for k in ("p05", "p50", "p95", "mean")] for r in rows]
    key = max((len(r["input"]) for r in rows), default=5)
    number = max((len(x) for row in numbers for x in row), default=4)
    if console.width < key + 4 * max(number, 4) + 2 * _TEXT_COLUMN + 3 * 7 + 1:
        console.print(title, soft_wrap=True)
        for r, (p05, p50, p95, mean) in zip(rows, numbers, strict=True):
            console.print(f"[bold]{escape(r['input'])}[/bold]", soft_wrap=True)
            console.print(
                f"  {escape(r['distribution'])}: P5 {p05}, P50 {p50}, P95 {p95}, mean {mean}"
            )
            console.print(f"  {escape(r['source'])}")
        return
    table = Table(title=title, title_justify="left")
    for col in ("input", "distribution", "P5", "P50", "P95", "mean", "source"):
        table.add_column(
            col,
            justify="right" if col in {"P5", "P50", "P95", "mean"} else "left",
            overflow="fold",
            no_wrap=col not in {"distribution", "source"},
            min_width=_TEXT_COLUMN if col in {"distribution", "source"} else None,
        )
    for r, row in zip(rows, numbers, strict=True):
        table.add_row(escape(r["input"]), escape(r["distribution"]), *row, escape(r["source"]))
    console.print(table)


def render_queue_study(data: dict[str, Any], console: Console) -> None:
    """Simulated queue KPIs with 95% intervals beside the Erlang C and Erlang A values
    (:func:`~simroi.queueing.study.study_rows`, as a notebook shows them)."""
    table = Table(
        title=f"Queue: {data['trials']:,} simulated days, engine {data['engine']}",
        title_justify="left",
    )
    for col in ("KPI", "simulated (95% CI)", "Erlang C", "Erlang A"):
        table.add_column(col, justify="left" if col == "KPI" else "right")
    for row in study_rows(data):
        table.add_row(*row)
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
        table.add_row(escape(name), escape(description))
    console.print(table)


# --- decisions: compare, sweep, sensitivity ----------------------------------------------------


def _signed(x: Any, kind: str, currency: str, scale: float | None) -> str:
    """A difference with its sign: percentage points for shares, signed money and numbers."""
    return signed(x, kind, currency, scale=scale, digits=PCT_DIGITS)


def render_comparison(comparison: ComparisonResult, console: Console) -> None:
    """Print a comparison: each metric per scenario, paired differences, P(better), P(best)."""
    # Loaded already by whoever compared (this module stays light for commands that do not).
    from simroi.report.alternatives import over_trials, worse_words

    c = comparison
    cur = c.currency
    ref = escape(c.labels[0])
    console.print(
        f"[bold]Comparison of {len(c.labels)} scenarios[/bold], each against its own baseline — "
        f"{counted(c.trials, 'trial')} with common random numbers (seed {c.seed}). "
        f"Δ is the paired difference against [bold]{ref}[/bold], trial by trial."
    )
    table = Table(
        title=f"Side by side: P50 [P5–P95]; Δ mean (95% CI), P(better than {ref})",
        title_justify="left",
    )
    table.add_column("metric", overflow="fold")
    for label in c.labels:
        table.add_column(escape(label), justify="right", overflow="fold")
    for metric in c.metrics:
        kind = metric.kind
        scale = magnitude(x for iv in metric.values for x in spread(iv))
        cells = []
        # A metric some trials leave undefined (payback beyond the horizon) says in how many
        # it is defined: its mean and Δ are over those trials only.
        defined = "pays back in" if metric.key == "payback_months" else "defined in"
        for value, diff in zip(metric.values, metric.differences, strict=True):
            # The median, as the sweep and every export lead with; the Δ is the mean
            # paired difference, whose 95% interval says how sure the comparison is.
            cell = band(value, kind, cur, scale, "p50")
            if value.defined < 1:
                cell += f"\n{defined} {pct(value.defined, PCT_DIGITS)} of trials"
            over = over_trials(metric.key, diff, c.trials) if diff is not None else ""
            if diff is not None and diff.both_defined(c.trials) == 0:
                cell += f"\nΔ — ({over})"
            elif diff is not None:
                cell += (
                    f"\nΔ {_signed(diff.mean, kind, cur, scale)} "
                    f"({_signed(diff.ci95_low, kind, cur, scale)} to "
                    f"{_signed(diff.ci95_high, kind, cur, scale)})"
                )
                if over:
                    cell += f" {over}"
            if diff is not None and diff.prob_better is not None:
                cell += f"\nP(better) {chance(diff.prob_better, PCT_DIGITS)}"
                worse = worse_words(diff, PCT_DIGITS)
                cell += f"; {worse}" if worse else ""
            cells.append(cell)
        table.add_row(metric.label, *cells)
    table.add_row(
        "[bold]P(highest NPV)[/bold]",
        *(
            f"[bold]{chance(p, PCT_DIGITS)}[/bold] ± {pct(se, PCT_DIGITS)}"
            for p, se in zip(c.prob_best, c.prob_best_mcse, strict=True)
        ),
    )
    for label, probabilities in c.objectives:
        table.add_row(f"P({escape(label)})", *(chance(p, PCT_DIGITS) for p in probabilities))
    console.print(table)
    npv = next((m for m in c.metrics if m.key == "npv"), None)
    if npv is not None and len(c.labels) > 1:
        for label, diff in zip(c.labels[1:], npv.differences[1:], strict=True):
            if diff is None:
                continue
            paired = (diff.ci95_high - diff.ci95_low) / 2
            unpaired = (diff.unpaired_ci95_high - diff.unpaired_ci95_low) / 2
            if _ok(paired) and _ok(unpaired) and paired and unpaired:
                scale = magnitude([diff.mean, paired, unpaired])
                console.print(
                    f"ΔNPV {escape(label)} vs {ref}: {_signed(diff.mean, 'money', cur, scale)} "
                    f"± {money(paired, cur, scale)} (95%, paired); independent runs would give "
                    f"± {money(unpaired, cur, scale)} "
                    f"({significant(unpaired / paired, 2)}× wider)"
                )


def _tornado_bar(low: Any, high: Any, base: Any, scale: float, width: int = 8) -> str:
    """A text bar from ``low`` to ``high`` around ``base`` (│), ``width`` cells each side."""
    if not (_ok(low) and _ok(high) and _ok(base)) or scale <= 0:
        return ""
    lo, hi = min(low, high), max(low, high)
    left = min(width, round(width * max(0.0, base - lo) / scale))
    right = min(width, round(width * max(0.0, hi - base) / scale))
    return " " * (width - left) + "█" * left + "│" + "█" * right + " " * (width - right)


def _tornado_table(
    tornado: Tornado,
    rows: Sequence[TornadoRow],
    *,
    title: str,
    sampling: bool,
    currency: str,
) -> Table:
    kind = "pct" if tornado.output == "roi" else "money"
    output = tornado.output.upper()
    base = tornado.base
    spans = [abs(v - base) for r in rows for v in (r.low, r.high) if _ok(v) and _ok(base)]
    bar_scale = max(spans, default=0.0)
    scale = tornado_scale(base, ((r.low, r.high) for r in rows))
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
    table.add_column(f"low ← {_cell(base, kind, currency, scale)} → high", no_wrap=True)
    for i, r in enumerate(rows, start=1):
        cells = [str(i), escape(r.label)]
        rho, span, share = tornado_cells(
            (r.low, r.high, r.coefficient, r.first_order_index), kind, currency, scale
        )
        if sampling:
            cells.append(rho)
        else:
            cells.append(input_span(r.value_low, r.value_high))
        cells.append(span)
        if sampling:
            cells.append(share)
        cells.append(_tornado_bar(r.low, r.high, base, bar_scale))
        table.add_row(*cells)
    return table


def render_sensitivity(sensitivity: SensitivityResult, console: Console, *, top: int = 10) -> None:
    """Print the sampling tornado and, if present, the one-at-a-time swing tornado."""
    from simroi.report.types import SAMPLING_BASE, SWING_BASE, moving_together

    run = sensitivity.run
    cur = str(run.meta.get("currency", "USD"))
    sampling = sensitivity.sampling
    console.print(
        f"[bold]What drives the {sampling.output.upper()} of "
        f"{escape(run.provenance.scenario_name)}[/bold] — {counted(run.trials, 'trial')} "
        f"(seed {run.provenance.seed})"
    )
    rows = sampling.rows[:top]
    console.print(
        _tornado_table(
            sampling,
            rows,
            title=f"Tornado from the Monte Carlo trials (top {len(rows)} of "
            f"{len(sampling.rows)} inputs)",
            sampling=True,
            currency=cur,
        )
    )
    console.print(
        f"Method: {sampling.method}. Bars start at {SAMPLING_BASE}.", markup=False, style="italic"
    )
    tied = moving_together((r.label, r.low, r.high, r.coefficient) for r in sampling.rows[:top])
    if tied:
        console.print(f"Note: {tied}.", markup=False, style="italic")
    swing = sensitivity.swing
    if swing:
        console.print(
            _tornado_table(
                swing,
                swing.rows,
                title="One-at-a-time swing tornado (for slides)",
                sampling=False,
                currency=cur,
            )
        )
        console.print(
            f"Method: {swing.method}. Bars start at {SWING_BASE}.", markup=False, style="italic"
        )
    if sensitivity.breakeven is not None:
        render_breakeven(sensitivity.breakeven, console)


def render_breakeven(breakeven: BreakevenResult, console: Console) -> None:
    """Print what would have to be true: each driver's break-even for the median NPV and for
    P(ROI > 0) = 50%, beside its current median and range, values outside the range marked:
    the cells the slide and the Markdown table show, and the runs each search took."""
    from simroi.report.alternatives import BREAKEVEN_HEADER, breakeven_cells

    table = Table(
        title="What would have to be true: the break-even value of each top driver",
        title_justify="left",
    )
    table.add_column("#", justify="right")
    table.add_column(BREAKEVEN_HEADER[0], overflow="fold")
    for name in BREAKEVEN_HEADER[1:]:
        table.add_column(name, justify="right")
    table.add_column("runs", justify="right")
    cells = breakeven_cells(breakeven)
    for i, (r, row) in enumerate(zip(breakeven.rows, cells, strict=True), start=1):
        table.add_row(str(i), *row, str(r.evaluations))
    console.print(table)
    console.print(f"Method: {breakeven.method}", markup=False, style="italic")
