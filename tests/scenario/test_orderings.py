"""``[[orderings]]``: comonotone draws keep each marginal and hold the order in every trial; the
loader refuses orderings the ranges cannot satisfy, with one line each."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from simroi.cli.app import main
from simroi.errors import ScenarioError
from simroi.model.block import draw_inputs
from simroi.randomness import Streams
from simroi.scenario.distributions import LogNormal, Pert, Triangular
from simroi.scenario.load import bundled_scenarios, load_scenario
from simroi.scenario.ordering import ORDERING_GRID, first_crossing
from simroi.scenario.quantiles import open_uniforms
from simroi.scenario.quantity import Distribution
from simroi.scenario.sampling import _latin_hypercube, held_orderings, sample_inputs

STREAMS = Streams(entropy=20_261_206, block=0)
DEFAULT = bundled_scenarios()["default"]
UNRESOLVED = "experience.churn_multiplier_unresolved"
IGNORED = "experience.churn_multiplier_ignored"

# Three unlike marginals whose quantile functions are ordered (each dominates the one before).
ORDERED: dict[str, Distribution] = {
    "a": Triangular(low=1.0, mode=1.05, high=1.15),
    "b": Pert(low=1.02, mode=1.10, high=1.16),
    "c": LogNormal(median=3.0, p90=3.3),
}


def _write(tmp_path: Path, block: str, *, drop: str = "") -> Path:
    """The default scenario with its orderings replaced by ``block`` (``drop``: text removed)."""
    text = DEFAULT.read_text()
    start = text.index("# The source notes above state an order")
    end = text.index("# The baseline: the same company")
    text = text[:start] + block + "\n" + text[end:]
    if drop:
        assert drop in text, drop
        text = text.replace(drop, "", 1)
    path = tmp_path / "ordered.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _refusal(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return list(caught.value.problems)


# --- sampling ----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["lhs", "mc"])
def test_ordered_inputs_hold_their_order_in_every_trial(method: str) -> None:
    sample = sample_inputs(
        ORDERED, 20_000, streams=STREAMS, method=method, orderings=[["a", "b", "c"]]
    )
    assert (sample["a"] <= sample["b"]).all()
    assert (sample["b"] <= sample["c"]).all()


@pytest.mark.parametrize("method", ["lhs", "mc"])
def test_each_ordered_input_is_its_ppf_of_the_first_inputs_uniforms(method: str) -> None:
    # The first input draws exactly as it would alone; the others go through their own inverse
    # CDF from the same uniforms (LHS strata included), so every marginal is exactly kept.
    n = 5000
    alone = sample_inputs(ORDERED, n, streams=STREAMS, method=method)
    ordered = sample_inputs(ORDERED, n, streams=STREAMS, method=method, orderings=[["a", "b", "c"]])
    rng = STREAMS.rng("input", "a")
    u = _latin_hypercube(n, rng=rng) if method == "lhs" else open_uniforms(n, rng=rng)
    np.testing.assert_array_equal(ordered["a"], alone["a"])
    for name, dist in ORDERED.items():
        np.testing.assert_array_equal(ordered[name], dist.ppf(u))
    if method == "lhs":  # one draw in each stratum, for every ordered input
        for name, dist in ORDERED.items():
            np.testing.assert_array_equal(np.sort(ordered[name]), np.sort(dist.ppf(np.sort(u))))


def test_ordered_marginals_match_their_distributions_at_a_fixed_seed() -> None:
    n = 20_000
    sample = sample_inputs(ORDERED, n, streams=STREAMS, method="mc", orderings=[["a", "b", "c"]])
    cdfs = {
        "a": stats.triang(0.5 / 1.5, loc=1.0, scale=0.15).cdf,
        "c": stats.lognorm(math.log(3.3 / 3.0) / stats.norm.ppf(0.9), scale=3.0).cdf,
    }
    for name, cdf in cdfs.items():
        assert stats.kstest(sample[name], cdf).pvalue > 0.001, name
    for name, dist in ORDERED.items():
        se = math.sqrt(dist.var() / n)
        assert abs(sample[name].mean() - dist.mean()) < 4 * se, name
        assert sample[name].var() == pytest.approx(dist.var(), rel=0.05), name


def test_ordered_inputs_are_fully_rank_correlated_and_others_untouched() -> None:
    inputs = {**ORDERED, "d": Pert(low=0.0, mode=0.5, high=1.0)}
    alone = sample_inputs(inputs, 2000, streams=STREAMS)
    ordered = sample_inputs(inputs, 2000, streams=STREAMS, orderings=[["a", "c"]])
    assert stats.spearmanr(ordered["a"], ordered["c"]).statistic == pytest.approx(1.0)
    for name in ("a", "b", "d"):
        np.testing.assert_array_equal(ordered[name], alone[name])


def _three_points(draw: st.DrawFn, base: float) -> tuple[float, float, float]:
    low = base + draw(st.floats(min_value=0.0, max_value=2.0))
    width = draw(st.floats(min_value=0.01, max_value=3.0))
    return low, low + draw(st.floats(min_value=0.0, max_value=1.0)) * width, low + width


@st.composite
def _ranges(draw: st.DrawFn, base: float) -> Distribution:
    kind = draw(st.sampled_from(["pert", "triangular", "lognormal"]))
    if kind == "lognormal":
        median = base + draw(st.floats(min_value=0.1, max_value=3.0))
        return LogNormal(median=median, p90=median * draw(st.floats(min_value=1.01, max_value=3)))
    low, mode, high = _three_points(draw, base)
    return (
        Pert(low=low, mode=mode, high=high)
        if kind == "pert"
        else Triangular(low=low, mode=mode, high=high)
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(first=_ranges(0.0), second=_ranges(0.5), seed=st.integers(0, 2**32 - 1))
def test_ranges_that_pass_the_check_are_ordered_in_every_trial(
    first: Distribution, second: Distribution, seed: int
) -> None:
    assume(first_crossing(first, second) is None)
    for method in ("lhs", "mc"):
        sample = sample_inputs(
            {"x": first, "y": second},
            2000,
            streams=Streams(seed, 0),
            method=method,  # type: ignore[arg-type]
            orderings=[["x", "y"]],
        )
        assert (sample["x"] <= sample["y"]).all()


def test_ordering_naming_an_unknown_or_correlated_input_is_a_scenario_error() -> None:
    with pytest.raises(ScenarioError, match="'z', which is not an input"):
        sample_inputs(ORDERED, 10, streams=STREAMS, orderings=[["a", "z"]])
    with pytest.raises(ScenarioError, match="already in an ordering"):
        sample_inputs(ORDERED, 10, streams=STREAMS, orderings=[["a", "b"], ["b", "c"]])
    with pytest.raises(ScenarioError, match="rank correlation 1"):
        sample_inputs(
            ORDERED,
            10,
            streams=STREAMS,
            correlation=(["a", "c"], np.array([[1.0, 0.5], [0.5, 1.0]])),
            orderings=[["a", "b"]],
        )


# --- the check at load -------------------------------------------------------------------------


def test_the_check_compares_quantiles_on_2001_probabilities_with_both_tails() -> None:
    assert ORDERING_GRID.size == 2001
    assert ORDERING_GRID[0] == 1e-9 and ORDERING_GRID[-1] == 1 - 1e-9
    assert (np.diff(ORDERING_GRID) > 0).all()
    assert first_crossing(ORDERED["a"], ORDERED["b"]) is None
    assert first_crossing(ORDERED["b"], ORDERED["c"]) is None
    assert first_crossing(1.0, ORDERED["a"]) is None  # a fixed value is a constant quantile
    crossing = first_crossing(ORDERED["b"], ORDERED["a"])
    assert crossing is not None and crossing.earlier > crossing.later


def test_the_default_orders_its_churn_multipliers_in_every_trial() -> None:
    loaded = load_scenario("default")
    inputs = [group.inputs for group in loaded.program.orderings]
    assert [UNRESOLVED, IGNORED] in inputs
    assert ["channels.email.fcr", "channels.phone.fcr"] in inputs
    for scenario in (loaded.program, loaded.baseline):
        assert scenario is not None
        values = draw_inputs(scenario, 2000, STREAMS)
        assert (values[UNRESOLVED] <= values[IGNORED]).all()
        assert (values["channels.email.fcr"] <= values["channels.phone.fcr"]).all()
        # ... and each keeps its range: the ordered input is its own triangular distribution.
        dist = scenario.uncertain_inputs()[IGNORED]
        assert stats.kstest(values[IGNORED], lambda x, d=dist: _triangular_cdf(d, x)).pvalue > 0.001


def _triangular_cdf(dist: Distribution, x: np.ndarray) -> np.ndarray:
    assert isinstance(dist, Triangular)
    width = dist.high - dist.low
    return stats.triang((dist.mode - dist.low) / width, loc=dist.low, scale=width).cdf(x)


@pytest.mark.parametrize("name", sorted(bundled_scenarios()))
def test_every_bundled_ordering_holds_in_every_trial(name: str) -> None:
    loaded = load_scenario(name)
    values = draw_inputs(loaded.program, 500, STREAMS)
    for group in loaded.program.orderings:
        for a, b in zip(group.inputs, group.inputs[1:], strict=False):
            assert (values[a] <= values[b]).all(), (name, a, b)


def test_an_ordering_the_ranges_cannot_satisfy_is_one_line_naming_file_keys_and_probability(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, f'[[orderings]]\ninputs = ["{IGNORED}", "{UNRESOLVED}"]\n')
    (problem,) = _refusal(path)
    assert problem.startswith(f"{path}: orderings.0.inputs: {IGNORED} must be ≤ {UNRESOLVED} ")
    assert "in every trial, but at probability" in problem
    assert "churn_multiplier_ignored's quantile" in problem and "exceeds" in problem
    assert problem.endswith(": give ranges in that order")
    assert "\n" not in problem


def test_ranges_out_of_order_are_refused_and_a_fixed_value_is_a_constant_quantile(
    tmp_path: Path,
) -> None:
    path = _write(
        tmp_path, '[[orderings]]\ninputs = ["channels.phone.fcr", "channels.social.fcr"]\n'
    )
    (problem,) = _refusal(path)
    assert "channels.phone.fcr must be ≤ channels.social.fcr in every trial" in problem
    ok = _write(tmp_path, f'[[orderings]]\ninputs = ["channels.social.agents", "{IGNORED}"]\n')
    assert load_scenario(ok).program.orderings[0].inputs[0] == "channels.social.agents"


def test_validate_refuses_a_violated_ordering_with_exit_2_and_no_traceback(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, f'[[orderings]]\ninputs = ["{IGNORED}", "{UNRESOLVED}"]\n')
    result = CliRunner(env={"COLUMNS": "400"}).invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "must be ≤" in lines[0] and "give ranges in that order" in lines[0]


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        (
            f'[[orderings]]\ninputs = ["experience.churn_multiplier_unresolvd", "{IGNORED}"]\n',
            f"is not a numeric input of this scenario; did you mean '{UNRESOLVED}'?",
        ),
        (
            f'[[orderings]]\ninputs = ["{UNRESOLVED}", "{IGNORED}"]\n\n'
            f'[[orderings]]\ninputs = ["{IGNORED}", "experience.churn_multiplier_abandoned"]\n',
            f"orderings.1.inputs: '{IGNORED}' is in orderings.0 too",
        ),
        (
            f'[[orderings]]\ninputs = ["{UNRESOLVED}", "{UNRESOLVED}"]\n',
            "is listed twice",
        ),
        (
            f'[[orderings]]\ninputs = ["{UNRESOLVED}", "{IGNORED}"]\n\n'
            f'[[correlations]]\ninputs = ["{IGNORED}", "channels.social.fcr"]\n'
            "matrix = [[1.0, 0.5], [0.5, 1.0]]\n",
            "is also in [[correlations]]; ordered inputs are drawn comonotone (rank correlation 1",
        ),
        (f'[[orderings]]\ninputs = ["{IGNORED}"]\n', "orderings.0.inputs"),
        (f'[[orderings]]\ninputs = ["{UNRESOLVED}", "{IGNORED}"]\nby = 1\n', "unknown key"),
    ],
    ids=["unknown", "in-two", "twice", "correlated", "one-input", "extra-key"],
)
def test_bad_orderings_are_refused_with_one_line_each(
    tmp_path: Path, block: str, expected: str
) -> None:
    problems = _refusal(_write(tmp_path, block))
    assert len(problems) == 1, problems
    assert expected in problems[0]


def test_a_set_override_outside_an_ordering_is_refused_and_orderings_can_be_cleared() -> None:
    with pytest.raises(ScenarioError, match="must be ≤"):
        load_scenario(overrides=[f"{UNRESOLVED}=1.2"])
    loaded = load_scenario(overrides=[f"{UNRESOLVED}=1.2", "orderings=[]"])
    assert loaded.program.orderings == []


def test_inputs_and_schema_still_work() -> None:
    runner = CliRunner(env={"COLUMNS": "240"})
    result = runner.invoke(main, ["inputs"])
    assert result.exit_code == 0, result.output
    assert "churn_multiplier_unresolved" in result.output
    schema = runner.invoke(main, ["schema"])
    assert schema.exit_code == 0
    assert "orderings" in schema.output and "OrderingSpec" in schema.output


def test_simroi_inputs_shows_each_ordering_and_that_it_holds() -> None:
    program = load_scenario().program
    shown = held_orderings(program)
    assert [list(o.inputs) for o in shown] == [g.inputs for g in program.orderings]
    assert all(o.held == 1.0 for o in shown)
    out = CliRunner().invoke(main, ["inputs", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["orderings"] == [o.to_json() for o in shown]
    text = CliRunner().invoke(main, ["inputs"]).output
    first = program.orderings[0].inputs
    assert f"ordered {' ≤ '.join(first)}" in " ".join(text.split())
    # Where the quantile functions cross, comonotone draws cannot hold; the check sees it.
    crossed = program.model_copy(
        update={
            "orderings": [program.orderings[0].model_copy(update={"inputs": list(reversed(first))})]
        }
    )
    assert held_orderings(crossed)[0].held < 1.0
