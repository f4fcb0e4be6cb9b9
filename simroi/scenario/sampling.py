"""Per-trial draws of the uncertain inputs (the epistemic layer of a trial).

Each trial is one possible world: one draw of every uncertain input. For a block of ``n`` trials,
:func:`sample_inputs` draws every input ``n`` times by inverse transform, either by Latin hypercube
sampling (the default: one draw in each of ``n`` equal-probability strata, so even a small block
covers the whole distribution) or by plain Monte Carlo, and then, if the scenario asks for it,
rank-correlates named inputs by Iman–Conover reordering.

Ordered inputs (``[[orderings]]``) are drawn *comonotone*: every input of a group from the same
uniforms (the stream of the group's first uncertain input, Latin hypercube strata included), each
through its own inverse CDF. Each keeps its distribution exactly, and ``a ≤ b`` holds in every
trial because the loader checked that ``a``'s quantile function lies nowhere above ``b``'s
(:mod:`simroi.scenario.ordering`).

Streams are keyed by the input's *name* (DESIGN.md §3): input ``x`` in block ``b`` always draws
from ``streams.rng("input", "x")``, so adding, removing or reordering other inputs never changes
its values, and a program and its baseline see the same draws (common random numbers). Only the
later inputs of an ordering draw from another input's stream.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from scipy import linalg

from simroi.errors import ScenarioError
from simroi.randomness import Streams
from simroi.scenario.correlation import iman_conover, rank_correlation, validate_correlation
from simroi.scenario.quantiles import open_uniforms
from simroi.scenario.quantity import Quantity, as_distribution
from simroi.scenario.spec import Scenario

__all__ = [
    "CHECK_STREAMS",
    "CORRELATION_CHECK_TRIALS",
    "AchievedCorrelation",
    "HeldOrdering",
    "InputSample",
    "achieved_correlations",
    "held_orderings",
    "sample_inputs",
    "sample_scenario_inputs",
]

#: Trials drawn by default to show the rank correlations the sampler achieves.
CORRELATION_CHECK_TRIALS = 2000
#: The fixed streams those trials are drawn from: the same figures every time they are shown.
CHECK_STREAMS = Streams(0, 0)

FloatArray = npt.NDArray[np.float64]

_BELOW_ONE = float(np.nextafter(1.0, 0.0))


@dataclass(frozen=True, eq=False)
class InputSample:
    """The sampled inputs of one block of trials.

    Indexing, iteration and ``len`` go to :attr:`values`: ``sample["handle_time_minutes"]``.

    Attributes
    ----------
    values : dict of str to numpy.ndarray
        Input name → read-only float64 array of shape (n,), one value per trial, in the input's
        units. Fixed inputs are constant arrays.
    achieved_correlation : numpy.ndarray or None
        Spearman rank correlation of the correlated inputs in this block, shape (k, k), in the
        order of :attr:`correlation_names`, to report beside :attr:`requested_correlation`; None
        when no correlation was requested. Rows and columns of a fixed input are NaN off the
        diagonal (a constant has no ranks).
    correlation_names : tuple of str
        The correlated inputs, in the order of the matrices.
    requested_correlation : numpy.ndarray or None
        The requested Spearman matrix, shape (k, k).
    """

    values: dict[str, FloatArray]
    achieved_correlation: FloatArray | None = None
    correlation_names: tuple[str, ...] = ()
    requested_correlation: FloatArray | None = None

    def __getitem__(self, name: str) -> FloatArray:
        return self.values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)


def _latin_hypercube(n: int, *, rng: np.random.Generator) -> FloatArray:
    """One open uniform in each of the ``n`` strata ((i, i+1)/n), in random order, shape (n,)."""
    jitter = open_uniforms(n, rng=rng)
    strata = rng.permutation(n)
    # (i + u)/n can round up to (i + 1)/n; keep the top stratum's draw below 1 so ppf is finite.
    return np.minimum((strata + jitter) / n, _BELOW_ONE)


def sample_inputs(
    inputs: Mapping[str, Quantity],
    n: int,
    *,
    streams: Streams,
    method: Literal["lhs", "mc"] = "lhs",
    correlation: tuple[Sequence[str], npt.ArrayLike] | None = None,
    orderings: Sequence[Sequence[str]] = (),
) -> InputSample:
    """Draw every uncertain input once per trial for one block of ``n`` trials.

    Parameters
    ----------
    inputs : mapping of str to float or Distribution
        Input name → its distribution; a plain number is a fixed input.
    n : int
        Trials in the block, ≥ 1.
    streams : Streams
        The block's random streams; input ``name`` draws only from ``streams.rng("input", name)``
        and the correlation reordering only from ``streams.rng("correlation")``.
    method : {"lhs", "mc"}
        ``"lhs"``: Latin hypercube, one uniform in each of ``n`` equal strata, randomly permuted;
        ``"mc"``: independent uniforms. Either way the value is ``dist.ppf(u)``.
    correlation : (names, matrix), optional
        Requested Spearman rank correlation between the named inputs, matrix shape (k, k).
        Imposed by :func:`~simroi.scenario.correlation.iman_conover`, which only reorders each
        input's draws; fixed inputs in ``names`` are left out of the reordering. Inputs not named
        are untouched.
    orderings : sequence of sequences of str, optional
        Groups of inputs drawn comonotone: every uncertain input of a group through its own
        ``ppf`` from the uniforms of the group's first uncertain input (its stream, its Latin
        hypercube strata), so each keeps its distribution and the group is fully
        rank-correlated. The caller promises the order: each input's quantile function nowhere
        above the next one's (the loader checks it with
        :func:`simroi.scenario.ordering.first_crossing`); then ``values[a] ≤ values[b] ≤ …`` in
        every trial. An input may be in one group only and not in ``correlation``.

    Returns
    -------
    InputSample
        One read-only float64 array of shape (n,) per input, and the achieved correlation.

    Raises
    ------
    ScenarioError
        If the correlation matrix is invalid, a correlation or ordering names an input that does
        not exist, or an input is in two orderings or in an ordering and the correlation.
    ValueError
        If ``n`` < 1 or ``method`` is unknown.
    """
    if n < 1:
        raise ValueError(f"n must be ≥ 1 (got {n})")
    if method not in ("lhs", "mc"):
        raise ValueError(f"method must be 'lhs' or 'mc' (got {method!r})")
    distributions = {name: as_distribution(quantity) for name, quantity in inputs.items()}
    correlated = tuple(correlation[0]) if correlation is not None else ()
    stream_of = _ordering_streams(distributions, orderings, correlated)
    uniforms: dict[str, FloatArray] = {}
    values: dict[str, FloatArray] = {}
    for name, dist in distributions.items():
        if dist.is_fixed:
            values[name] = np.full(n, dist.mean(), dtype=np.float64)
            continue
        key = stream_of.get(name, name)
        if key not in uniforms:
            rng = streams.rng("input", key)
            uniforms[key] = (
                _latin_hypercube(n, rng=rng) if method == "lhs" else open_uniforms(n, rng=rng)
            )
        values[name] = dist.ppf(uniforms[key])

    names: tuple[str, ...] = ()
    requested = achieved = None
    if correlation is not None:
        names, requested = tuple(correlation[0]), np.array(correlation[1], dtype=np.float64)
        validate_correlation(names, requested)
        unknown = [name for name in names if name not in values]
        if unknown:
            raise ScenarioError(
                [
                    f"correlation names {name!r}, which is not an input "
                    f"(inputs: {', '.join(values) or 'none'})"
                    for name in unknown
                ]
            )
        drawn = [i for i, name in enumerate(names) if not distributions[name].is_fixed]
        if len(drawn) > 1:
            columns = np.column_stack([values[names[i]] for i in drawn])
            target = requested[np.ix_(drawn, drawn)]  # a principal submatrix: still valid
            reordered = iman_conover(columns, target, rng=streams.rng("correlation"))
            for j, i in enumerate(drawn):
                values[names[i]] = np.ascontiguousarray(reordered[:, j])
        achieved = rank_correlation(np.column_stack([values[name] for name in names]))
        requested.flags.writeable = False
        achieved.flags.writeable = False

    for array in values.values():
        array.flags.writeable = False
    return InputSample(values, achieved, names, requested)


def _ordering_streams(
    distributions: Mapping[str, Any],
    orderings: Sequence[Sequence[str]],
    correlated: Sequence[str],
) -> dict[str, str]:
    """Input name → the input whose stream it draws from, for the uncertain inputs of each
    ordering (the group's first uncertain input); a ScenarioError for a bad group."""
    problems: list[str] = []
    stream_of: dict[str, str] = {}
    grouped: set[str] = set()
    for i, group in enumerate(orderings):
        for name in group:
            if name not in distributions:
                problems.append(f"ordering {i} names {name!r}, which is not an input")
            elif name in grouped:
                problems.append(f"ordering {i} names {name!r}, which is already in an ordering")
            elif name in correlated:
                problems.append(
                    f"ordering {i} names {name!r}, which is also correlated; ordered inputs are "
                    f"drawn comonotone (rank correlation 1)"
                )
            grouped.add(name)
        drawn = [name for name in group if name in distributions]
        drawn = [name for name in drawn if not distributions[name].is_fixed]
        for name in drawn:
            stream_of[name] = drawn[0]
    if problems:
        raise ScenarioError(problems)
    return stream_of


def sample_scenario_inputs(scenario: Scenario, n: int, *, streams: Streams) -> InputSample:
    """Draw the uncertain inputs of ``scenario`` for a block of ``n`` trials.

    :func:`sample_inputs` with the scenario's own choices: its uncertain inputs (by dotted key),
    its ``simulation.sampling`` method, its ``[[correlations]]``, each group's matrix a block
    of one block-diagonal matrix (inputs in different groups are not correlated), and its
    ``[[orderings]]`` (comonotone draws; fixed inputs in them stay fixed). Fixed inputs
    are left out; a scenario with no uncertain input gives an empty sample.

    Parameters
    ----------
    scenario : Scenario
    n : int
        Trials in the block, ≥ 1.
    streams : Streams
        The block's streams (see :func:`sample_inputs`).
    """
    uncertain = scenario.uncertain_inputs()
    if not uncertain:
        return InputSample({})
    correlation = None
    if scenario.correlations:
        names = [name for group in scenario.correlations for name in group.inputs]
        matrix = linalg.block_diag(*[np.asarray(g.matrix, float) for g in scenario.correlations])
        correlation = (names, matrix)
    return sample_inputs(
        uncertain,
        n,
        streams=streams,
        method=scenario.simulation.sampling,
        correlation=correlation,
        orderings=[
            [name for name in group.inputs if name in uncertain] for group in scenario.orderings
        ],
    )


@dataclass(frozen=True)
class AchievedCorrelation:
    """One pair of correlated inputs: the rank correlation asked for and the one drawn."""

    a: str
    b: str
    requested: float
    achieved: float

    def to_json(self) -> dict[str, Any]:
        """``{"a", "b", "requested", "achieved"}``."""
        return {"a": self.a, "b": self.b, "requested": self.requested, "achieved": self.achieved}


def achieved_correlations(
    scenario: Scenario, n: int = CORRELATION_CHECK_TRIALS, *, streams: Streams = CHECK_STREAMS
) -> list[AchievedCorrelation]:
    """The Spearman rank correlation each correlated pair of inputs gets from the sampler.

    Draws ``n`` trials of the scenario's inputs as a run does (:func:`sample_scenario_inputs`:
    its sampling method, Iman–Conover reordering) and measures every pair of each
    ``[[correlations]]`` group, for showing beside the requested value. Iman–Conover reaches the
    requested matrix only approximately, the more closely the more trials.

    Parameters
    ----------
    scenario : Scenario
    n : int
        Trials to draw, ≥ 1 (default :data:`CORRELATION_CHECK_TRIALS`).
    streams : Streams
        Where the draws come from (default :data:`CHECK_STREAMS`, fixed, so the same scenario
        shows the same figures every time).

    Returns
    -------
    list of AchievedCorrelation
        One per pair, group by group, in the order of each group's ``inputs``; empty when the
        scenario correlates nothing.
    """
    if not scenario.correlations:
        return []
    values = sample_scenario_inputs(scenario, n, streams=streams)
    out = []
    for group in scenario.correlations:
        achieved = rank_correlation(np.column_stack([values[name] for name in group.inputs]))
        for i, a in enumerate(group.inputs):
            for j in range(i + 1, len(group.inputs)):
                b, requested = group.inputs[j], group.matrix[i][j]
                out.append(AchievedCorrelation(a, b, requested, float(achieved[i, j])))
    return out


@dataclass(frozen=True)
class HeldOrdering:
    """One ``[[orderings]]`` group and the share of sampled trials in which it holds."""

    inputs: tuple[str, ...]
    note: str | None
    source: str | None
    held: float

    def to_json(self) -> dict[str, Any]:
        """``{"inputs", "note", "source", "held"}``."""
        return {
            "inputs": list(self.inputs),
            "note": self.note,
            "source": self.source,
            "held": self.held,
        }


def held_orderings(
    scenario: Scenario, n: int = CORRELATION_CHECK_TRIALS, *, streams: Streams = CHECK_STREAMS
) -> list[HeldOrdering]:
    """The share of ``n`` trials, drawn as a run draws them, in which each ordering holds.

    It is 1 by construction (comonotone draws of inputs whose quantile functions the loader
    checked); showing it lets a reader see the guarantee rather than take it on trust. Inputs
    of a group that are point values take their value in every trial.
    """
    if not scenario.orderings:
        return []
    values = sample_scenario_inputs(scenario, n, streams=streams).values
    fixed = {key: float(as_distribution(v).mean()) for key, v in scenario.quantities()}
    out = []
    for group in scenario.orderings:
        columns = [
            values[name] if name in values else np.full(n, fixed[name]) for name in group.inputs
        ]
        held = np.all(np.diff(np.column_stack(columns), axis=1) >= 0.0, axis=1)
        out.append(HeldOrdering(tuple(group.inputs), group.note, group.source, float(held.mean())))
    return out
