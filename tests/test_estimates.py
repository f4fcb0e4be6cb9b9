"""`simroi.estimates`: probabilities, their standard errors and z values, against hand values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special

from simroi.estimates import (
    Z_ONE_SIDED_90,
    Z_ONE_SIDED_95,
    Z_TWO_SIDED_95,
    MeanEstimate,
    Probability,
    ci95,
    mean_estimate,
    prob_positive,
    probability,
)


def test_probability_is_the_share_of_trials_with_the_binomial_standard_error() -> None:
    # 3 of 4 trials: p = 0.75, s.e. = sqrt(0.75 · 0.25 / 4) = sqrt(0.046875).
    p = probability(np.array([True, False, True, True]))
    assert p == Probability(0.75, 0.21650635094610965)
    assert p.mcse == pytest.approx(math.sqrt(0.046875), rel=1e-15)
    value, mcse = p  # a (value, mcse) pair wherever a tuple was expected
    assert (value, mcse) == (0.75, p.mcse)


def test_a_certain_or_impossible_event_has_no_error_and_no_trials_no_estimate() -> None:
    assert probability(np.ones(7, dtype=bool)) == (1.0, 0.0)
    assert probability(np.zeros(7, dtype=bool)) == (0.0, 0.0)
    empty = probability(np.array([], dtype=bool))
    assert math.isnan(empty.value) and math.isnan(empty.mcse)


def test_an_undefined_value_is_never_positive() -> None:
    # Two of five trials are positive; the undefined one and zero are not.
    p = prob_positive(np.array([np.nan, -1.0, 0.0, 2.0, 3.0]))
    assert p.value == 0.4
    assert p.mcse == pytest.approx(math.sqrt(0.4 * 0.6 / 5), rel=1e-15)  # 0.21908902300206645
    assert prob_positive(np.array([np.nan, np.nan])) == (0.0, 0.0)


def test_z_values_are_the_normal_quantiles_they_are_named_for() -> None:
    assert float(special.ndtri(0.975)) == Z_TWO_SIDED_95
    assert float(special.ndtri(0.95)) == Z_ONE_SIDED_95
    assert float(special.ndtri(0.90)) == Z_ONE_SIDED_90
    # The textbook values, to the digits tables print.
    assert round(Z_TWO_SIDED_95, 3) == 1.960
    assert round(Z_ONE_SIDED_95, 3) == 1.645
    assert round(Z_ONE_SIDED_90, 3) == 1.282


def test_a_mean_has_the_standard_error_sd_over_root_n_and_its_95_percent_interval() -> None:
    # 2, 4, 6, 8: mean 5, sd (n − 1) = sqrt(20/3), s.e. = sqrt(20/3)/2 = sqrt(5/3).
    estimate = mean_estimate(np.array([2.0, 4.0, 6.0, 8.0]))
    assert estimate.value == 5.0
    assert estimate.mcse == pytest.approx(math.sqrt(5 / 3), rel=1e-15)
    low, high = estimate.ci95
    assert (low, high) == ci95(5.0, estimate.mcse)
    assert high - 5.0 == pytest.approx(1.959963984540054 * math.sqrt(5 / 3), rel=1e-15)
    assert 5.0 - low == pytest.approx(high - 5.0, rel=1e-15)


def test_one_value_has_no_standard_error_and_none_no_mean() -> None:
    one = mean_estimate(np.array([3.0]))
    assert one.value == 3.0 and math.isnan(one.mcse)
    assert all(math.isnan(end) for end in one.ci95)
    none = mean_estimate(np.array([]))
    assert math.isnan(none.value) and math.isnan(none.mcse)
    assert mean_estimate(np.array([7.0, 7.0])) == MeanEstimate(7.0, 0.0)


def test_a_shared_trial_counts_as_its_share() -> None:
    # P(best) shares a tied trial: 1, ½, 0, 0 → p = 0.375, s.e. = sqrt(0.375 · 0.625 / 4).
    p = probability(np.array([1.0, 0.5, 0.0, 0.0]))
    assert p.value == 0.375
    assert p.mcse == pytest.approx(math.sqrt(0.375 * 0.625 / 4), rel=1e-15)
