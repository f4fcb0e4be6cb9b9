"""Customer economics against closed forms: CLV, churn pipelines, reach of posts."""

from __future__ import annotations

import numpy as np
import pytest
from economics_fixture import economics_inputs
from scipy import stats

from simroi.model.economics import (
    MAX_TAIL_POSTS,
    CustomerState,
    EconomicsInputs,
    WomReach,
    clv,
    excess_churn_profile,
    judged_classes,
    monthly_discount_rate,
    post_impressions,
)


def _inputs(trials: int = 3, **over: object) -> EconomicsInputs:
    return economics_inputs(trials, **over)


@pytest.mark.parametrize(
    ("r", "i", "multiple"),
    [(0.75, 0.10, 2.14), (0.80, 0.12, 2.5), (0.90, 0.10, 4.5), (0.60, 0.16, 1.07)],
)
def test_clv_margin_multiples_match_gupta_and_lehmann(r: float, i: float, multiple: float) -> None:
    assert clv(1.0, r, i) == pytest.approx(multiple, abs=0.005)


def test_monthly_cohort_present_value_equals_clv_closed_form() -> None:
    """A cohort with constant churn, simulated month by month, is worth m·r/(1+i−r)."""
    econ = _inputs(
        hazard=np.array([0.01, 0.02, 0.05]), monthly_discount=np.array([0.005, 0.008, 0.01])
    )
    horizon = 2400  # long enough that the tail beyond it is below 1e-9 of the value
    state = CustomerState(econ, horizon)
    pv = np.zeros(3)
    zeros = np.zeros(3)
    for month in range(horizon):
        margin = state.step(month, zeros, zeros)["retained_margin"]
        pv += margin / (1 + econ.monthly_discount) ** (month + 1)
    expected = clv(econ.margin, 1 - econ.hazard, econ.monthly_discount)
    np.testing.assert_allclose(pv, expected, rtol=1e-9)


def test_replacing_churn_keeps_the_base_flat() -> None:
    econ = _inputs(replace_churn=True, customers0=np.full(3, 1000.0))
    state = CustomerState(econ, 36)
    zeros = np.zeros(3)
    for month in range(36):
        state.step(month, zeros, zeros)
    np.testing.assert_allclose(state.customers, 1000.0)


def test_monthly_discount_rate_compounds_to_the_annual_rate() -> None:
    annual = np.array([0.0, 0.08, 0.10, 0.12])
    np.testing.assert_allclose((1 + monthly_discount_rate(annual)) ** 12, 1 + annual)


def test_excess_churn_profile_sums_to_the_survival_difference() -> None:
    h = np.array([0.01, 0.02, 0.04])
    m = np.array([1.0, 1.15, 1.5])
    profile = excess_churn_profile(h, m, 12)
    np.testing.assert_allclose(profile.sum(axis=1), (1 - h) ** 12 - (1 - h * m) ** 12)
    assert np.all(profile[0] == 0.0)  # a multiplier of 1 changes nothing
    assert np.all(profile[1:] > -1e-15)


def test_good_recovery_never_lowers_churn_below_baseline() -> None:
    # Multipliers below 1 are refused by the loader; at exactly 1 there is no extra churn.
    econ = _inputs(customers0=np.full(3, 1000.0))
    state = CustomerState(econ, 24)
    classes = np.zeros((3, 5))
    classes[:, 0] = 100.0
    state.record_experiences(0, classes, np.zeros(3))
    assert np.all(state.extra_churn == 0.0)


def test_bulk_of_followers_is_the_partial_lognormal_mean() -> None:
    reach = WomReach(61.0, 1.65)
    dist = stats.lognorm(s=1.65, scale=61.0)
    expected = dist.expect(lambda x: x, ub=reach.threshold)
    assert reach.bulk_mean() == pytest.approx(expected, rel=1e-6)
    assert reach.threshold == pytest.approx(dist.ppf(0.96))


def test_post_impressions_have_the_lognormal_mean_reach() -> None:
    """Mean impressions per post = E[followers] × impression rate (about 7 for the defaults)."""
    reach = WomReach(61.0, 1.65)
    trials, posts = 20_000, 200.0
    rng = np.random.default_rng(42)
    impressions = post_impressions(
        np.full(trials, posts),
        np.full(trials, 0.03),
        reach,
        rng.random(trials),
        rng.random((200, trials)),
    )
    per_post = impressions / posts
    mean_followers = float(np.exp(np.log(61.0) + 1.65**2 / 2))
    se = per_post.std(ddof=1) / np.sqrt(trials)
    assert abs(per_post.mean() - mean_followers * 0.03) < 4 * se
    assert 6.0 < mean_followers * 0.03 < 8.0  # domain.md §5.3: about 7 impressions per post


def test_more_posts_never_mean_fewer_impressions_with_common_numbers() -> None:
    reach = WomReach(61.0, 1.65)
    rng = np.random.default_rng(3)
    u, tail = rng.random(500), rng.random((64, 500))
    low = post_impressions(np.full(500, 10.0), np.full(500, 0.03), reach, u, tail)
    high = post_impressions(np.full(500, 12.0), np.full(500, 0.03), reach, u, tail)
    assert np.all(high >= low)


def test_a_generator_draws_just_the_tail_rows_an_array_would_give() -> None:
    """Tail posts drawn lazily from a generator equal the first rows of one big draw."""
    reach = WomReach(61.0, 1.65)
    posts, rate = np.linspace(0.0, 400.0, 300), np.full(300, 0.03)
    u = np.random.default_rng(8).random(300)
    table = np.random.default_rng(9).random((MAX_TAIL_POSTS, 300))
    lazy = post_impressions(posts, rate, reach, u, np.random.default_rng(9))
    np.testing.assert_array_equal(lazy, post_impressions(posts, rate, reach, u, table))


def test_a_retried_failure_is_judged_by_the_effort_not_its_own_class() -> None:
    # Hand-worked: 10 fast, 5 slow, 4 unresolved, 6 abandoned, 8 ignored; half of the failed
    # customers retry. Under "final" 3 abandoned and 4 ignored become "unresolved" (the effort of
    # coming back): 4 + 3 + 4 = 11; under "each" nothing moves.
    classes = np.array([[10.0, 5.0, 4.0, 6.0, 8.0]])
    final = judged_classes(classes, np.array([0.5]), "final")
    np.testing.assert_array_equal(final, [[10.0, 5.0, 11.0, 3.0, 4.0]])
    np.testing.assert_array_equal(judged_classes(classes, np.array([0.5]), "each"), classes)
    assert final.sum() == classes.sum()


def test_an_ignored_poster_served_on_retry_carries_only_the_effort_penalty() -> None:
    # One ignored post whose author retries (share 1) and is resolved fast next month. "final":
    # extra churn = the unresolved (effort) profile from this month, nothing from the fast retry;
    # "each": the full ignored profile plus nothing from the retry.
    multipliers = np.array([[1.0, 1.0, 1.2, 1.5, 1.6]] * 3)
    hazard = np.full(3, 0.02)
    ignored = np.zeros((3, 5))
    ignored[:, 4] = 1.0
    retry = np.zeros((3, 5))
    retry[:, 0] = 1.0
    extra = {}
    for rule in ("final", "each"):
        state = CustomerState(_inputs(churn_multipliers=multipliers), 24)
        state.record_experiences(0, judged_classes(ignored, np.ones(3), rule), np.zeros(3))
        state.record_experiences(1, judged_classes(retry, np.ones(3), rule), np.zeros(3))
        extra[rule] = state.extra_churn[:, :12]
    np.testing.assert_allclose(extra["final"], excess_churn_profile(hazard, np.full(3, 1.2), 12))
    np.testing.assert_allclose(extra["each"], excess_churn_profile(hazard, np.full(3, 1.6), 12))
