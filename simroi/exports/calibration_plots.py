"""The figures of a calibration, as a workforce planner reads them (``simroi calibrate --plots``).

Per channel with data:

- ``<channel>-intraday.png``: contacts per interval of an average open day, the fitted profile
  (the mean share of the day × the mean daily volume) over the range of the observed days
  (10th to 90th percentile of each interval);
- ``<channel>-daily.png``: each day's total against the fitted day — its weekday's mean and
  the 5–95 % range of the negative binomial that ``busyness_cv`` implies — with the outlier
  days marked;
- ``<channel>-patience.png`` (realtime channels with a contact log): the Kaplan–Meier survival
  of patience with its 90 % band beside the fitted family's survival curve.

Figures use the house style of :mod:`simroi.exports.figure` (Agg canvas, no pyplot, style only
inside :func:`matplotlib.rc_context`) and are written atomically.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, cast

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from scipy import stats

from simroi import __version__
from simroi.analysis.calibration import CalibrationResult, ChannelFit
from simroi.data.fit import FittedInput
from simroi.data.fit_arrivals import ArrivalFit
from simroi.data.fit_service import PatienceFit
from simroi.execution.result import atomic_write
from simroi.exports.figure import BLUE, FIGSIZE_IN, GREY, NAVY, ORANGE, PNG_DPI, RED, STYLE

__all__ = ["calibration_figures", "write_calibration_plots"]


def _figure(title: str, subtitle: str, footer: str) -> tuple[Figure, Axes]:
    """A figure with a bold title, a grey subtitle and the data's provenance at the foot."""
    fig = Figure(figsize=FIGSIZE_IN, layout="constrained")
    FigureCanvasAgg(fig)
    height = FIGSIZE_IN[1]
    sub = textwrap.wrap(subtitle, 100)
    top = 1.0 - (0.62 + 0.27 * len(sub)) / height
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.set(rect=(0.0, 0.05, 1.0, top - 0.05))  # type: ignore[call-arg]
    fig.text(0.012, 1.0 - 0.12 / height, title, fontsize=19, fontweight="bold", ha="left", va="top")
    fig.text(0.012, 1.0 - 0.56 / height, "\n".join(sub), fontsize=14, color="#444444",
             ha="left", va="top", linespacing=1.35)  # fmt: skip
    fig.text(0.012, 0.012, footer, fontsize=12, color="#666666", ha="left", va="bottom")
    return fig, fig.add_subplot()


def _footer(fit: FittedInput) -> str:
    return f"simroi {__version__} calibrate · {fit.source.describe()}"


def _intraday(channel: str, arrivals: ArrivalFit) -> Figure:
    minutes = arrivals.intraday_profile_minutes
    profile = np.asarray(arrivals.intraday_profile.value, dtype=float)
    daily = arrivals.daily
    open_days = daily.totals > 0
    level = float(daily.totals[open_days].mean()) if open_days.any() else 0.0
    hours = np.arange(profile.size + 1) * minutes / 60.0
    fig, ax = _figure(
        f"{channel}: contacts through the day",
        f"Contacts per {minutes}-minute interval on an average open day ({level:,.0f} a day): "
        f"the fitted profile over the range of the {int(open_days.sum())} observed days.",
        _footer(arrivals.intraday_profile),
    )
    if open_days.sum() >= 2:
        low, high = np.percentile(daily.by_slot[open_days], [10, 90], axis=0)
        ax.fill_between(hours[:-1], low, high, step="post", color=GREY, alpha=0.5,
                        label="observed days, 10th–90th percentile")  # fmt: skip
    ax.stairs(profile * level, hours, color=NAVY, linewidth=2.2, label="fitted profile")
    ax.set_xlim(0, 24)
    ax.set_xticks(range(0, 25, 2))
    ax.set_xlabel("time of day (hours)")
    ax.set_ylabel(f"contacts per {minutes} min")
    ax.legend(loc="upper left")
    return fig


def _daily(channel: str, arrivals: ArrivalFit, busyness: FittedInput | None) -> Figure:
    daily = arrivals.daily
    cv = float(busyness.value) if busyness is not None else 0.0
    mean = np.asarray(arrivals.expected, dtype=float)
    if cv > 0:
        r = 1.0 / cv**2
        low, high = stats.nbinom.ppf([[0.05], [0.95]], r, r / (r + np.maximum(mean, 1e-12)))
    else:
        low, high = stats.poisson.ppf([[0.05], [0.95]], mean)
    x = daily.dates.astype("datetime64[D]").astype(object)
    fig, ax = _figure(
        f"{channel}: daily totals against the fitted day",
        f"Each day's contacts, its weekday's fitted mean and 5–95 % range (negative binomial, "
        f"busyness cv {cv:.3f}); {arrivals.outliers.size} outlier day(s) in red.",
        _footer(arrivals.weekday_factors),
    )
    ax.fill_between(x, low, high, step="mid", color=GREY, alpha=0.5, label="fitted 5–95 %")
    ax.step(x, mean, where="mid", color=NAVY, linewidth=1.6, label="fitted mean")
    outlier = np.isin(daily.dates, arrivals.outliers)
    ax.plot(x, daily.totals, "o", color=BLUE, markersize=4, label="observed")
    if outlier.any():
        ax.plot(np.asarray(x)[outlier], daily.totals[outlier], "o", color=RED, markersize=7,
                label="outlier")  # fmt: skip
    ax.set_ylabel("contacts a day")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", ncols=4)
    fig.autofmt_xdate()
    return fig


def _survival(family: str, shape: float, scale: float, t: np.ndarray) -> np.ndarray:
    if family == "weibull":
        return np.asarray(stats.weibull_min.sf(t, shape, scale=scale))
    if family == "lognormal":
        return np.asarray(stats.lognorm.sf(t, shape, scale=scale))
    return np.exp(-t / scale)


def _patience(channel: str, patience: PatienceFit) -> Figure:
    chosen = patience.patience_dist
    family = chosen.value if isinstance(chosen, FittedInput) else "exponential"
    best = next((c for c in patience.candidates if c.family == family), patience.candidates[0])
    t_max = float(np.percentile(patience.km_minutes, 99)) if patience.km_minutes.size else 1.0
    t = np.linspace(0.0, max(t_max, 1e-3), 400)
    fitted = patience.patience_minutes
    fig, ax = _figure(
        f"{channel}: how long callers wait before hanging up",
        f"Kaplan–Meier survival of patience with its 90 % band ({patience.abandoned:,} "
        f"abandoned, {patience.censored:,} answered: a lower bound on their patience) and the "
        f"fitted {best.family} (mean {best.mean_minutes:.2f} min). The mean wait of those who "
        f"abandoned, {patience.naive_mean:.2f} min, understates patience.",
        _footer(fitted) if isinstance(fitted, FittedInput) else "",
    )
    ax.fill_between(patience.km_minutes, patience.km_low, patience.km_high, step="post",
                    color=GREY, alpha=0.5, label="Kaplan–Meier 90 % band")  # fmt: skip
    ax.step(patience.km_minutes, patience.km_survival, where="post", color=NAVY, linewidth=2,
            label="Kaplan–Meier")  # fmt: skip
    ax.plot(t, _survival(best.family, best.shape, best.scale, t), color=ORANGE, linewidth=2.2,
            label=f"fitted {best.family}")  # fmt: skip
    ax.set_xlim(0, t[-1])
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("minutes waited")
    ax.set_ylabel("share still waiting (patience > t)")
    ax.legend(loc="upper right")
    return fig


def _busyness(result: CalibrationResult, channel: str) -> FittedInput | None:
    return next((f for f in result.fitted if f.channel == channel and f.key == "busyness_cv"), None)


def calibration_figures(result: CalibrationResult) -> dict[str, Figure]:
    """Every figure the result has data for, by file name (``phone-intraday.png`` …)."""
    figures: dict[str, Figure] = {}
    with matplotlib.rc_context(cast(Any, STYLE)):
        for channel, fit in result.channels.items():
            figures.update(_channel_figures(result, channel, fit))
    return figures


def _channel_figures(result: CalibrationResult, channel: str, fit: ChannelFit) -> dict[str, Figure]:
    figures = {}
    if fit.arrivals is not None:
        figures[f"{channel}-intraday.png"] = _intraday(channel, fit.arrivals)
        figures[f"{channel}-daily.png"] = _daily(channel, fit.arrivals, _busyness(result, channel))
    if fit.patience is not None and fit.patience.candidates:
        figures[f"{channel}-patience.png"] = _patience(channel, fit.patience)
    return figures


def _writer(data: bytes) -> Callable[[IO[bytes]], object]:
    return lambda handle: handle.write(data)


def write_calibration_plots(result: CalibrationResult, folder: Path) -> list[Path]:
    """Write :func:`calibration_figures` as PNGs into ``folder`` (which must exist), each
    atomically; returns the paths written."""
    written = []
    metadata = {"Software": f"simroi {__version__}"}
    with matplotlib.rc_context(cast(Any, STYLE)):
        for name, fig in calibration_figures(result).items():
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png", dpi=PNG_DPI, metadata={**metadata, "Title": name})
            written.append(atomic_write(folder / name, _writer(buffer.getvalue())))
    return written
