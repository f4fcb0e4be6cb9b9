"""Which inputs drive the ROI: a sampling tornado and a one-at-a-time swing tornado.

Two views, each named on its output, because they answer different questions:

* The **sampling tornado** is computed from the Monte Carlo trials themselves. Each uncertain
  input's Spearman rank correlation with ROI ranks the inputs; the bar of an input spans the mean
  ROI of the trials in which that input fell in its bottom decile to the mean ROI of those in its
  top decile (@RISK's "change in output mean" over ten equal-count bins). Because the trials carry
  the scenario's input correlations, so does this view. Beside it, the share of ROI variance
  explained by the input's deciles (the correlation ratio η², bias-adjusted) is a given-data
  estimate of the first-order variance-based (Sobol) index, from the same samples; with
  correlated inputs it includes the variance an input shares with those it is correlated with.
* The **swing tornado** is the one-at-a-time view executives know from spreadsheets (Crystal
  Ball's tornado tool): each input at its P10 and then its P90 with all other uncertain inputs at
  their medians, every run with the same seed (common random numbers), so the difference between
  the two ends is the input's effect, not noise. It ignores correlations and orderings and
  depends on the base case, and says so.

The output is ROI where it is defined in every trial, else NPV (and the method text says which).
:func:`sampling_tornado` and :func:`swing_tornado` are pure functions of run results;
:func:`run_sensitivity` orchestrates the runs and returns the base run with the tornados in
``meta["sensitivity"]`` (what a result file stores); :func:`summarize_sensitivity` reads them
back as a :class:`SensitivityResult`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from simroi.analysis.breakeven import (
    DEFAULT_BREAKEVEN_TOP,
    PLANNED_EVALUATIONS,
    BreakevenResult,
    run_breakeven,
)
from simroi.analysis.common_runs import Progress, common_seed, kept_as, run_common
from simroi.analysis.summary import interval, require_baseline
from simroi.analysis.views import samples_frame
from simroi.errors import SimroiError
from simroi.estimates import ci95
from simroi.execution.checkpoint import CheckpointSet
from simroi.execution.result import RunResult
from simroi.execution.runner import RunOptions, run
from simroi.formatting import (
    counted,
    html_table,
    json_ready,
    number_or_nan,
    pct,
    text_table,
    tornado_cells,
    tornado_scale,
)
from simroi.scenario.load import LoadedScenario, load_scenario

__all__ = [
    "DEFAULT_SWING_TRIALS",
    "DEFAULT_TOP",
    "SWING_METHOD",
    "SensitivityError",
    "SensitivityResult",
    "Tornado",
    "TornadoRow",
    "input_label",
    "output_metric",
    "run_sensitivity",
    "sampling_tornado",
    "summarize_sensitivity",
    "swing_levels",
    "swing_overrides",
    "swing_tornado",
]

DEFAULT_TOP = 10
DEFAULT_SWING_TRIALS = 200
SWING_METHOD = (
    "one-at-a-time swing: each input at its P10 and P90, all other uncertain inputs at their "
    "medians (ignores correlations and orderings)"
)
_SWING_LEVELS = (0.10, 0.50, 0.90)


class SensitivityError(SimroiError, ValueError):
    """A sensitivity analysis that cannot be done (too few trials, no uncertain inputs...)."""


@dataclass(frozen=True)
class TornadoRow:
    """One bar of a tornado.

    ``low`` and ``high`` are the output (ROI or NPV) when the input is low and high: for the
    sampling tornado the mean output in the input's bottom and top decile of trials, for the
    swing the mean output with the input at its P10 and at its P90. ``value_low`` and
    ``value_high`` are the input's values there (the decile means, or P10 and P90).
    ``coefficient`` (Spearman ρ, with a 95% interval) and ``first_order_index`` (bias-adjusted
    η²) belong to the sampling tornado and are None in a swing.
    """

    input: str
    label: str
    low: float
    high: float
    value_low: float
    value_high: float
    coefficient: float | None = None
    coefficient_ci95: tuple[float, float] | None = None
    first_order_index: float | None = None

    @property
    def swing(self) -> float:
        """``|high − low|``, the bar's length."""
        return abs(self.high - self.low)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (NaN becomes null)."""
        out: dict[str, Any] = {
            "input": self.input,
            "label": self.label,
            "low": self.low,
            "high": self.high,
            "value_low": self.value_low,
            "value_high": self.value_high,
            "swing": self.swing,
        }
        if self.coefficient is not None:
            out["coefficient"] = self.coefficient
            out["coefficient_ci95"] = self.coefficient_ci95
            out["first_order_index"] = self.first_order_index
        return json_ready(out)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TornadoRow:
        """Inverse of :meth:`to_dict` (null becomes NaN); a row without ``coefficient`` is a
        swing's."""
        ci = data.get("coefficient_ci95")
        sampled = "coefficient" in data
        return cls(
            input=str(data["input"]),
            label=str(data.get("label") or data["input"]),
            low=number_or_nan(data["low"]),
            high=number_or_nan(data["high"]),
            value_low=number_or_nan(data.get("value_low")),
            value_high=number_or_nan(data.get("value_high")),
            coefficient=number_or_nan(data["coefficient"]) if sampled else None,
            coefficient_ci95=(number_or_nan(ci[0]), number_or_nan(ci[1])) if ci else None,
            first_order_index=number_or_nan(data.get("first_order_index")) if sampled else None,
        )


@dataclass(frozen=True)
class Tornado:
    """A tornado: the method that made it, the output it is about, its base value and bars.

    ``base`` is the mean output of the run the bars are measured against (all trials for the
    sampling tornado; the all-medians run for a swing). Rows are sorted, biggest driver first.
    """

    method: str
    output: str
    output_label: str
    base: float
    trials: int
    rows: tuple[TornadoRow, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``method``, ``output``, ``base``, ``trials`` and ``rows``."""
        return json_ready(
            {
                "method": self.method,
                "output": self.output,
                "output_label": self.output_label,
                "base": self.base,
                "trials": self.trials,
                "rows": [r.to_dict() for r in self.rows],
            }
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Tornado:
        """Inverse of :meth:`to_dict` (null becomes NaN)."""
        return cls(
            method=str(data["method"]),
            output=str(data["output"]),
            output_label=str(data["output_label"]),
            base=number_or_nan(data.get("base")),
            trials=int(data["trials"]),
            rows=tuple(TornadoRow.from_dict(r) for r in data["rows"]),
        )


def input_label(key: str) -> str:
    """A readable label for an input key: ``channels.social.fcr`` → ``social: fcr``."""
    parts = key.split(".")
    name = parts[-1].replace("_", " ")
    if parts[0] == "channels" and len(parts) >= 3:
        return f"{parts[1]}: {' '.join(p.replace('_', ' ') for p in parts[2:])}"
    if parts[0] == "events" and len(parts) >= 3:
        return f"event {parts[1]}: {name}"
    return name


def output_metric(result: RunResult) -> tuple[str, np.ndarray, str]:
    """``(key, per-trial values, description)`` of the output a tornado is about.

    ROI when it is defined in every trial; otherwise NPV, saying why.
    """
    roi = np.asarray(result.samples["roi"], dtype=float)
    if roi.size and np.isfinite(roi).all():
        return "roi", roi, "ROI"
    undefined = 1.0 - interval(roi).defined
    return (
        "npv",
        np.asarray(result.samples["npv"], dtype=float),
        f"NPV (ROI is undefined in {pct(undefined, 1)} of trials, with no incremental cost)",
    )


def sampling_tornado(result: RunResult, *, bins: int = 10) -> Tornado:
    """The tornado of a run's uncertain inputs, from its own trials (respects correlations).

    Parameters
    ----------
    result : RunResult
        A run whose ``samples`` hold ``input.<key>`` for each uncertain input.
    bins : int
        Equal-count bins of each input (10: deciles); fewer when there are under 5 trials a bin.

    Raises
    ------
    SensitivityError
        With fewer than 10 trials or no uncertain input.
    """
    key, y, description = output_metric(result)
    n = y.size
    if n < 10:
        raise SensitivityError(f"sensitivity needs at least 10 trials (got {n})")
    inputs = sorted(k.removeprefix("input.") for k in result.samples if k.startswith("input."))
    if not inputs:
        raise SensitivityError(
            f"{result.provenance.scenario_source}: the scenario has no uncertain inputs, so "
            "nothing drives the uncertainty of the ROI"
        )
    k = max(2, min(bins, n // 5))
    ranks_y = stats.rankdata(y)
    total_ss = float(((y - y.mean()) ** 2).sum())
    null = (k - 1) / (n - 1)  # E[η²] for an input with no effect
    rows = []
    for name in inputs:
        x = np.asarray(result.samples[f"input.{name}"], dtype=float)
        if np.ptp(x) == 0.0:
            continue
        order = np.argsort(x, kind="stable")
        bin_of = np.empty(n, dtype=np.int64)
        bin_of[order] = np.arange(n) * k // n
        counts = np.bincount(bin_of, minlength=k)
        means = np.bincount(bin_of, weights=y, minlength=k) / counts
        x_means = np.bincount(bin_of, weights=x, minlength=k) / counts
        if total_ss > 0:
            rho = float(np.corrcoef(stats.rankdata(x), ranks_y)[0, 1])
            eta2 = float((counts * (means - y.mean()) ** 2).sum()) / total_ss
            index = max(0.0, (eta2 - null) / (1.0 - null))
        else:
            rho, index = 0.0, 0.0
        # Fieller–Hartley–Pearson standard error of atanh(ρ) for Spearman's ρ.
        se = math.sqrt(1.06 / (n - 3)) if n > 3 else math.inf
        z_low, z_high = ci95(math.atanh(max(-0.999999, min(0.999999, rho))), se)
        rows.append(
            TornadoRow(
                input=name,
                label=input_label(name),
                low=float(means[0]),
                high=float(means[-1]),
                value_low=float(x_means[0]),
                value_high=float(x_means[-1]),
                coefficient=rho,
                coefficient_ci95=(math.tanh(z_low), math.tanh(z_high)),
                first_order_index=index,
            )
        )
    rows.sort(key=lambda r: (-abs(r.coefficient or 0.0), r.input))
    bin_name = "decile" if k == 10 else f"1/{k} bin"
    method = (
        f"Spearman rank correlation of each input with {description} across {counted(n, 'trial')} "
        f"(respects input correlations); bars: mean {key.upper()} of the trials in the input's "
        f"bottom and top {bin_name}; first-order index: share of {key.upper()} variance "
        f"explained by the input's {bin_name}s (correlation ratio, bias-adjusted)"
    )
    return Tornado(method, key, description, float(y.mean()), n, tuple(rows))


def swing_levels(loaded: LoadedScenario) -> dict[str, tuple[float, float, float]]:
    """P10, P50 and P90 of every uncertain input of the program, by key."""
    out = {}
    for key, dist in loaded.program.uncertain_inputs().items():
        p10, p50, p90 = (float(v) for v in dist.ppf(np.array(_SWING_LEVELS)))
        out[key] = (p10, p50, p90)
    return out


def swing_overrides(
    loaded: LoadedScenario,
    levels: dict[str, tuple[float, float, float]],
    at: dict[str, float] | None = None,
) -> list[str]:
    """Overrides (``key=value``) fixing every uncertain input at its median, except those in
    ``at``.

    Correlations and orderings are dropped (``correlations=[]``, ``orderings=[]``): fixed inputs
    have no joint draw to honour, and one input at its P10 or P90 with the others at their
    medians may step outside an ordering (the swing moves one input at a time, by design).
    """
    at = at or {}
    sets = ["correlations=[]"] if loaded.program.correlations else []
    if loaded.program.orderings:
        sets.append("orderings=[]")
    for key, (_, p50, _) in levels.items():
        sets.append(f"{key}={float(at.get(key, p50))!r}")
    return sets


def _mean_output(result: RunResult, key: str) -> float:
    """The mean of a run's output over its defined trials (the interval's mean)."""
    return interval(result.samples[key]).mean


def swing_tornado(
    keys: Sequence[str],
    levels: dict[str, tuple[float, float, float]],
    base: RunResult,
    lows: Sequence[RunResult],
    highs: Sequence[RunResult],
    *,
    output: str = "roi",
    output_label: str = "ROI",
    note: str = "",
) -> Tornado:
    """The one-at-a-time swing tornado from runs at each input's P10 and P90.

    Parameters
    ----------
    keys : the swung inputs; ``lows[i]`` and ``highs[i]`` are the runs with ``keys[i]`` at its
        P10 and P90 and every other uncertain input at its median
    levels : P10, P50, P90 of each input (:func:`swing_levels`)
    base : the run with every uncertain input at its median
    output : ``"roi"`` or ``"npv"``, the per-trial sample to average
    """
    rows = [
        TornadoRow(
            input=key,
            label=input_label(key),
            low=_mean_output(low, output),
            high=_mean_output(high, output),
            value_low=levels[key][0],
            value_high=levels[key][2],
        )
        for key, low, high in zip(keys, lows, highs, strict=True)
    ]
    rows.sort(key=lambda r: (-(r.swing if math.isfinite(r.swing) else -1.0), r.input))
    method = (
        f"{SWING_METHOD}; mean {output_label} over {counted(base.trials, 'trial')} per run, "
        f"every run with the same seed (common random numbers){note}"
    )
    return Tornado(
        method, output, output_label, _mean_output(base, output), base.trials, tuple(rows)
    )


def run_sensitivity(
    scenario: str | None,
    options: RunOptions | None = None,
    *,
    overrides: Sequence[str] = (),
    swing: bool = True,
    top: int = DEFAULT_TOP,
    swing_trials: int = DEFAULT_SWING_TRIALS,
    breakeven: bool = False,
    breakeven_top: int = DEFAULT_BREAKEVEN_TOP,
    progress: Progress | None = None,
    checkpoints: CheckpointSet | None = None,
) -> RunResult:
    """Run a scenario and compute its tornados; the base run with ``meta["sensitivity"]``.

    ``meta["sensitivity"]`` is ``{"method", "output", "output_label", "base", "trials",
    "rows": [...], "swing": {"method", ..., "rows": [...]} or None, "top"}`` with rows as in
    :meth:`TornadoRow.to_dict`. The swing covers the ``top`` inputs of the sampling tornado,
    ``2·top + 1`` runs of ``swing_trials`` trials with the base run's seed. With ``breakeven``,
    ``meta["sensitivity"]["breakeven"]`` holds the break-evens of the ``breakeven_top`` first
    inputs (:func:`simroi.analysis.breakeven.run_breakeven`, runs of the base run's trials and
    seed), else None. With ``checkpoints``, the base run (``base``) and the swing runs
    (``swing-<i>``) keep their blocks there to be resumed; the break-even search is run anew.

    Raises
    ------
    SensitivityError
        For a scenario with no uncertain inputs, or bad ``top``/``swing_trials``.
    ScenarioError
        If the scenario or an override is invalid, or the scenario has no baseline.
    """
    options = options or RunOptions()
    if top < 1:
        raise SensitivityError(f"top must be ≥ 1 (got {top})")
    if swing_trials < 1:
        raise SensitivityError(f"swing_trials must be ≥ 1 (got {swing_trials})")
    if breakeven_top < 1:
        raise SensitivityError(f"breakeven_top must be ≥ 1 (got {breakeven_top})")
    loaded = load_scenario(scenario, overrides=overrides)
    require_baseline(loaded)
    levels = swing_levels(loaded)
    if not levels:
        raise SensitivityError(
            f"{loaded.source}: the scenario has no uncertain inputs, so nothing drives the "
            "uncertainty of the ROI"
        )
    options = replace(options, seed=common_seed(options, checkpoints))
    planned_base = (
        options.trials if isinstance(options.trials, int) else loaded.program.simulation.trials
    )
    swung = min(top, len(levels)) if swing else 0
    total = planned_base + (2 * swung + 1) * swing_trials * bool(swing)
    total += breakeven * min(breakeven_top, len(levels)) * PLANNED_EVALUATIONS * planned_base

    def base_progress(done: int, planned: int) -> None:
        if progress is not None:
            progress(done, max(total, done))

    base = run(loaded, options, progress=base_progress, **kept_as(checkpoints, "base"))
    base = replace(base, provenance=replace(base.provenance, overrides=tuple(overrides)))
    sampling = sampling_tornado(base)
    swing_json: dict[str, Any] | None = None
    if swing:
        keys = [r.input for r in sampling.rows[:top]]
        at_median = [*overrides, *swing_overrides(loaded, levels)]
        sets = [at_median]
        for key in keys:
            for level in (0, 2):
                sets.append(
                    [*overrides, *swing_overrides(loaded, levels, {key: levels[key][level]})]
                )
        variants = [load_scenario(scenario, overrides=s) for s in sets]
        done = base.trials

        def swing_progress(d: int, planned: int) -> None:
            if progress is not None:
                progress(done + d, max(done + planned, done + d))

        swing_options = replace(options, trials=swing_trials)
        kept: dict[str, Any] = {"checkpoints": checkpoints, "label": "swing"}
        runs = run_common(variants, swing_options, overrides=sets, progress=swing_progress, **kept)
        note = ""
        if loaded.program.scenario.baseline is not None:
            note = "; the baseline is a separate file, whose own uncertain inputs stay sampled"
        tornado = swing_tornado(
            keys,
            levels,
            runs[0],
            runs[1::2],
            runs[2::2],
            output=sampling.output,
            output_label=sampling.output_label,
            note=note,
        )
        swing_json = tornado.to_dict()
    breakeven_json: dict[str, Any] | None = None
    if breakeven:
        breakeven_json = run_breakeven(
            scenario,
            [r.input for r in sampling.rows[:breakeven_top]],
            {r.input: r.label for r in sampling.rows},
            replace(options, trials=base.trials, block_size=base.provenance.block_size),
            overrides=overrides,
            progress=progress,
            offset=base.trials + (swing_trials * (2 * len(keys) + 1) if swing else 0),
        ).to_dict()
    # "top": the inputs the terminal showed, which the exports show too.
    stored = {**sampling.to_dict(), "swing": swing_json, "breakeven": breakeven_json, "top": top}
    return replace(base, meta={**base.meta, "sensitivity": stored})


@dataclass(frozen=True, repr=False, eq=False)
class SensitivityResult:
    """What drives the output of a run: its sampling tornado and, if run, the swing tornado.

    Made by :func:`summarize_sensitivity` from the run :func:`run_sensitivity` returns (or a
    result file of ``simroi sensitivity --out``); ``run`` is that run, so the per-trial samples
    the sampling tornado comes from, inputs included, are :attr:`samples`.
    """

    run: RunResult
    sampling: Tornado
    swing: Tornado | None
    breakeven: BreakevenResult | None = None

    @property
    def samples(self) -> dict[str, np.ndarray]:
        """The run's per-trial samples (arrays of shape (trials,)): ``roi``, ``input.…``, …"""
        return self.run.samples

    def save(self, path: str | Path) -> Path:
        """Write the run with its tornados to a result file, as ``sensitivity --out`` does."""
        return self.run.save(path)

    def to_dict(self, top: int | None = None) -> dict[str, Any]:
        """The JSON of ``simroi sensitivity --json``: the tornados and the run they are from;
        ``breakeven`` (rows) and ``breakeven_method``, or null when not run.

        ``top`` keeps the first ``top`` rows of the sampling tornado (all when None).
        """
        be = self.breakeven
        prov = self.run.provenance
        out = {
            "kind": "sensitivity",
            "seed": str(prov.seed),
            "trials": self.run.trials,
            "scenario": prov.scenario_name,
            "source": prov.scenario_source,
            "currency": self.run.meta.get("currency", "USD"),
            **self.sampling.to_dict(),
            "swing": None if self.swing is None else self.swing.to_dict(),
            "breakeven": None if be is None else [r.to_dict() for r in be.rows],
            "breakeven_method": None if be is None else be.method,
        }
        if top is not None:
            out["rows"] = out["rows"][:top]
        return json_ready(out)

    def to_frame(self) -> Any:
        """The run's per-trial samples as a pandas DataFrame (a row per trial); raises
        ImportError naming ``pip install "simroi[notebook]"`` when pandas is missing."""
        return samples_frame(self.run)

    def _unit(self) -> str:
        return "pct" if self.sampling.output == "roi" else "money"

    def _rows(self, top: int = 5) -> list[list[str]]:
        """The biggest drivers: input, ρ, output in the bottom and top bin, share of variance."""
        currency = str(self.run.meta.get("currency", "USD"))
        shown = self.sampling.rows[:top]
        scale = tornado_scale(self.sampling.base, ((r.low, r.high) for r in shown))
        rows = []
        for r in shown:
            numbers = (r.low, r.high, r.coefficient, r.first_order_index)
            rows.append([r.label, *tornado_cells(numbers, self._unit(), currency, scale)])
        return rows

    def _title(self) -> str:
        prov = self.run.provenance
        return (
            f"what drives the {self.sampling.output.upper()} of {prov.scenario_name}: "
            f"{counted(self.run.trials, 'trial')}, seed {prov.seed}"
        )

    _HEADER = ("input", "ρ", "bottom → top bin", "var. share")

    def __repr__(self) -> str:
        rows = self._rows()
        notes = []
        if len(self.sampling.rows) > len(rows):
            notes.append(f"… and {len(self.sampling.rows) - len(rows)} more inputs")
        if self.swing is not None:
            notes.append(f"with a one-at-a-time swing tornado of {len(self.swing.rows)} inputs")
        if self.breakeven is not None:
            notes.append(f"with the break-evens of {len(self.breakeven.rows)} inputs")
        return text_table(f"SensitivityResult: {self._title()}", self._HEADER, rows, notes)

    def _repr_html_(self) -> str:
        return html_table(self._title(), self._HEADER, self._rows(), self.sampling.method)


def summarize_sensitivity(result: RunResult) -> SensitivityResult:
    """The tornados :func:`run_sensitivity` stored in ``result.meta["sensitivity"]``.

    Raises
    ------
    SensitivityError
        When the result holds no sensitivity analysis.
    """
    stored = result.meta.get("sensitivity")
    if not isinstance(stored, dict):
        raise SensitivityError(
            f"{result.provenance.scenario_name}: this result holds no sensitivity analysis"
        )
    swing, breakeven = stored.get("swing"), stored.get("breakeven")
    return SensitivityResult(
        run=result,
        sampling=Tornado.from_dict(stored),
        swing=Tornado.from_dict(swing) if isinstance(swing, dict) else None,
        breakeven=BreakevenResult.from_dict(breakeven) if isinstance(breakeven, dict) else None,
    )
