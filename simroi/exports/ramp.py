"""The ramp-up chart: how the program's effect builds month by month.

Two panels side by side, each with its median and 90% band across the trials: the customers
the program keeps (program − baseline customers at each month's end, the stock whose value the
lifetime view counts at the horizon) and the incremental net cash flow of each month
(undiscounted; one-off costs at t0 are left out, so the turn of the monthly flow shows). The
numbers are the run's :class:`~simroi.analysis.monthly.MonthlyBands`, as in ``monthly.csv``
and ``simroi run --json``.
"""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, MultipleLocator

from simroi.analysis.monthly import MonthlyBands
from simroi.exports.figure import BLUE, NAVY, axis_format, titled_figure
from simroi.formatting import fmt
from simroi.report.types import Report, RunReport

__all__ = ["RAMP_METRICS", "has_ramp", "ramp_figure", "ramp_points"]

#: The monthly metrics the ramp-up shows: (metric, panel title, unit).
RAMP_METRICS = (
    ("customers_kept", "Customers kept (program − baseline)", "num"),
    ("net_cash_flow", "Net cash flow per month", "money"),
)


def has_ramp(r: RunReport) -> bool:
    """Whether the run keeps the month-by-month KPIs the ramp-up chart needs."""
    return r.monthly is not None and all(m in r.monthly.bands for m, _, _ in RAMP_METRICS)


def ramp_points(monthly: MonthlyBands, horizon: int) -> list[int]:
    """The months quoted in words beside the ramp-up: every year's end and the horizon."""
    months = [m for m in range(12, horizon + 1, 12)]
    if not months or months[-1] != horizon:
        months.append(horizon)
    return [m for m in months if 1 <= m <= len(monthly.months)]


def _panel(ax: Axes, monthly: MonthlyBands, metric: str, title: str, unit: str, cur: str) -> None:
    band = monthly.bands[metric]
    ax.fill_between(
        monthly.months, band["p05"], band["p95"], color=BLUE, alpha=0.22, lw=0, label="P5–P95"
    )
    ax.plot(monthly.months, band["p50"], color=NAVY, lw=2.6, label="median (P50)")
    ax.axhline(0, color="#333333", lw=1)
    ax.set_title(title, loc="left", fontweight="bold")
    axis_format(ax, unit, cur, "y")
    ax.set_xlabel("month")
    ax.set_xlim(1, max(int(monthly.months[-1]), 2))
    if monthly.months[-1] >= 12:
        ax.xaxis.set_major_locator(MultipleLocator(6))
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(frameon=False, loc="upper left")


def ramp_figure(report: Report) -> Figure:
    """The ramp-up of the run in focus: customers kept and monthly net cash flow, with bands."""
    r = report.main
    assert r.monthly is not None
    monthly, cur = r.monthly, r.currency
    kept = monthly.bands["customers_kept"]["p50"]
    flow = monthly.bands["net_cash_flow"]["p50"]
    quoted = ramp_points(monthly, len(monthly.months))
    words = "; ".join(
        f"month {m}: {fmt(kept[m - 1], 'num', cur)} kept, {fmt(flow[m - 1], 'money', cur)}"
        for m in quoted
    )
    terminal = (
        " · the last month's step is the terminal value"
        if r.cash is not None and r.cash.includes_terminal_value
        else ""
    )
    where = f" ({r.name})" if len(report.runs) > 1 else ""
    subtitle = (
        f"medians — {words} · bands: 90% of trials · incremental to the baseline, "
        f"undiscounted{terminal}"
    )
    fig, ax = titled_figure(
        report,
        f"Ramp-up{where}: the effect builds month by month",
        subtitle,
    )
    ax.remove()
    left, right = fig.subplots(1, 2)
    for axes, (metric, title, unit) in zip((left, right), RAMP_METRICS, strict=True):
        _panel(axes, monthly, metric, title, unit, cur)
    return fig
