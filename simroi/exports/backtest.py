"""Backtest charts: each channel's observed days over the simulated 90 % band (``--plots DIR``).

One PNG per channel and metric the data gives, ``backtest-<channel>-<metric>.png``: the band
(P5 to P95 of the simulated days) shaded, the simulated median dashed, the observed days as dots
joined by a thin line, days outside the band in red. The subtitle gives the coverage beside what
a well calibrated model shows; the footer, what replays the figure. House style
(:mod:`simroi.exports.figure`): a standalone Agg figure, no pyplot.
"""

from __future__ import annotations

import io
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, cast

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure

from simroi import __version__
from simroi.analysis.backtest import METRIC_LABELS, METRICS, BacktestResult, calibrated_range
from simroi.errors import OutputError
from simroi.execution.result import atomic_write
from simroi.exports.figure import BLUE, FIGSIZE_IN, NAVY, PNG_DPI, RED, STYLE, axis_format
from simroi.formatting import pct

__all__ = ["backtest_figure", "prepare_plots", "write_backtest_plots"]


def backtest_figure(result: BacktestResult, channel: str, metric: str) -> Figure:
    """The observed days of ``channel`` over the simulated band of ``metric``."""
    rows = result.channel == channel
    dates = result.date[rows]
    observed = result.observed[metric][rows]
    outside = result.outside(metric)[rows]
    label, unit = METRIC_LABELS[metric]
    coverage, days = result.coverage(metric, channel)
    low, high = calibrated_range(days) if days else (np.nan, np.nan)
    equal = int(result.every_trial_equal(metric, channel).sum())
    told = (
        f"{pct(coverage)} of {days} days inside the simulated 90% band (P5–P95); a well "
        f"calibrated model covers about 90% ({pct(low)}–{pct(high)} for {days} days)."
        if days
        else "Coverage n/a: no day where the simulated trials differ."
    )
    if equal:
        told += f" {equal} days where every trial gives the observed value are left out."
    subtitle = textwrap.wrap(told, 100)
    fig = Figure(figsize=FIGSIZE_IN, layout="constrained")
    FigureCanvasAgg(fig)
    height = FIGSIZE_IN[1]
    top = 1.0 - (0.62 + 0.27 * len(subtitle)) / height
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.set(rect=(0.0, 0.05, 1.0, top - 0.05))  # type: ignore[call-arg]
    fig.text(
        0.012,
        1.0 - 0.12 / height,
        f"{channel}: {label}, observed vs simulated",
        fontsize=19,
        fontweight="bold",
        ha="left",
        va="top",
    )
    fig.text(
        0.012,
        1.0 - 0.56 / height,
        "\n".join(subtitle),
        fontsize=14,
        color="#444444",
        ha="left",
        va="top",
        linespacing=1.35,
    )
    scenario = result.scenario
    fig.text(
        0.012,
        0.012,
        f"simroi {__version__} · seed {result.seed} · {result.trials:,} trials a day · scenario "
        f"{scenario['name']} #{str(scenario['hash'])[:12]} · {result.sources[channel].describe()}",
        fontsize=12,
        color="#666666",
        ha="left",
        va="bottom",
    )
    ax = fig.add_subplot()
    x = dates.astype("datetime64[D]")
    ax.fill_between(
        x,
        result.p05[metric][rows],
        result.p95[metric][rows],
        step="mid",
        color=BLUE,
        alpha=0.25,
        linewidth=0,
        label="simulated 90% band",
    )
    ax.plot(
        x,
        result.p50[metric][rows],
        drawstyle="steps-mid",
        color=BLUE,
        linestyle="--",
        label="simulated median",
    )
    ax.plot(x, observed, color=NAVY, linewidth=0.8, marker="o", markersize=4, label="observed")
    ax.plot(
        x[outside],
        observed[outside],
        linestyle="none",
        marker="o",
        markersize=7,
        color=RED,
        label="outside the band",
    )
    locator = AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    axis_format(ax, unit, "USD", axis="y")
    ax.set_ylabel(label)
    ax.legend(loc="best", frameon=False)
    return fig


def write_backtest_plots(result: BacktestResult, directory: str | Path) -> list[Path]:
    """Write one PNG per channel and observed metric into ``directory`` (made if missing).

    Each file is written atomically; a file of the same name is replaced, as ``--out`` replaces
    its file.
    """
    folder = prepare_plots(directory)
    paths = []
    for channel in result.channels:
        rows = result.channel == channel
        for metric in METRICS:
            if not np.isfinite(result.observed[metric][rows]).any():
                continue
            path = folder / f"backtest-{channel}-{metric}.png"
            buffer = io.BytesIO()
            with matplotlib.rc_context(cast(Any, STYLE)):
                fig = backtest_figure(result, channel, metric)
                metadata = {"Title": path.stem, "Software": f"simroi {__version__}"}
                fig.savefig(buffer, format="png", dpi=PNG_DPI, metadata=metadata)
            paths.append(atomic_write(path, _writer(buffer.getvalue())))
    return paths


def _writer(data: bytes) -> Callable[[IO[bytes]], object]:
    return lambda handle: handle.write(data)


def prepare_plots(directory: str | Path) -> Path:
    """Make ``directory`` (and its parents) if missing and check that a file can be created in
    it: the check ``--plots`` makes before simulating. Raises OutputError (one line)."""
    folder = Path(directory)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise OutputError(f"{folder}: cannot write plots: {exc.strerror or exc}") from None
    return folder
