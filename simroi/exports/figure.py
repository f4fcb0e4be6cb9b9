"""The house style of simroi's charts: figure size, colours, fonts, notes and axis formats.

Every chart is drawn on a standalone :class:`matplotlib.figure.Figure` with the Agg canvas (no
pyplot, no global state); the style applies only inside :func:`matplotlib.rc_context`. Figures are
12 × 6.4 in, the content area of a 16:9 slide, with text at 12 pt or more at that size.
"""

from __future__ import annotations

import math
import textwrap
from typing import Any

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter

from simroi.formatting import fmt, magnitude, pct
from simroi.report.run import footer
from simroi.report.types import Report

__all__ = [
    "BLUE",
    "FIGSIZE_IN",
    "GREEN",
    "GREY",
    "NAVY",
    "ORANGE",
    "PNG_DPI",
    "RED",
    "STYLE",
    "AxisFormatter",
    "axis_format",
    "mark_x",
    "note",
    "titled_figure",
    "wrap",
]

FIGSIZE_IN = (12.0, 6.4)
PNG_DPI = 200
BLUE, NAVY, GREY, ORANGE, RED, GREEN = (
    "#4F81BD",
    "#1F3A5F",
    "#B4B4B4",
    "#E46C0A",
    "#C0504D",
    "#4E8542",
)
STYLE: dict[str, Any] = {
    "font.family": ["DejaVu Sans"],
    "font.size": 15,
    "axes.titlesize": 15,
    "axes.labelsize": 15,
    "xtick.labelsize": 14,
    "ytick.labelsize": 14,
    "legend.fontsize": 13,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#E3E3E3",
    "axes.axisbelow": True,
    "svg.fonttype": "none",  # text stays text: editable, searchable, selectable
    "svg.hashsalt": "simroi",  # reproducible element ids
    # Text is text: two amounts in dollars ("$1.2M to $3.4M") are not mathematics between $s.
    "text.parse_math": False,
}


def wrap(text: str, width: int) -> str:
    """``text`` wrapped at ``width`` characters (a tick label on two lines)."""
    return "\n".join(textwrap.wrap(text, width)) or text


def titled_figure(report: Report, title: str, subtitle: str) -> tuple[Figure, Axes]:
    """A figure with a bold title, a grey subtitle (wrapped) and the provenance footer.

    Title, subtitle and footer sit outside the rectangle the constrained layout fills, so they
    never collide with the axes, whatever the length of the tick labels.
    """
    fig = Figure(figsize=FIGSIZE_IN, layout="constrained")
    FigureCanvasAgg(fig)
    height = FIGSIZE_IN[1]
    sub = [line for part in subtitle.split("\n") for line in textwrap.wrap(part, 100)]
    top = 1.0 - (0.62 + 0.27 * len(sub)) / height
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.set(rect=(0.0, 0.05, 1.0, top - 0.05))  # type: ignore[call-arg]
    fig.text(0.012, 1.0 - 0.12 / height, title, fontsize=19, fontweight="bold", ha="left", va="top")
    fig.text(
        0.012,
        1.0 - 0.56 / height,
        "\n".join(sub),
        fontsize=14,
        color="#444444",
        ha="left",
        va="top",
        linespacing=1.35,
    )
    fig.text(
        0.012,
        0.012,
        footer(report.main.result, len(report.runs)),
        fontsize=12,
        color="#666666",
        ha="left",
        va="bottom",
    )
    return fig, fig.add_subplot()


def note(ax: Axes, text: str, x: float, y: float, ha: str = "right", va: str = "top") -> None:
    """Small grey text in axes coordinates (caveats, footnotes)."""
    ax.text(x, y, text, transform=ax.transAxes, fontsize=12, color="#666666", ha=ha, va=va)


def mark_x(ax: Axes, x: float, y: float, text: str, color: str, **style: Any) -> None:
    """Label a vertical line at data ``x``, ``y`` in axes fraction."""
    options: dict[str, Any] = {"xytext": (6, 0), "va": "top", "fontsize": 13, **style}
    ax.annotate(
        text,
        (x, y),
        xycoords=("data", "axes fraction"),
        textcoords="offset points",
        color=color,
        **options,
    )


class AxisFormatter(Formatter):
    """Tick labels of one axis in ``unit``, all with one precision: the axis' own scale.

    Money and plain numbers take the unit and decimals of the largest tick
    (:func:`simroi.formatting.fmt` with ``scale``: ``$5k`` beside ``$10k``, not ``$5.0k``);
    percentages the fewest decimals (up to two) that show every tick exactly (``2.5%`` beside
    ``5.0%``).
    """

    def __init__(self, unit: str, currency: str) -> None:
        self.unit = unit
        self.currency = currency
        self.scale = 0.0
        self.digits = 0

    def set_locs(self, locs: list[float]) -> None:
        """Take the scale from the ticks about to be labelled."""
        super().set_locs(locs)
        finite = [float(v) for v in locs if math.isfinite(v)]
        self.scale = magnitude(finite)
        self.digits = next(
            (d for d in (0, 1) if all(abs(v * 100 - round(v * 100, d)) < 1e-9 for v in finite)),
            2,
        )

    def __call__(self, x: float, pos: int | None = None) -> str:
        if self.unit == "pct":
            return pct(x, self.digits)
        return fmt(x, self.unit, self.currency, scale=self.scale)


def axis_format(ax: Axes, unit: str, currency: str, axis: str = "x") -> None:
    """Label the ticks of ``ax``'s ``axis`` (``"x"`` or ``"y"``) in ``unit``, one scale for all."""
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(AxisFormatter(unit, currency))
