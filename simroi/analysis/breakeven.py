"""What would have to be true: the value of a driver at which the program breaks even.

For each input that drives the result (the sampling tornado's ranking), the input is fixed at a
value *v* in every trial while every other uncertain input is still drawn, and the run is
repeated with the same seed and trials (common random numbers). Two break-evens are found:

* where the **median NPV** crosses zero;
* where **P(ROI > 0)** crosses 50 %. P(ROI > 0) is a step function of *v* (a count of trials),
  so the root finder works on the trial-median ROI instead: the (⌊n/2⌋+1)-th smallest ROI of the
  *n* trials, an undefined ROI counted as the lowest (as :func:`simroi.estimates.prob_positive`
  counts it as not positive). It is positive exactly when P(ROI > 0) ≥ 50 %, and it moves
  smoothly with *v* where the model does.

Common random numbers make each of these a deterministic function of *v*, so a bracketed root
finder applies: Brent's method (:func:`scipy.optimize.brentq`; bisection whenever interpolation
does not help), to an absolute tolerance of :data:`TOLERANCE_SHARE` of the input's range. The
search starts in the input's range (its support; P0.5–P99.5 when the support is unbounded, split
at the input's median, so a target that crosses zero twice inside it is seen to cross) and,
when the target does not change sign there, doubles the step outward on the side the target
moves towards zero, at most :data:`MAX_EXTENSIONS` times and never past the input's physical
limits (:func:`simroi.scenario.rules.input_limits`). A break-even found outside the range is
marked with its side; none found anywhere searched is reported as such, with whether the target
is met throughout or nowhere.

:func:`find_breakeven` is the search, a pure function of a callback that runs the scenario at a
value; :func:`run_breakeven` supplies the runs. The fixed input leaves any ``[[correlations]]``
and ``[[orderings]]`` group it belongs to, as in the swing tornado: it has no draw to correlate or
order, and holding it one-at-a-time is the question asked.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize

from simroi.analysis.common_runs import Progress
from simroi.analysis.summary import interval
from simroi.errors import ScenarioError
from simroi.estimates import prob_positive
from simroi.execution.result import RunResult
from simroi.execution.runner import RunOptions, run
from simroi.formatting import counted, json_ready, number_or_nan, pct, significant
from simroi.scenario.load import load_scenario
from simroi.scenario.rules import input_limits
from simroi.scenario.spec import Scenario

__all__ = [
    "DEFAULT_BREAKEVEN_TOP",
    "MAX_EVALUATIONS",
    "MAX_EXTENSIONS",
    "PLANNED_EVALUATIONS",
    "TARGETS",
    "TOLERANCE_SHARE",
    "BreakevenPoint",
    "BreakevenResult",
    "BreakevenRow",
    "Evaluation",
    "breakeven_method",
    "evaluation_of",
    "find_breakeven",
    "fixing_overrides",
    "input_range",
    "run_breakeven",
]

#: Drivers searched by default (the top of the sampling tornado).
DEFAULT_BREAKEVEN_TOP = 5
#: The root finder's absolute tolerance, as a share of the input's range (its support or
#: P0.5–P99.5).
TOLERANCE_SHARE = 1e-3
#: Doublings of the step outward from the range, when the range holds no break-even.
MAX_EXTENSIONS = 6
#: Most runs per input (both targets together); each is a full run at the trials of the base.
MAX_EVALUATIONS = 40
#: Runs per input a progress bar plans for: both ends of the range and a few steps per target.
PLANNED_EVALUATIONS = 12
#: The two targets: the median NPV crosses 0; P(ROI > 0) crosses 50 %.
TARGETS = ("npv", "prob_roi_positive")
_TARGET_TEXT = {"npv": "median NPV > 0", "prob_roi_positive": "P(ROI > 0) ≥ 50%"}
# ROI beyond ±1e6 (or undefined) is clipped for the root finder's interpolation; only its sign
# decides the bracket, and no program's ROI is a million-fold.
_ROI_CLIP = 1e6


@dataclass(frozen=True)
class Evaluation:
    """The outcome of one run with an input fixed at ``value``.

    ``median_roi`` is the (⌊n/2⌋+1)-th smallest ROI of the *n* trials, an undefined ROI counted
    as −∞ (clipped to −1e6): positive exactly when ``prob_roi_positive`` ≥ 0.5.
    """

    value: float
    median_npv: float
    prob_roi_positive: float
    median_roi: float

    def target(self, name: str) -> float:
        """The function whose root is the break-even of target ``name`` (see :data:`TARGETS`)."""
        return self.median_npv if name == "npv" else self.median_roi


def evaluation_of(value: float, result: RunResult) -> Evaluation:
    """Read a run at ``value`` as an :class:`Evaluation` (median NPV, P(ROI > 0), median ROI)."""
    roi = np.asarray(result.samples["roi"], dtype=float)
    ranked = np.sort(np.where(np.isfinite(roi), np.clip(roi, -_ROI_CLIP, _ROI_CLIP), -_ROI_CLIP))
    median_roi = float(ranked[roi.size // 2]) if roi.size else math.nan
    return Evaluation(
        value=float(value),
        median_npv=interval(result.samples["npv"]).p50,
        prob_roi_positive=prob_positive(roi).value,
        median_roi=median_roi,
    )


@dataclass(frozen=True)
class BreakevenPoint:
    """The break-even of one input for one target.

    ``status`` is ``"in_range"``, ``"below_range"`` or ``"above_range"`` (where ``value`` lies
    against the input's range), or ``"never"``: no sign change anywhere in ``searched``
    (``value`` NaN). ``met_when`` says where the target is met (median NPV > 0, or
    P(ROI > 0) ≥ 50 %): ``"above"`` or ``"below"`` the break-even, or, for ``"never"``,
    ``"always"`` (met throughout ``searched``) or ``"nowhere"``; ``flat`` marks a ``"never"``
    whose target is the same at both ends of the range (the input alone does not move it, e.g. a
    passenger of a correlation or an ordering). ``bracket`` is the interval with a sign change the
    root finder started from (None for ``"never"``); ``converged`` is False when the run budget
    ran out first (``value`` is then the best estimate).
    """

    target: str
    value: float
    status: str
    met_when: str
    searched: tuple[float, float]
    bracket: tuple[float, float] | None = None
    converged: bool = True
    flat: bool = False

    @property
    def in_range(self) -> bool:
        """Whether the break-even lies within the input's range."""
        return self.status == "in_range"

    def text(self) -> str:
        """The break-even for a table cell: ``≥ 0.0123``, ``≤ 4,500 (above range)``, or
        ``never (NPV < 0 from 0 to 1)``."""
        if self.status == "never" and not self.converged:
            return "not found within the run budget"
        if self.status == "never":
            low, high = (significant(x) for x in self.searched)
            held = "met" if self.met_when == "always" else "not met"
            effect = "no effect, " if self.flat else ""
            return f"never: {effect}{held} from {low} to {high}"
        sign = "≥" if self.met_when == "above" else "≤"
        approx = "" if self.converged else " (approx.)"
        where = {"below_range": " (below range)", "above_range": " (above range)"}
        return f"{sign} {significant(self.value)}{where.get(self.status, '')}{approx}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (NaN and infinities become null)."""
        return json_ready(
            {
                "value": self.value,
                "status": self.status,
                "in_range": self.in_range,
                "met_when": self.met_when,
                "bracket": None if self.bracket is None else list(self.bracket),
                "searched": list(self.searched),
                "converged": self.converged,
                "flat": self.flat,
            }
        )

    @classmethod
    def from_dict(cls, target: str, data: Mapping[str, Any]) -> BreakevenPoint:
        """Inverse of :meth:`to_dict` (null becomes NaN)."""
        bracket = data.get("bracket")
        searched = data["searched"]
        return cls(
            target=target,
            value=number_or_nan(data.get("value")),
            status=str(data["status"]),
            met_when=str(data["met_when"]),
            searched=(number_or_nan(searched[0]), number_or_nan(searched[1])),
            bracket=None
            if bracket is None
            else (number_or_nan(bracket[0]), number_or_nan(bracket[1])),
            converged=bool(data.get("converged", True)),
            flat=bool(data.get("flat", False)),
        )


@dataclass(frozen=True)
class BreakevenRow:
    """The break-evens of one input: where the median NPV crosses 0 and P(ROI > 0) 50 %.

    ``current_median`` is the input's median as the scenario states it; ``range_low`` and
    ``range_high`` its range (``range_basis``: ``"support"``, or ``"P0.5–P99.5"`` when the
    support is unbounded); ``limit_low`` and ``limit_high`` its physical limits. ``evaluations``
    counts the runs made for this input (both targets share them).
    """

    input: str
    label: str
    current_median: float
    range_low: float
    range_high: float
    range_basis: str
    limit_low: float
    limit_high: float
    npv: BreakevenPoint
    prob_roi_positive: BreakevenPoint
    evaluations: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the input, its median, range and limits, runs, and both break-evens."""
        return json_ready(
            {
                "input": self.input,
                "label": self.label,
                "current_median": self.current_median,
                "range": [self.range_low, self.range_high],
                "range_basis": self.range_basis,
                "limits": [self.limit_low, self.limit_high],
                "evaluations": self.evaluations,
                "npv": self.npv.to_dict(),
                "prob_roi_positive": self.prob_roi_positive.to_dict(),
            }
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BreakevenRow:
        """Inverse of :meth:`to_dict` (a null limit is unbounded: ∓∞)."""
        rng, limits = data["range"], data["limits"]
        return cls(
            input=str(data["input"]),
            label=str(data.get("label") or data["input"]),
            current_median=number_or_nan(data.get("current_median")),
            range_low=number_or_nan(rng[0]),
            range_high=number_or_nan(rng[1]),
            range_basis=str(data.get("range_basis", "support")),
            limit_low=-math.inf if limits[0] is None else float(limits[0]),
            limit_high=math.inf if limits[1] is None else float(limits[1]),
            npv=BreakevenPoint.from_dict("npv", data["npv"]),
            prob_roi_positive=BreakevenPoint.from_dict(
                "prob_roi_positive", data["prob_roi_positive"]
            ),
            evaluations=int(data["evaluations"]),
        )


@dataclass(frozen=True)
class BreakevenResult:
    """The break-evens of the top drivers, with the method that found them.

    ``trials`` is the trial count of every run (the base run's); ``rows`` follow the sampling
    tornado's order, biggest driver first.
    """

    method: str
    trials: int
    tolerance_share: float
    rows: tuple[BreakevenRow, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``method``, ``trials``, ``tolerance_share`` and ``rows``."""
        return json_ready(
            {
                "method": self.method,
                "trials": self.trials,
                "tolerance_share": self.tolerance_share,
                "rows": [r.to_dict() for r in self.rows],
            }
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BreakevenResult:
        """Inverse of :meth:`to_dict`."""
        return cls(
            method=str(data["method"]),
            trials=int(data["trials"]),
            tolerance_share=float(data["tolerance_share"]),
            rows=tuple(BreakevenRow.from_dict(r) for r in data["rows"]),
        )


def breakeven_method(trials: int, tolerance_share: float = TOLERANCE_SHARE) -> str:
    """The method, in one sentence for a table's or a slide's foot."""
    return (
        f"each input fixed at a value in every trial, all other uncertain inputs still drawn, "
        f"every run with the same seed and {counted(trials, 'trial')} (common random numbers); "
        "break-even where the median NPV crosses 0 and where P(ROI > 0) crosses 50%, by "
        f"Brent's method to within {pct(tolerance_share, 1)} of the input's range (its support, "
        "or P0.5–P99.5 if unbounded), searched outward from the range up to the input's limits "
        "when the range holds none; the fixed input leaves its correlations and orderings"
    )


def input_range(dist: Any) -> tuple[float, float, str]:
    """``(low, high, basis)``: an input's support, or its P0.5–P99.5 when that is unbounded."""
    low, high = (float(x) for x in dist.ppf(np.array([0.0, 1.0])))
    if math.isfinite(low) and math.isfinite(high):
        return low, high, "support"
    low, high = (float(x) for x in dist.ppf(np.array([0.005, 0.995])))
    return low, high, "P0.5–P99.5"


class _OutOfRuns(Exception):
    """The run budget of one input is spent (internal: ends a root finder early)."""


class _Refused(Exception):
    """The scenario refuses the value (internal: a limit the rules table does not state)."""


def find_breakeven(
    key: str,
    label: str,
    *,
    current_median: float,
    value_range: tuple[float, float, str],
    limits: tuple[float, float],
    evaluate: Callable[[float], Evaluation | None],
    tolerance_share: float = TOLERANCE_SHARE,
    max_extensions: int = MAX_EXTENSIONS,
    max_evaluations: int = MAX_EVALUATIONS,
) -> BreakevenRow:
    """The break-evens of one input, from runs at values of it.

    Parameters
    ----------
    key, label : the input's dotted key and its display label
    current_median : the input's median as the scenario states it
    value_range : ``(low, high, basis)`` from :func:`input_range`, low < high
    limits : the input's physical limits ``(lower, upper)``, finite, around ``value_range``
    evaluate : runs the scenario with the input fixed at a value, on common random numbers;
        returns None when the scenario refuses the value (a limit found by trying)
    tolerance_share : absolute tolerance of the root finder as a share of ``high − low``
    max_extensions : doublings of the step outward from the range, per target
    max_evaluations : most distinct runs for both targets together; a root finder stopped by
        it reports its best estimate, marked not converged

    Returns
    -------
    BreakevenRow
        Evaluations at the same value are made once and shared by both targets.
    """
    low, high, basis = value_range
    width = high - low
    xtol = max(tolerance_share * width, 1e-12 * max(abs(low), abs(high), 1.0))
    cache: dict[float, Evaluation | None] = {}

    def at(value: float) -> Evaluation:
        value = float(value)
        if value not in cache:
            if len(cache) >= max_evaluations:
                raise _OutOfRuns
            cache[value] = evaluate(value)
        found = cache[value]
        if found is None:
            raise _Refused
        return found

    # The assumed median splits the range: a tighter first bracket, and a target that crosses
    # zero twice inside the range (an optimum) is not taken for one that never does.
    middle = current_median if low < current_median < high else (low + high) / 2.0
    points = {}
    for target in TARGETS:
        try:
            points[target] = _search(target, at, (low, middle, high), limits, xtol, max_extensions)
        except (_OutOfRuns, _Refused):  # no run left, or the range itself refused: say so
            points[target] = BreakevenPoint(
                target, math.nan, "never", "nowhere", (low, high), converged=False
            )
    return BreakevenRow(
        input=key,
        label=label,
        current_median=float(current_median),
        range_low=low,
        range_high=high,
        range_basis=basis,
        limit_low=float(limits[0]),
        limit_high=float(limits[1]),
        npv=points["npv"],
        prob_roi_positive=points["prob_roi_positive"],
        evaluations=len(cache),
    )


def _search(
    target: str,
    at: Callable[[float], Evaluation],
    points: tuple[float, float, float],
    limits: tuple[float, float],
    xtol: float,
    max_extensions: int,
) -> BreakevenPoint:
    """One target's break-even: a bracket in the range (``points``: its low end, a point inside,
    its high end; the lower half first when both halves hold one) or outward from it, then
    Brent."""

    def f(value: float) -> float:
        return at(value).target(target)

    low, middle, high = points
    width = high - low
    f_low, f_middle, f_high = f(low), f(middle), f(high)
    searched = (low, high)
    bracket: tuple[float, float] | None = None
    if _changes_sign(f_low, f_middle):
        bracket = (low, middle)
    elif _changes_sign(f_middle, f_high):
        bracket = (middle, high)
    elif f_low == f_middle == f_high or not (math.isfinite(f_low) and math.isfinite(f_high)):
        # No effect on the target over the whole range: nothing to extrapolate towards.
        return BreakevenPoint(target, math.nan, "never", _held(f_low), searched, flat=True)
    else:
        # The side where the target is nearer zero is where it is heading.
        up = abs(f_high) < abs(f_low)
        edge, f_edge = (high, f_high) if up else (low, f_low)
        limit = limits[1] if up else limits[0]
        for k in range(max_extensions):
            step = width * 2.0**k
            candidate = min(edge + step, limit) if up else max(edge - step, limit)
            if candidate == edge:
                break
            try:
                f_candidate = f(candidate)
            except _Refused:
                break
            searched = (min(searched[0], candidate), max(searched[1], candidate))
            if _changes_sign(f_edge, f_candidate):
                bracket = (min(edge, candidate), max(edge, candidate))
                break
            edge, f_edge = candidate, f_candidate
        if bracket is None:
            return BreakevenPoint(target, math.nan, "never", _held(f_edge), searched)
    a, b = bracket
    f_a, f_b = f(a), f(b)
    met_when = "above" if f_b > 0 or f_a < 0 else "below"
    converged = True
    if f_a == 0.0:
        root = a
    elif f_b == 0.0:
        root = b
    else:
        try:
            root, info = optimize.brentq(
                f, a, b, xtol=xtol, maxiter=MAX_EVALUATIONS, full_output=True, disp=False
            )
            converged = bool(info.converged)
        except (_OutOfRuns, _Refused):
            root, converged = (a + b) / 2.0, False
    status = "below_range" if root < low else "above_range" if root > high else "in_range"
    return BreakevenPoint(target, float(root), status, met_when, searched, bracket, converged)


def _changes_sign(a: float, b: float) -> bool:
    return math.isfinite(a) and math.isfinite(b) and (a <= 0.0 <= b or b <= 0.0 <= a)


def _held(value: float) -> str:
    return "always" if value > 0 else "nowhere"


def fixing_overrides(program: Scenario, key: str) -> list[str]:
    """Overrides that take ``key`` out of the scenario's correlations and orderings.

    A fixed input has no draw to correlate or order; the others of its groups keep theirs
    (a correlation matrix loses the input's row and column, a principal submatrix, so it stays
    positive semi-definite; a group left with one input is dropped).
    """
    out = []
    if any(key in c.inputs for c in program.correlations):
        groups = []
        for c in program.correlations:
            keep = [i for i, name in enumerate(c.inputs) if name != key]
            if len(keep) < 2:
                continue
            inputs = ", ".join(json.dumps(c.inputs[i]) for i in keep)
            matrix = ", ".join(
                "[" + ", ".join(repr(float(c.matrix[i][j])) for j in keep) + "]" for i in keep
            )
            groups.append(f"{{ inputs = [{inputs}], matrix = [{matrix}] }}")
        out.append(f"correlations=[{', '.join(groups)}]")
    if any(key in o.inputs for o in program.orderings):
        groups = []
        for o in program.orderings:
            names = [name for name in o.inputs if name != key]
            if len(names) >= 2:
                groups.append(f"{{ inputs = [{', '.join(json.dumps(n) for n in names)}] }}")
        out.append(f"orderings=[{', '.join(groups)}]")
    return out


def run_breakeven(
    scenario: str | None,
    keys: Sequence[str],
    labels: Mapping[str, str],
    options: RunOptions,
    *,
    overrides: Sequence[str] = (),
    progress: Progress | None = None,
    offset: int = 0,
) -> BreakevenResult:
    """The break-evens of ``keys``, each from runs with that input fixed.

    Parameters
    ----------
    scenario : the scenario's path or bundled name, as the base run loaded it
    keys : uncertain inputs of the program, biggest driver first
    labels : display label of each key
    options : the base run's options with its seed, ``trials`` (a number) and block size, so
        every run shares the base run's random numbers
    overrides : the ``--set`` strings of the base run, applied before the fixed value
    progress : ``progress(trials_done, trials_planned)`` after each block of each run
    offset : trials run before these (by the base run and the swing), added to what
        ``progress`` is told

    Raises
    ------
    ScenarioError
        If the scenario or an override is invalid (a fixed value outside the input's limits is
        not an error: it ends the outward search there).
    """
    loaded = load_scenario(scenario, overrides=overrides)
    inputs = loaded.program.uncertain_inputs()
    trials = int(options.trials)  # type: ignore[arg-type]
    done = offset
    planned = offset + len(keys) * PLANNED_EVALUATIONS * trials
    rows = []
    for key in keys:
        extra = fixing_overrides(loaded.program, key)

        def evaluate(value: float, key: str = key, extra: list[str] = extra) -> Evaluation | None:
            nonlocal done, planned
            try:
                variant = load_scenario(
                    scenario, overrides=[*overrides, *extra, f"{key}={value!r}"]
                )
            except ScenarioError:
                return None
            offset = done

            def step(d: int, _planned: int) -> None:
                if progress is not None:
                    progress(offset + d, max(planned, offset + d))

            result = run(variant, options, progress=step)
            done += result.trials
            planned = max(planned, done)
            return evaluation_of(value, result)

        dist = inputs[key]
        lo, hi = input_limits(key)
        rows.append(
            find_breakeven(
                key,
                labels.get(key, key),
                current_median=float(dist.ppf(np.array([0.5]))[0]),
                value_range=input_range(dist),
                limits=(lo, hi),
                evaluate=evaluate,
            )
        )
    method = breakeven_method(trials)
    if loaded.program.scenario.baseline is not None:
        method += (
            "; the baseline is a separate file, whose own uncertain inputs stay drawn (an input "
            "it shares is fixed in the program only)"
        )
    return BreakevenResult(method, trials, TOLERANCE_SHARE, tuple(rows))
