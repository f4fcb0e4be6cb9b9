"""The result-file verbs of the Python API: :func:`load_result` opens what ``--out`` (or a
result's ``save``) wrote, :func:`export` turns a result into slides, charts and tables."""

from __future__ import annotations

from collections.abc import Sequence
from os import PathLike
from pathlib import Path

from simroi.analysis.comparison import ComparisonResult, compare_result_set
from simroi.analysis.sensitivity import SensitivityResult, summarize_sensitivity
from simroi.analysis.summary import RunSummary, summarize
from simroi.analysis.sweep import SweepResult, summarize_sweep
from simroi.errors import OptionError
from simroi.execution.result import ResultSet, RunResult, load_any
from simroi.exports.targets import export as export_result

__all__ = ["AnyResult", "export", "load_result"]

AnyResult = RunSummary | ComparisonResult | SweepResult | SensitivityResult


def load_result(path: str | PathLike[str]) -> AnyResult:
    """Open a result file (``--out`` of run, compare, sweep or sensitivity) as its summary.

    Examples
    --------
    >>> import simroi, tempfile, os
    >>> short = ["scenario.horizon_months=3", "simulation.sampled_days_per_month=1"]
    >>> summary = simroi.run(trials=20, seed=3, overrides=short, workers=1)
    >>> path = summary.save(os.path.join(tempfile.mkdtemp(), "run.npz"))
    >>> simroi.load_result(path).samples["npv"].tolist() == summary.samples["npv"].tolist()
    True
    """
    loaded = load_any(Path(path))
    if isinstance(loaded, RunResult):
        if isinstance(loaded.meta.get("sensitivity"), dict):
            return summarize_sensitivity(loaded)
        return summarize(loaded)
    if loaded.kind == "sweep":
        return summarize_sweep(loaded)
    return compare_result_set(loaded)


def _saved(result: AnyResult | RunResult | ResultSet) -> RunResult | ResultSet:
    """What a result file holds for ``result``."""
    if isinstance(result, RunResult | ResultSet):
        return result
    if isinstance(result, RunSummary):
        return result.result
    if isinstance(result, SensitivityResult):
        return result.run
    if result.result_set is None:
        raise OptionError(f"`result`: this {type(result).__name__} holds no runs to export")
    return result.result_set


def export(
    result: AnyResult | RunResult | ResultSet | str | PathLike[str],
    to: str | PathLike[str] | Sequence[str | PathLike[str]],
    *,
    template: str | PathLike[str] | None = None,
    chart: str | None = None,
) -> list[Path]:
    """Write slides, charts and tables of a result (``simroi export``); returns the paths.

    Parameters
    ----------
    result : what :func:`run`, :func:`compare`, :func:`sweep` or :func:`sensitivity` returned,
        or a result file's path
    to : one file name or several; the format follows the suffix (``.pptx``, ``.png``, ``.svg``,
        ``.csv``, ``.md``, ``.json``, ``.xlsx``; ``.trials.csv`` or ``.trials.npz`` for the raw
        trials); ``{chart}`` in a ``.png``/``.svg`` name writes every chart the result has
    template : a ``.pptx`` whose master, layouts and theme the deck uses
    chart : the chart a ``.png``/``.svg`` without ``{chart}`` gets (default: the headline one)

    Examples
    --------
    >>> import simroi, tempfile, os
    >>> short = ["scenario.horizon_months=3", "simulation.sampled_days_per_month=1"]
    >>> summary = simroi.run(trials=20, seed=3, overrides=short, workers=1)
    >>> folder = tempfile.mkdtemp()
    >>> [p.name for p in simroi.export(summary, os.path.join(folder, "summary.md"))]
    ['summary.md']
    """
    targets = [to] if isinstance(to, str | PathLike) else list(to)
    if isinstance(result, str | PathLike):
        source = str(result)
        saved = load_any(Path(result))
    else:
        source = "result"
        saved = _saved(result)
    return export_result(
        saved,
        [str(t) for t in targets],
        template=None if template is None else str(template),
        chart=chart,
        source=source,
    )
