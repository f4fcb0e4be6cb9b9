"""The rank correlations the sampler achieves, computed in the library for ``simroi inputs``."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from simroi.randomness import Streams
from simroi.scenario.load import load_scenario
from simroi.scenario.sampling import (
    AchievedCorrelation,
    achieved_correlations,
    sample_scenario_inputs,
)

CHURN, MARGIN, SHRINKAGE = (
    "customers.monthly_churn",
    "customers.monthly_margin_per_customer",
    "channels.phone.shrinkage",
)
RATE, CAC = "scenario.discount_rate", "customers.acquisition_cost_per_customer"
CORRELATED = (
    f'correlations=[{{ inputs = ["{CHURN}", "{MARGIN}", "{SHRINKAGE}"], '
    "matrix = [[1, -0.4, 0.2], [-0.4, 1, 0], [0.2, 0, 1]] }, "
    f'{{ inputs = ["{RATE}", "{CAC}"], matrix = [[1, 0.6], [0.6, 1]] }}]'
)


def test_every_pair_of_every_group_in_order_with_the_requested_value() -> None:
    program = load_scenario(overrides=[CORRELATED]).program
    found = achieved_correlations(program, streams=Streams(0, 0))
    assert [(c.a, c.b, c.requested) for c in found] == [
        (CHURN, MARGIN, -0.4),
        (CHURN, SHRINKAGE, 0.2),
        (MARGIN, SHRINKAGE, 0.0),
        (RATE, CAC, 0.6),
    ]
    # Iman–Conover on 2,000 Latin-hypercube trials comes close to the request.
    for c in found:
        assert c.achieved == pytest.approx(c.requested, abs=0.05)


def test_achieved_is_the_spearman_correlation_of_the_drawn_inputs() -> None:
    program = load_scenario(overrides=[CORRELATED]).program
    found = achieved_correlations(program, 500, streams=Streams(11, 3))
    drawn = sample_scenario_inputs(program, 500, streams=Streams(11, 3))
    for c in found:
        rho = stats.spearmanr(drawn[c.a], drawn[c.b]).statistic
        assert c.achieved == pytest.approx(rho, abs=1e-12)
    assert found == achieved_correlations(program, 500, streams=Streams(11, 3))  # streams decide


def test_the_draws_are_the_uncertain_inputs_by_the_scenarios_sampling_method() -> None:
    lhs = load_scenario(overrides=[CORRELATED]).program
    mc = load_scenario(overrides=[CORRELATED, 'simulation.sampling="mc"']).program
    a = sample_scenario_inputs(lhs, 200, streams=Streams(5, 0))
    b = sample_scenario_inputs(mc, 200, streams=Streams(5, 0))
    assert set(a) == set(lhs.uncertain_inputs())
    assert not np.array_equal(a[CHURN], b[CHURN])


def test_a_scenario_without_correlations_has_none_to_show() -> None:
    assert achieved_correlations(load_scenario().program, streams=Streams(0, 0)) == []


def test_json_shape_is_what_simroi_inputs_prints() -> None:
    pair = AchievedCorrelation("a", "b", 0.5, 0.49)
    assert pair.to_json() == {"a": "a", "b": "b", "requested": 0.5, "achieved": 0.49}
