"""A sweep in the terminal: one row per grid point, its money with bands, its service levels
and objectives, and the two marks (the best expected NPV, the recommendation).

On a terminal too narrow for a table, no number is cut short: a band takes two or three lines
(broken after its median, then after its en dash), service levels and objectives go in two
tables, and a setting's long name folds in its header.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table

from simroi.cli.render import band, spread
from simroi.formatting import PCT_DIGITS, chance, counted, magnitude, money, pct, short_key

if TYPE_CHECKING:
    from simroi.analysis.sweep import SweepResult

__all__ = ["render_sweep"]


def _width(console: Console, table: Table) -> int:
    """The width ``table`` needs to show every cell on its lines, not what it would get."""
    unbounded = console.options.update_width(10_000)
    return Measurement.get(console, unbounded, table).maximum


def _split_band(text: str, lines: int) -> str:
    """``P50 [P5–P95]`` on one line, on two (``P50``, ``[P5–P95]``) or on three, broken after
    the en dash (``P50``, ``[P5–``, ``P95]``); any other cell as it is."""
    if lines >= 2:
        text = text.replace(" [", "\n[", 1)
    if lines >= 3:
        text = text.replace("–", "–\n", 1)
    return text


def _key_columns(table: Table, keys: Sequence[str], points: Sequence[Any]) -> None:
    """A sweep's setting columns (the header folds on a narrow terminal, the values never),
    then the marks (★ ✔) beside them, where no narrow terminal crops them."""
    for j, key in enumerate(keys):
        widest = max((len(str(p.values[j])) for p in points), default=0)
        table.add_column(short_key(key), justify="right", overflow="fold", min_width=widest)
    table.add_column("", no_wrap=True)


def render_sweep(sweep: SweepResult, console: Console) -> None:
    """Print a sweep: one row per grid point with bands, objectives and the two marks."""
    cur = sweep.currency
    keys = sweep.keys
    points = sweep.points
    objectives = sweep.objective_labels
    channels = [c for c, _ in points[0].service_levels] if points else []
    console.print(
        f"[bold]Sweep of {' × '.join(keys)}[/bold] over {len(points)} points — "
        f"{counted(sweep.trials, 'trial')} each with common random numbers (seed {sweep.seed})"
    )

    def marks(i: int) -> str:
        return ("★" if i == sweep.best_npv else "") + ("✔" if i == sweep.recommended else "")

    scale = magnitude(x for p in points for iv in (p.npv, p.pv_costs) for x in spread(iv))
    rows = [
        [
            band(p.roi, "pct", cur, None, "p50"),
            band(p.npv, "money", cur, scale, "p50"),
            money(p.pv_costs.mean, cur, scale),
            chance(p.prob_best, PCT_DIGITS),
        ]
        for p in points
    ]

    def money_table(lines: int) -> Table:
        """The money table, each band on ``lines`` lines (1, 2 or 3: see :func:`_split_band`);
        4: on three lines, without the cells' padding (the narrowest it gets)."""
        table = Table(
            title="Money, each point against its baseline: P50 [P5–P95]",
            title_justify="left",
            padding=(0, 0) if lines > 3 else (0, 1),
        )
        shown = [[_split_band(c, lines) for c in r] for r in rows]
        _key_columns(table, keys, points)
        for j, header in enumerate(("ROI", "NPV", "PV costs", "P(best)")):
            # No number is cut short: a column is at least as wide as its widest line.
            widest = max((len(line) for r in shown for line in r[j].split("\n")), default=0)
            table.add_column(header, justify="right", overflow="fold", min_width=widest)
        for i, (p, row) in enumerate(zip(points, shown, strict=True)):
            style = "bold" if i in (sweep.recommended, sweep.best_npv) else None
            table.add_row(*(str(v) for v in p.values), marks(i), *row, style=style)
        return table

    # The fewest lines a band needs on this terminal: a band has no space to wrap at but the
    # one after its median, and a number cut short ("1…" for 100.0 %) misleads.
    lines = next((n for n in (1, 2, 3) if _width(console, money_table(n)) <= console.width), 4)
    console.print(money_table(lines))
    console.print("PV costs: mean; P(best): share of trials in which the point has the highest NPV")
    # Service levels and objectives in one table, or in two when one would not fit the terminal
    # (its numbers cut to "10…").
    headers = [f"{c} SL" for c in channels] + [f"obj {i}" for i in range(1, len(objectives) + 1)]
    headers += ["all"] if objectives else []
    cells = []
    for p in points:
        service_levels = dict(p.service_levels)
        cells.append(
            [
                *(pct(service_levels[c].mean, PCT_DIGITS) for c in channels),
                *(chance(o.probability, PCT_DIGITS) for o in p.objectives),
                *([chance(p.prob_all_objectives, PCT_DIGITS)] if objectives else []),
            ]
        )

    def point_table(title: str, columns: range) -> Table:
        table = Table(title=title, title_justify="left")
        _key_columns(table, keys, points)
        for j in columns:
            widest = max(len(row[j]) for row in cells)
            table.add_column(headers[j], justify="right", no_wrap=True, min_width=widest)
        for i, p in enumerate(points):
            style = "bold" if i in (sweep.recommended, sweep.best_npv) else None
            row = [cells[i][j] for j in columns]
            table.add_row(*(str(v) for v in p.values), marks(i), *row, style=style)
        return table

    both = point_table(
        "Service level (mean over the horizon) and P(objective met)", range(len(headers))
    )
    if _width(console, both) <= console.width or not objectives:
        console.print(both)
    else:
        console.print(point_table("Service level (mean over the horizon)", range(len(channels))))
        console.print(point_table("P(objective met)", range(len(channels), len(headers))))
    for i, label in enumerate(objectives, start=1):
        console.print(f"  obj {i}: {label}", markup=False)
    if objectives:
        console.print("  all: every objective met in the same trial", markup=False)
    if points:
        best = points[sweep.best_npv]
        console.print(
            f"★ Best expected NPV: [bold]{escape(best.label)}[/bold] (mean NPV "
            f"{money(best.npv.mean, cur)}; highest NPV in {chance(best.prob_best, PCT_DIGITS)} "
            "of trials)"
        )
    mark = "✔" if sweep.recommended is not None else "✘"
    console.print(f"{mark} {sweep.note}", markup=False)
