"""Sweeping one or two inputs over a grid: a staffing curve with bands and a recommendation.

A sweep runs the same scenario once per grid point, each point being the scenario loaded with
the user's overrides plus ``key=value`` for the swept keys, and every point with the
same seed, trials and block size, so the points differ only by the swept values (common random
numbers: the same customers, the same contacts, the same draws of every uncertain input). The
curve is therefore smooth where the model is, and the difference between neighbouring points is
the effect of the change rather than noise.

Grids are written ``start:stop`` (inclusive, step 1), ``start:stop:step`` or a comma list
``1,2,4``; integers stay integers (agents), anything else is a float. Any numeric key of the
scenario can be swept (``channels.social.agents``, ``program.monthly_tools_cost``,
``channels.phone.staffing.1.agents`` ...); sweeping an uncertain input fixes it at each value.

For each point :func:`summarize_sweep` gives ROI and NPV bands (P5/P50/P95), each channel's service
level, the probability of each objective and of meeting all of them in the same trial, and marks
two points: the best expected NPV, and the *recommendation*, the cheapest point (lowest mean PV
of costs) whose probability of meeting every objective at once is at least ``confidence``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from simroi.analysis.common_runs import Progress, run_common
from simroi.analysis.comparison import prob_best
from simroi.analysis.summary import (
    Interval,
    ObjectiveOutcome,
    all_objectives_met,
    interval,
    objective_outcomes,
    require_baseline,
)
from simroi.analysis.views import samples_frame
from simroi.errors import ScenarioError
from simroi.estimates import prob_positive, probability
from simroi.execution.checkpoint import CheckpointSet
from simroi.execution.result import ResultSet, RunResult
from simroi.execution.runner import RunOptions
from simroi.formatting import (
    PCT_DIGITS,
    chance,
    counted,
    html_table,
    interval_cells,
    interval_text,
    json_ready,
    magnitude,
    pct,
    text_table,
)
from simroi.scenario.load import is_grid, load_scenario, resolve_scenario_path
from simroi.scenario.spec import Scenario

__all__ = [
    "DEFAULT_CONFIDENCE",
    "MAX_POINTS",
    "SweepAxis",
    "SweepPoint",
    "SweepResult",
    "is_grid",
    "parse_grid",
    "run_sweep",
    "split_sets",
    "summarize_sweep",
]

DEFAULT_CONFIDENCE = 0.9
#: Most grid points one sweep may have (a typo like ``0:100000`` should not run for a day).
MAX_POINTS = 1000
_GRID_FORM = "a sweep grid is start:stop[:step] (inclusive) or a comma list such as 1,2,4"

Number = int | float


@dataclass(frozen=True)
class SweepAxis:
    """One swept key and its values, in sweep order."""

    key: str
    values: tuple[Number, ...]

    def override(self, value: Number) -> str:
        """The override (``key=value``) that fixes this key at ``value``."""
        return f"{self.key}={_format_value(value)}"


def _format_value(value: Number) -> str:
    return str(value) if isinstance(value, int) else repr(float(value))


def _number(part: str, text: str) -> Number:
    token = part.strip().replace("_", "")
    try:
        return int(token)
    except ValueError:
        pass
    try:
        value = float(token)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ScenarioError(f"sweep grid {text}: {part.strip()!r} is not a number; {_GRID_FORM}")
    return value


def parse_grid(text: str) -> SweepAxis:
    """Parse ``"key=start:stop[:step]"`` or ``"key=a,b,c"`` into a :class:`SweepAxis`.

    Raises
    ------
    ScenarioError
        If the text is not ``key=grid``, a part is not a number, the step is not positive,
        stop is below start, or the grid has more than :data:`MAX_POINTS` values.
    """
    key, sep, value = text.partition("=")
    key, value = key.strip(), value.strip()
    if not sep or not key or not value:
        raise ScenarioError(f"sweep grid {text!r}: expected dotted.key=grid; {_GRID_FORM}")
    values: list[Number]
    if ":" in value and "," in value:
        raise ScenarioError(f"sweep grid {text}: mixes ':' and ','; {_GRID_FORM}")
    if ":" in value:
        parts = value.split(":")
        if len(parts) not in (2, 3):
            raise ScenarioError(
                f"sweep grid {text}: {value!r} has {len(parts)} parts; {_GRID_FORM}"
            )
        numbers = [_number(p, text) for p in parts]
        start, stop = numbers[0], numbers[1]
        step: Number = numbers[2] if len(numbers) == 3 else 1
        if step <= 0:
            raise ScenarioError(f"sweep grid {text}: the step must be > 0 (got {step})")
        if stop < start:
            raise ScenarioError(f"sweep grid {text}: stop must be ≥ start (got {start}:{stop})")
        count = math.floor((stop - start) / step + 1e-9) + 1
        if count > MAX_POINTS:
            raise ScenarioError(
                f"sweep grid {text}: {count} points is more than the limit of {MAX_POINTS}"
            )
        if all(isinstance(n, int) for n in numbers):
            values = [int(start) + i * int(step) for i in range(count)]
        else:
            values = [float(f"{start + i * step:.12g}") for i in range(count)]
    else:
        parts = value.split(",")
        if parts[-1].strip() == "" and len(parts) > 1:
            parts.pop()  # a trailing comma (1,2,4,) is harmless
        if any(not p.strip() for p in parts):
            raise ScenarioError(f"sweep grid {text}: an empty value between commas; {_GRID_FORM}")
        numbers = [_number(p, text) for p in parts]
        if not all(isinstance(n, int) for n in numbers):
            numbers = [float(n) for n in numbers]
        values = list(dict.fromkeys(numbers))  # drop repeats, keep order
        if len(values) > MAX_POINTS:
            raise ScenarioError(
                f"sweep grid {text}: {len(values)} points is more than the limit of {MAX_POINTS}"
            )
    return SweepAxis(key, tuple(values))


def split_sets(sets: Sequence[str]) -> tuple[list[SweepAxis], list[str]]:
    """Separate grid overrides (one or two, ``key=start:stop``) from plain ``key=value`` ones.

    Raises
    ------
    ScenarioError
        With no grid, more than two, the same key swept twice or also set to one value, or a
        grid product over :data:`MAX_POINTS` points.
    """
    axes: list[SweepAxis] = []
    plain: list[str] = []
    for text in sets:
        _, _, value = text.partition("=")
        if is_grid(value):
            axes.append(parse_grid(text))
        else:
            plain.append(text)
    if not axes:
        raise ScenarioError(
            "sweep needs a grid: a scenario key set to start:stop[:step] or a,b,c "
            "(e.g. channels.social.agents=1:6)"
        )
    if len(axes) > 2:
        keys = ", ".join(a.key for a in axes)
        raise ScenarioError(f"sweep takes one or two grids (got {len(axes)}: {keys})")
    swept = [a.key for a in axes]
    if len(set(swept)) != len(swept):
        raise ScenarioError(f"{swept[0]}: the same key is swept twice")
    for text in plain:
        key = text.partition("=")[0].strip()
        if key in swept:
            raise ScenarioError(f"{key}: is both swept and set to one value ({text!r})")
    points = math.prod(len(a.values) for a in axes)
    if points > MAX_POINTS:
        raise ScenarioError(f"sweep grid has {points} points, more than the limit of {MAX_POINTS}")
    return axes, plain


_MISSING = object()


def _value_at(scenario: Scenario, key: str) -> Any:
    """The validated value at a dotted key (channels by name, lists by index), or _MISSING."""
    node: Any = scenario
    for part in key.split("."):
        if isinstance(node, BaseModel) and not hasattr(node, "dist"):
            if part not in type(node).model_fields:
                return _MISSING
            node = getattr(node, part)
        elif isinstance(node, dict):
            node = node.get(part, _MISSING)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return _MISSING
        if node is _MISSING:
            return _MISSING
    return node


def _check_numeric(scenario: Scenario, axis: SweepAxis, source: str) -> None:
    if axis.key.startswith("baseline."):
        return  # an inline baseline's own key: the loader validates it at each point
    value = _value_at(scenario, axis.key)
    numeric = (
        value is None
        or value is _MISSING
        or hasattr(value, "dist")
        or (isinstance(value, int | float) and not isinstance(value, bool))
    )
    if not numeric:
        shown = repr(value) if isinstance(value, str | bool) else type(value).__name__
        raise ScenarioError(
            f"{source}: {axis.key}: a sweep needs a numeric key; this one is not a "
            f"number (got {shown})"
        )


def run_sweep(
    scenario: str | None,
    sets: Sequence[str],
    options: RunOptions | None = None,
    *,
    confidence: float = DEFAULT_CONFIDENCE,
    progress: Progress | None = None,
    checkpoints: CheckpointSet | None = None,
) -> ResultSet:
    """Run ``scenario`` at every point of the grid in ``sets``, with common random numbers.

    Parameters
    ----------
    scenario : path or bundled name (None: the bundled default)
    sets : ``key=value`` overrides: one or two grids, and plain overrides applied at every point
    options : trials, seed, engine, executor; every point uses the same seed
    confidence : stored with the result; the recommendation's threshold (see
        :func:`summarize_sweep`)
    checkpoints : where each point's run keeps its blocks, to be resumed (:func:`run_common`)

    Returns
    -------
    ResultSet
        ``kind = "sweep"``; ``meta`` holds ``keys``, ``points`` (one list per run, in run
        order: the grid values of each run), ``labels``, ``overrides`` (the plain ones),
        ``seed``, ``confidence`` and ``recommendation`` (``best_npv`` and
        ``cheapest_meeting_objectives``, run indices, the latter None when no point qualifies).

    Raises
    ------
    ScenarioError
        For a bad grid, a non-numeric key, or a point the loader refuses (all points are loaded
        before any is run).
    """
    if not 0.0 < confidence <= 1.0:
        raise ScenarioError(f"confidence must be in (0, 1] (got {confidence:g})")
    options = options or RunOptions()
    axes, plain = split_sets(sets)
    source = str(resolve_scenario_path(scenario))
    unswept = load_scenario(scenario, overrides=plain)
    require_baseline(unswept)
    for axis in axes:
        _check_numeric(unswept.program, axis, source)
    grid = list(itertools.product(*(a.values for a in axes)))
    point_sets = [
        [*plain, *(a.override(v) for a, v in zip(axes, point, strict=True))] for point in grid
    ]
    loaded = [load_scenario(scenario, overrides=s) for s in point_sets]
    results = run_common(
        loaded, options, overrides=point_sets, progress=progress, checkpoints=checkpoints
    )
    labels = [", ".join(a.override(v) for a, v in zip(axes, point, strict=True)) for point in grid]
    meta: dict[str, Any] = {
        "keys": [a.key for a in axes],
        "points": [list(point) for point in grid],
        "labels": labels,
        "overrides": plain,
        "seed": str(results[0].provenance.seed),
        "confidence": confidence,
    }
    summary = summarize_sweep(ResultSet("sweep", results, meta), confidence)
    # A convenience copy for readers of the file; summarize_sweep recomputes it from the runs.
    meta["recommendation"] = {
        "best_npv": summary.best_npv,
        "cheapest_meeting_objectives": summary.recommended,
        "confidence": confidence,
    }
    return ResultSet("sweep", results, meta)


@dataclass(frozen=True)
class SweepPoint:
    """One grid point's figures.

    ``objectives`` are the per-objective probabilities; ``prob_all_objectives`` the probability
    that every objective is met in the same trial. ``prob_best`` is the probability that this
    point has the highest NPV of the grid (ties shared).
    """

    values: tuple[Number, ...]
    label: str
    roi: Interval
    npv: Interval
    pv_costs: Interval
    payback_months: Interval
    prob_roi_positive: float
    service_levels: tuple[tuple[str, Interval], ...]
    objectives: tuple[ObjectiveOutcome, ...]
    prob_all_objectives: float
    prob_all_objectives_mcse: float
    prob_best: float
    prob_best_mcse: float


@dataclass(frozen=True, repr=False, eq=False)
class SweepResult:
    """A sweep's points and its two marks (indices into ``points``).

    ``best_npv`` is the point with the highest mean NPV; ``recommended`` the cheapest point
    (lowest mean PV of costs) with ``prob_all_objectives ≥ confidence``, or None; ``note``
    explains the recommendation in one sentence. ``runs`` are the points' runs, in order: their
    per-trial samples are :attr:`samples`.
    """

    keys: tuple[str, ...]
    points: tuple[SweepPoint, ...]
    best_npv: int
    recommended: int | None
    confidence: float
    note: str
    seed: int
    trials: int
    currency: str
    objective_labels: tuple[str, ...]
    runs: tuple[RunResult, ...] = field(default=())
    result_set: ResultSet | None = None

    def save(self, path: str | Path) -> Path:
        """Write the sweep's runs to a result file (``.npz``), as ``simroi sweep --out`` does."""
        if self.result_set is None:
            raise ScenarioError("this sweep holds no result set to save")
        return self.result_set.save(path)

    @property
    def samples(self) -> dict[str, dict[str, np.ndarray]]:
        """Each point's per-trial samples (arrays of shape (trials,)), by the point's label."""
        return {p.label: run.samples for p, run in zip(self.points, self.runs, strict=True)}

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``simroi sweep --json``."""

        def mark(index: int | None) -> dict[str, Any] | None:
            if index is None:
                return None
            point = self.points[index]
            return {
                "index": index,
                "label": point.label,
                "values": dict(zip(self.keys, point.values, strict=True)),
            }

        return json_ready(
            {
                "kind": "sweep",
                "seed": str(self.seed),
                "trials": self.trials,
                "currency": self.currency,
                "keys": list(self.keys),
                "confidence": self.confidence,
                "objectives": list(self.objective_labels),
                "best_npv": mark(self.best_npv),
                "recommended": mark(self.recommended),
                "recommendation": self.note,
                "points": [
                    {
                        "index": i,
                        "label": p.label,
                        "values": dict(zip(self.keys, p.values, strict=True)),
                        "roi": p.roi.to_dict(),
                        "npv": p.npv.to_dict(),
                        "pv_costs": p.pv_costs.to_dict(),
                        "payback_months": p.payback_months.to_dict(),
                        "prob_roi_positive": p.prob_roi_positive,
                        "service_level": {c: iv.to_dict() for c, iv in p.service_levels},
                        "objectives": [o.to_dict() for o in p.objectives],
                        "prob_all_objectives": p.prob_all_objectives,
                        "prob_all_objectives_mcse": p.prob_all_objectives_mcse,
                        "prob_best_npv": p.prob_best,
                        "prob_best_npv_mcse": p.prob_best_mcse,
                        "best_npv": i == self.best_npv,
                        "recommended": i == self.recommended,
                    }
                    for i, p in enumerate(self.points)
                ],
            }
        )

    def to_frame(self) -> Any:
        """Every point's per-trial samples as one pandas DataFrame, indexed by
        ``(point, trial)``; raises ImportError naming ``pip install "simroi[notebook]"`` when
        pandas is missing."""
        runs = {p.label: run for p, run in zip(self.points, self.runs, strict=True)}
        return samples_frame(runs, "point")

    _HEADER = ("point", "ROI P50 [P5–P95]", "NPV P50 [P5–P95]", "P(all objectives)", "")

    def _rows(self) -> list[list[str]]:
        scale = magnitude(x for p in self.points for x in (p.npv.p05, p.npv.p50, p.npv.p95))
        rows = []
        for i, p in enumerate(self.points):
            r = interval_cells([p.roi.p50, p.roi.p05, p.roi.p95], "pct")
            n = interval_cells([p.npv.p50, p.npv.p05, p.npv.p95], "money", self.currency, scale)
            marks = ("★" if i == self.best_npv else "") + ("✔" if i == self.recommended else "")
            objectives = chance(p.prob_all_objectives, PCT_DIGITS) if self.objective_labels else "—"
            rows.append(
                [
                    p.label,
                    interval_text(r[1], r[2], r[0]),
                    interval_text(n[1], n[2], n[0]),
                    objectives,
                    marks,
                ]
            )
        return rows

    def _title(self) -> str:
        return (
            f"sweep of {' × '.join(self.keys)} over {len(self.points)} points on common random "
            f"numbers: {counted(self.trials, 'trial')} each, seed {self.seed}; ★ best expected NPV"
        )

    def __repr__(self) -> str:
        title = f"SweepResult: {self._title()}"
        return text_table(title, self._HEADER, self._rows(), [self.note])

    def _repr_html_(self) -> str:
        return html_table(self._title(), self._HEADER, self._rows(), self.note)


def summarize_sweep(result_set: ResultSet, confidence: float | None = None) -> SweepResult:
    """Summarize a ``sweep`` result set (fresh or loaded), recomputed from its runs.

    Parameters
    ----------
    result_set : ResultSet of kind ``sweep`` (:func:`run_sweep`)
    confidence : the probability of meeting every objective a recommended point needs
        (default: the one stored with the sweep, else 0.9)
    """
    meta = result_set.meta
    runs = result_set.runs
    if confidence is None:
        stored = meta.get("confidence", (meta.get("recommendation") or {}).get("confidence"))
        confidence = DEFAULT_CONFIDENCE if stored is None else float(stored)
    keys = tuple(meta.get("keys", []))
    values = [tuple(v) for v in meta.get("points", [[] for _ in runs])]
    labels = list(meta.get("labels", [str(v) for v in values]))
    best_p, best_se = prob_best([r.samples["npv"] for r in runs])
    points = []
    for i, run in enumerate(runs):
        s = run.samples
        met_all = all_objectives_met(run)
        p_all, p_all_se = probability(
            np.ones(run.trials, dtype=bool) if met_all is None else met_all
        )
        channels = run.meta.get("channels", [])
        points.append(
            SweepPoint(
                values=values[i],
                label=labels[i],
                roi=interval(s["roi"]),
                npv=interval(s["npv"]),
                pv_costs=interval(s["pv_costs"]),
                payback_months=interval(s["payback_months"], "payback_months"),
                prob_roi_positive=prob_positive(s["roi"]).value,
                service_levels=tuple(
                    (c, interval(s[f"kpi.program.{c}.service_level"]))
                    for c in channels
                    if f"kpi.program.{c}.service_level" in s
                ),
                objectives=tuple(objective_outcomes(run)),
                prob_all_objectives=p_all,
                prob_all_objectives_mcse=p_all_se,
                prob_best=best_p[i],
                prob_best_mcse=best_se[i],
            )
        )
    npv_means = [p.npv.mean if math.isfinite(p.npv.mean) else -math.inf for p in points]
    best = int(np.argmax(npv_means))
    recommended, note = _recommend(points, confidence, runs[0].meta.get("objectives", []))
    return SweepResult(
        keys=keys,
        points=tuple(points),
        best_npv=best,
        recommended=recommended,
        confidence=confidence,
        note=note,
        seed=runs[0].provenance.seed,
        trials=runs[0].trials,
        currency=str(runs[0].meta.get("currency", "USD")),
        objective_labels=tuple(o["label"] for o in runs[0].meta.get("objectives", [])),
        runs=tuple(runs),
        result_set=result_set,
    )


def _recommend(
    points: Sequence[SweepPoint], confidence: float, objectives: Sequence[Any]
) -> tuple[int | None, str]:
    if not objectives:
        return None, (
            "no recommendation: the scenario states no objectives (add [[objectives]] "
            "to get the cheapest point that meets them)"
        )
    qualifying = [i for i, p in enumerate(points) if p.prob_all_objectives >= confidence]
    count = len(objectives)
    if not qualifying:
        top = max(range(len(points)), key=lambda i: points[i].prob_all_objectives)
        if points[top].prob_all_objectives == 0:  # no point to name: every one scores 0
            return None, (
                f"no point meets all {count} objectives with probability ≥ {pct(confidence)}; "
                "at no point are they all met in the same trial"
            )
        return None, (
            f"no point meets all {count} objectives with probability ≥ {pct(confidence)}; the "
            f"highest is {chance(points[top].prob_all_objectives, 1)} at {points[top].label}"
        )
    cheapest = min(qualifying, key=lambda i: (points[i].pv_costs.mean, i))
    p = points[cheapest]
    return cheapest, (
        f"recommended: {p.label}, the cheapest point (lowest mean PV of costs) that meets all "
        f"{count} objectives in the same trial with probability ≥ {pct(confidence)} "
        f"(P = {chance(p.prob_all_objectives, 1)} ± {pct(p.prob_all_objectives_mcse, 1)})"
    )
