"""The simulating verbs of the Python API: :func:`run`, :func:`compare`, :func:`sweep`,
:func:`sensitivity` and :func:`queue`, and :func:`load_scenario`, each the function of its command.

Every result of :func:`run`, :func:`compare`, :func:`sweep` and :func:`sensitivity` stores the
call that replays it in its provenance (``provenance.command``), as a line of Python, e.g.
``simroi.run('default', trials=20, seed=7, overrides=['scenario.horizon_months=3'],
engine='compiled')``: the seed used (also when none was given), and every argument that
changes a number, nothing that does not (``workers``, ``executor``, ``scheduler``,
``progress``). ``simroi export`` shows it on the deck. :func:`_replay` builds it, for all four.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping, Sequence
from os import PathLike
from typing import Literal

from simroi.analysis.breakeven import DEFAULT_BREAKEVEN_TOP
from simroi.analysis.comparison import ComparisonResult, compare_result_set, run_comparison
from simroi.analysis.sensitivity import (
    DEFAULT_SWING_TRIALS,
    DEFAULT_TOP,
    SensitivityResult,
    run_sensitivity,
    summarize_sensitivity,
)
from simroi.analysis.summary import RunSummary, require_baseline, summarize
from simroi.analysis.sweep import DEFAULT_CONFIDENCE, SweepResult, run_sweep, summarize_sweep
from simroi.errors import OptionError, SimroiError
from simroi.execution.result import RunResult
from simroi.execution.runner import RunOptions
from simroi.execution.runner import run as run_blocks
from simroi.queueing.engines import Engine, normalize_engine
from simroi.queueing.queue_spec import QueueSpec, StaffingTarget
from simroi.queueing.study import QueueStudy, study_queue
from simroi.scenario.load import LoadedScenario, bundled_scenarios
from simroi.scenario.load import load_scenario as _load

__all__ = [
    "Engine",
    "Executor",
    "Progress",
    "ScenarioName",
    "compare",
    "load_scenario",
    "queue",
    "run",
    "sensitivity",
    "sweep",
]

#: A scenario file's path, or the name of a bundled scenario (``simroi scenarios`` lists them).
ScenarioName = str | PathLike[str]
#: ``progress(trials_done, trials_planned)``, called after each block of trials.
Progress = Callable[[int, int], None]
Executor = Literal["local", "dask"]

#: What the queue study calls the arguments :func:`queue` takes under other names, for its
#: messages (:meth:`~simroi.errors.SimroiError.worded`).
_QUEUE_ARGUMENTS = {"service_level": "`target_sl`", "target": "`target_sl`"}


def _replay_call(verb: str, *scenarios: str, **arguments: object) -> str:
    """The Python call that gives the same numbers again, byte for byte: built here only.

    ``simroi.VERB(SCENARIOS, NAME=VALUE, ...)``, each value written by :func:`repr` (so it reads
    back with :func:`eval`, ``simroi`` in scope), the keyword arguments in the order given and
    those whose value is None left out. The verbs pass every argument that changes a number:
    ``trials`` (the trials simulated, or ``"auto"`` when asked for: the stopping rule then stops
    at the same trial again), ``seed`` (the root seed used, also when none was given),
    ``overrides`` (when there are any), ``engine`` (always, so that a new default engine cannot
    change what the call replays) and the verb's own options; never ``workers``, ``executor``,
    ``scheduler`` or ``progress``, which change no number (DESIGN.md §3).
    """
    words = [repr(s) for s in scenarios]
    words += [f"{name}={value!r}" for name, value in arguments.items() if value is not None]
    return f"simroi.{verb}({', '.join(words)})"


def _replay(
    verb: str,
    scenarios: Sequence[str],
    first: RunResult,
    *,
    trials: int | Literal["auto"] | None,
    overrides: Sequence[str],
    engine: Engine,
    **options: object,
) -> str:
    """The replay call of a verb whose runs share ``first``'s seed and trials.

    ``options`` are the verb's own (sweep's grid, sensitivity's swing …), written first; then
    ``trials`` (``"auto"`` when asked for, else the trials ``first`` simulated), the seed
    ``first`` used, the overrides (when there are any) and the engine.
    """
    return _replay_call(
        verb,
        *scenarios,
        **options,
        trials="auto" if trials == "auto" else first.trials,
        seed=first.provenance.seed,
        overrides=list(overrides) or None,
        engine=normalize_engine(engine),
    )


def _plain(value: object) -> object:
    """A grid value as a Python number (numpy's scalars read back only with numpy in scope)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    return value


def _reloadable(loaded: LoadedScenario) -> str | None:
    """The name or path that loads ``loaded`` again unchanged, or None.

    A scenario changed while loading (overrides given to :func:`load_scenario`) or after cannot
    be loaded again from its file alone, so its run stores no replay call.
    """
    try:
        again = _load(loaded.source)
    except SimroiError:  # the file changed or went away since
        return None
    if again.content_hash != loaded.content_hash:
        return None
    bundled = {str(path): name for name, path in bundled_scenarios().items()}
    return bundled.get(loaded.source, loaded.source)


def override_list(overrides: Sequence[str]) -> list[str]:
    """``overrides`` as a list, refused unless a sequence of strings (a lone string is not)."""
    if isinstance(overrides, str) or not all(isinstance(o, str) for o in overrides):
        raise OptionError(f"`overrides` must be a list of 'key=value' strings (got {overrides!r})")
    return list(overrides)


def _options(
    trials: int | Literal["auto"] | None,
    seed: int | None,
    engine: Engine,
    workers: int | None,
    executor: Executor,
    scheduler: str | None,
) -> RunOptions:
    """The run options, checked (:class:`~simroi.execution.runner.RunOptions` refuses bad ones
    with an :class:`~simroi.errors.OptionError` naming the argument)."""
    return RunOptions(
        trials=trials,
        seed=seed,
        engine=engine,
        workers=workers,
        executor=executor,
        scheduler=scheduler,
    )


def load_scenario(
    scenario: ScenarioName | None = None, *, overrides: Sequence[str] = ()
) -> LoadedScenario:
    """Load, override and validate a scenario and its baseline (``simroi validate``).

    Parameters
    ----------
    scenario : a file path or a bundled scenario's name; None loads the bundled default
    overrides : ``"dotted.key=value"`` strings, as ``--set`` takes them, e.g.
        ``"channels.social.agents=3"`` or ``'customers.monthly_churn={ dist = "pert", low =
        0.01, mode = 0.02, high = 0.03 }'``

    Examples
    --------
    >>> import simroi
    >>> loaded = simroi.load_scenario("default", overrides=["channels.social.agents=3"])
    >>> loaded.program.channels["social"].agents, loaded.baseline is not None
    (3, True)
    """
    return _load(None if scenario is None else str(scenario), overrides=overrides)


def run(
    scenario: ScenarioName | LoadedScenario | None = None,
    *,
    trials: int | Literal["auto"] | None = None,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    engine: Engine = "compiled",
    workers: int | None = None,
    executor: Executor = "local",
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> RunSummary:
    """Simulate a scenario against its baseline (``simroi run``).

    Parameters
    ----------
    scenario : a file path, a bundled scenario's name, or a :func:`load_scenario` result; None
        runs the bundled default
    trials : trials to run, ``"auto"`` (until P(ROI > 0) and the mean NPV are known precisely),
        or None for the scenario's ``[simulation] trials``
    seed : the root seed, a whole number ≥ 0; None draws a fresh one
        (``summary.result.provenance.seed`` holds it)
    overrides : ``--set`` strings applied before validation (not with a loaded scenario)
    engine : ``"compiled"`` (numba, the fastest), ``"numpy"`` (its vectorized reference: the same
        bits) or ``"simpy"`` (the specification, one trial at a time)
    workers, executor, scheduler : where blocks run (``workers`` ≥ 1 local processes, default
        all cores; or ``executor="dask"``, a Dask cluster at ``scheduler``, default a local
        one). They never change a number.
    progress : called as ``progress(trials_done, trials_planned)`` after each block

    Returns
    -------
    RunSummary
        ROI, NPV, payback, each line, KPIs and objectives with intervals; ``.lifetime`` the
        lifetime view's ROI and NPV beside them; ``.monthly`` the P5/P50/P95 of every KPI
        month by month; ``.samples`` the per-trial arrays (``.result.monthly`` the
        month-by-month ones); ``.result`` the :class:`~simroi.execution.result.RunResult`, whose
        ``provenance.command`` is the call that replays it (none for a loaded scenario that
        its file alone does not give again: pass the name and ``overrides`` instead).

    Raises
    ------
    OptionError
        A bad argument: ``trials`` not a whole number ≥ 1 or ``"auto"``, ``seed`` not a whole
        number ≥ 0, an unknown ``engine`` or ``executor``, ``workers`` < 1, ``scheduler``
        without ``executor="dask"``, ``overrides`` with a loaded scenario.
    ScenarioError
        A scenario file or override breaks a rule, or the scenario has no baseline.

    Examples
    --------
    >>> import simroi
    >>> short = ["scenario.horizon_months=3", "simulation.sampled_days_per_month=1"]
    >>> summary = simroi.run("default", trials=40, seed=3, overrides=short, workers=1)
    >>> summary.trials, summary.samples["roi"].shape
    (40, (40,))
    >>> 0 <= summary.prob_roi_positive.value <= 1
    True
    >>> summary.monthly.bands["customers_kept"]["p50"].shape  # one value a month
    (3,)
    """
    options = _options(trials, seed, engine, workers, executor, scheduler)  # checked first
    overrides = override_list(overrides)
    if isinstance(scenario, LoadedScenario):
        if overrides:
            raise OptionError(
                "`overrides` apply while a scenario loads: give them to load_scenario(), or "
                "give run() the scenario's name or path"
            )
        loaded = scenario
        name = _reloadable(loaded)
        replayable = name is not None
    else:
        name = None if scenario is None else str(scenario)
        loaded = load_scenario(name, overrides=overrides)
        replayable = True
    require_baseline(loaded)
    result = run_blocks(loaded, options, progress=progress)
    if not replayable:
        return summarize(result)
    names = [name] if name is not None else []
    command = _replay("run", names, result, trials=trials, overrides=overrides, engine=engine)
    return summarize(result.with_command(command, overrides=overrides))


def compare(
    *scenarios: ScenarioName,
    trials: int | Literal["auto"] | None = None,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    engine: Engine = "compiled",
    workers: int | None = None,
    executor: Executor = "local",
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> ComparisonResult:
    """Compare scenarios side by side with common random numbers (``simroi compare``).

    Every scenario runs with the same seed and trials, so trial *t* is the same possible world
    in each. Differences are paired against the first scenario; an undefined ROI (no costs
    against the baseline) is never better than a defined one, and two undefined ones tie.

    Parameters
    ----------
    scenarios : two or more file paths or bundled names; the first is the reference
    overrides : ``--set`` strings applied to every scenario
    trials, seed, engine, workers, executor, scheduler, progress : as for :func:`run`

    Examples
    --------
    >>> import simroi
    >>> short = ["scenario.horizon_months=3", "simulation.sampled_days_per_month=1"]
    >>> c = simroi.compare("default", "social-team-2", trials=30, seed=3, overrides=short,
    ...                    workers=1)
    >>> c.labels, round(sum(c.prob_best), 9)
    (('default', 'social-team-2'), 1.0)
    """
    options = _options(trials, seed, engine, workers, executor, scheduler)
    overrides = override_list(overrides)
    names = [str(s) for s in scenarios]
    result_set = run_comparison(names, options, overrides=overrides, progress=progress)
    first = result_set.runs[0]
    command = _replay("compare", names, first, trials=trials, overrides=overrides, engine=engine)
    return compare_result_set(result_set.with_command(command))


def _grid_sets(grid: Mapping[str, str | Sequence[float]]) -> list[str]:
    """``--set`` strings for a sweep grid: ``{"k": "1:6"}`` or ``{"k": [1, 2, 4]}``."""
    sets = []
    for key, values in grid.items():
        if isinstance(values, str):
            sets.append(f"{key}={values}")
            continue
        plain = [_plain(v) for v in values]
        if not plain:
            raise OptionError(f"`grid` {key}: give at least one value (got none)")
        # A trailing comma keeps a one-value list a grid axis (a point), not a fixed setting.
        listed = ",".join(repr(v) if isinstance(v, float) else str(v) for v in plain)
        sets.append(f"{key}={listed}" + ("," if len(plain) == 1 else ""))
    return sets


def _plain_grid(grid: Mapping[str, str | Sequence[float]]) -> dict[str, object]:
    """The grid as plain Python values, for the replay call."""
    return {
        key: values if isinstance(values, str) else [_plain(v) for v in values]
        for key, values in grid.items()
    }


def sweep(
    scenario: ScenarioName | None = None,
    grid: Mapping[str, str | Sequence[float]] | None = None,
    *,
    confidence: float = DEFAULT_CONFIDENCE,
    trials: int | Literal["auto"] | None = None,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    engine: Engine = "compiled",
    workers: int | None = None,
    executor: Executor = "local",
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> SweepResult:
    """Sweep one or two inputs over a grid, with common random numbers (``simroi sweep``).

    Parameters
    ----------
    scenario : a file path or a bundled name; None sweeps the bundled default
    grid : one or two inputs and their values: ``{"channels.social.agents": "1:6"}`` (start:stop
        or start:stop:step, inclusive) or ``{"channels.social.agents": [1, 2, 4]}``
    confidence : the recommendation is the cheapest point meeting every objective with at least
        this probability
    overrides : ``--set`` strings applied at every point
    trials, seed, engine, workers, executor, scheduler, progress : as for :func:`run`

    Examples
    --------
    >>> import simroi
    >>> short = ["scenario.horizon_months=3", "simulation.sampled_days_per_month=1"]
    >>> s = simroi.sweep(grid={"channels.social.agents": [1, 2]}, trials=30, seed=3,
    ...                  overrides=short, workers=1)
    >>> [p.label for p in s.points]
    ['channels.social.agents=1', 'channels.social.agents=2']
    """
    if not grid:
        raise OptionError(
            '`grid` must name at least one input, e.g. {"channels.social.agents": "1:6"}'
        )
    options = _options(trials, seed, engine, workers, executor, scheduler)
    overrides = override_list(overrides)
    sets = [*_grid_sets(grid), *overrides]
    name = None if scenario is None else str(scenario)
    result_set = run_sweep(name, sets, options, confidence=confidence, progress=progress)
    command = _replay(
        "sweep",
        [name] if name is not None else [],
        result_set.runs[0],
        trials=trials,
        overrides=overrides,
        engine=engine,
        grid=_plain_grid(grid),
        confidence=confidence,
    )
    return summarize_sweep(result_set.with_command(command), confidence)


def sensitivity(
    scenario: ScenarioName | None = None,
    *,
    swing: bool = True,
    top: int = DEFAULT_TOP,
    swing_trials: int = DEFAULT_SWING_TRIALS,
    breakeven: bool = False,
    breakeven_top: int = DEFAULT_BREAKEVEN_TOP,
    trials: int | Literal["auto"] | None = None,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    engine: Engine = "compiled",
    workers: int | None = None,
    executor: Executor = "local",
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> SensitivityResult:
    """Which inputs drive the result: the sampling and swing tornados (``simroi sensitivity``).

    Parameters
    ----------
    swing : also run the swing tornado (each of the ``top`` inputs at its P10 and P90, the rest
        at their medians, ``swing_trials`` trials each); else only the sampling tornado
    top : how many inputs the swing covers
    breakeven : also find the break-evens of the ``breakeven_top`` biggest drivers (``.breakeven``)
    trials, seed, overrides, engine, workers, executor, scheduler, progress : as for :func:`run`

    Examples
    --------
    >>> import simroi
    >>> short = ["scenario.horizon_months=3", "simulation.sampled_days_per_month=1"]
    >>> t = simroi.sensitivity(trials=40, seed=3, overrides=short, swing=False, workers=1)
    >>> t.swing is None and len(t.sampling.rows) > 0
    True
    """
    options = _options(trials, seed, engine, workers, executor, scheduler)
    overrides = override_list(overrides)
    name = None if scenario is None else str(scenario)
    result = run_sensitivity(
        name,
        options,
        overrides=overrides,
        swing=swing,
        top=top,
        swing_trials=swing_trials,
        breakeven=breakeven,
        breakeven_top=breakeven_top,
        progress=progress,
    )
    command = _replay(
        "sensitivity",
        [name] if name is not None else [],
        result,
        trials=trials,
        overrides=overrides,
        engine=engine,
        swing=swing,
        top=top,
        swing_trials=swing_trials if swing else None,
        breakeven=breakeven or None,
        breakeven_top=breakeven_top if breakeven else None,
    )
    return summarize_sensitivity(result.with_command(command))


def queue(
    *,
    arrivals_per_hour: float,
    aht_minutes: float,
    agents: int | None = None,
    patience_minutes: float | None = None,
    hours: float = 8.0,
    sl_seconds: float = 20.0,
    handle_dist: Literal["exponential", "lognormal", "gamma"] = "exponential",
    handle_cv: float = 1.0,
    warmup_minutes: float = 0.0,
    target_sl: float | None = None,
    max_abandonment: float | None = None,
    trials: int = 2000,
    seed: int | None = None,
    engine: Engine = "compiled",
) -> QueueStudy:
    """One channel's queue: simulated KPIs beside Erlang C and Erlang A (``simroi queue``).

    Parameters
    ----------
    arrivals_per_hour, aht_minutes : Poisson arrivals and the mean handle time
    agents : agents on duty; None with ``target_sl`` simulates the agents the target requires
    patience_minutes : mean (exponential) patience; None: nobody hangs up (Erlang C)
    target_sl : a service level to staff for (fraction answered within ``sl_seconds``); the
        study then holds the agents Erlang A (or C) requires (``study.staffing``)
    max_abandonment : with ``target_sl`` and a patience, the highest acceptable abandonment
    hours, sl_seconds, handle_dist, handle_cv, warmup_minutes, trials, seed, engine : as the
        command's options

    Raises
    ------
    OptionError
        An argument breaks a rule (rates, times and ``handle_cv`` finite and > 0, ``hours``
        at most a year, ``sl_seconds`` ≥ 0, ``warmup_minutes`` ≥ 0 and shorter than the day,
        ``agents`` a whole number from 0 to 10,000, ``target_sl`` in [0, 1),
        ``max_abandonment`` in (0, 1], ``trials`` from 2 to 10,000,000, ``seed`` ≥ 0,
        ``handle_dist`` and ``engine`` among the listed names); the days simulated together
        would hold more than 60 million contact slots (the message says how many trials fit);
        no staffing meets the target, or it needs more than 10,000 agents. The message names
        this function's argument.

    Examples
    --------
    >>> import simroi
    >>> q = simroi.queue(arrivals_per_hour=120, aht_minutes=4, patience_minutes=3,
    ...                  target_sl=0.8, trials=50, seed=7)
    >>> q.staffing.agents == q.spec.agents, q.samples["service_level"].shape
    (True, (50,))
    """
    if target_sl is None and max_abandonment is not None:
        raise OptionError("`max_abandonment` is part of a staffing target: give `target_sl` too")
    try:
        spec = QueueSpec(
            arrivals_per_hour,
            agents,
            aht_minutes,
            patience_minutes,
            hours,
            sl_seconds,
            handle_dist,
            handle_cv,
            warmup_minutes,
        )
        target = None if target_sl is None else StaffingTarget(target_sl, max_abandonment)
        return study_queue(spec, trials=trials, seed=seed, engine=engine, target=target)
    except OptionError as exc:  # the study's names for this function's arguments
        raise type(exc)(exc.worded(_QUEUE_ARGUMENTS)) from None
