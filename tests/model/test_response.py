"""The value of response time: replies counted by band, valued by the curve, faster never worth
less."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from channels import banded_channel
from economics_fixture import economics_inputs
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import monotone_curves

import simroi
from simroi.execution.runner import RunOptions, run
from simroi.model.block import draw_inputs
from simroi.model.economics import CustomerState, EconomicsInputs
from simroi.model.outcomes import month_outcomes
from simroi.model.response import BandTally, ResponseValues
from simroi.randomness import Streams
from simroi.scenario.load import load_scenario

NAN = math.nan


def test_band_tally_matches_a_hand_worked_month() -> None:
    """Two columns; edges 6 and 60 minutes, so bands ≤ 360 s, ≤ 3600 s and later.

    Column 0: replies at 100 s (resolved, public), 360 s (resolved: on the edge, so band 0),
    361 s (unresolved: no band), 5000 s (resolved, public), one not answered. Column 1: 3600 s
    (resolved, public), 3601 s (resolved). Weights 2 and 3 days.
    """
    tally = BandTally(banded_channel(6.0, 60.0), columns=2)
    response = np.array([[100.0, 3600.0], [360.0, 3601.0], [361.0, NAN], [5000.0, NAN], [NAN, NAN]])
    answered = np.isfinite(response)
    resolved = np.array([[1, 1], [1, 1], [0, 0], [1, 0], [1, 0]], dtype=bool)
    public = np.array([[1, 1], [0, 0], [1, 0], [1, 0], [1, 0]], dtype=bool)
    weight = np.array([2.0, 3.0])
    tally.add(0, 2, response, answered & resolved, public, weight)
    np.testing.assert_array_equal(tally.counts, [[2 * 2, 0, 2 * 1], [0, 3 * 1, 3 * 1]])
    np.testing.assert_array_equal(tally.public_counts, [[2 * 1, 0, 2 * 1], [0, 3 * 1, 0]])


def test_band_tally_adds_pieces_into_their_own_columns() -> None:
    tally = BandTally(banded_channel(10.0), columns=3)
    one = np.array([[30.0], [900.0]])
    tally.add(2, 1, one, np.ones_like(one, dtype=bool), np.zeros_like(one, dtype=bool), np.ones(3))
    tally.add(
        0, 2, np.array([[30.0, 30.0]]), np.ones((1, 2), bool), np.ones((1, 2), bool), np.ones(3)
    )
    np.testing.assert_array_equal(tally.counts, [[1, 0], [1, 0], [1, 1]])
    np.testing.assert_array_equal(tally.public_counts, [[1, 0], [1, 0], [0, 0]])


def test_a_channel_without_a_curve_has_no_band_columns() -> None:
    spec = banded_channel(6.0).model_copy(update={"response_value": None})
    tally = BandTally(spec, columns=4)
    tally.add(0, 4, np.zeros((2, 4)), np.ones((2, 4), bool), np.ones((2, 4), bool), np.ones(4))
    assert tally.counts.shape == (4, 0) and tally.public_counts.shape == (4, 0)


@pytest.mark.parametrize("kind", ["deferrable", "realtime"])
def test_month_outcomes_split_resolved_replies_by_band_at_the_sla(kind: str) -> None:
    """With the first edge at the SLA, band 0 is the "resolved fast" class and the other bands
    together "resolved slow": the curve refines the split, it never recounts contacts."""
    rng = np.random.default_rng(5)
    rows, width = 400, 3
    edges = (60.0, 90.0) if kind == "deferrable" else (20.0 / 60.0, 1.0)
    spec = banded_channel(*edges, kind=kind)
    spec = spec.model_copy(update={"sla_hours": 1.0} if kind == "deferrable" else {})
    # Arrivals early enough that every answer starts within the day: the books then count
    # each contact in its arrival month, as the band tally does.
    arrival = np.sort(rng.uniform(0, 40_000, (rows, width)), axis=0)
    handle = rng.exponential(300.0, (rows, width))
    delay = rng.exponential(1800.0 if kind == "deferrable" else 30.0, (rows, width))
    start = np.where(rng.random((rows, width)) < 0.9, arrival + delay, NAN)
    present = np.ones((rows, width), bool)
    resolved = rng.random((rows, width)) < 0.6
    public = rng.random((rows, width)) < 0.5
    out = month_outcomes(
        spec,
        [[(0, rows, 0, width)]],
        np.full((1, width), 30.0),
        arrival,
        start,
        handle,
        present,
        resolved,
        public,
        month_end=86_400.0,
        days=np.array([0]),
        patience_s=np.full(width, np.inf),
        on_duty_s=np.full((1, width), 1e9),
        calendar_weight=np.full(1, 30.0),
        books=None,
        horizon_end_s=np.inf,
    )
    assert out.band_counts.shape == (width, 3)
    np.testing.assert_allclose(out.band_counts[:, 0], out.classes[:, 0])
    np.testing.assert_allclose(out.band_counts[:, 1:].sum(axis=1), out.classes[:, 1])
    np.testing.assert_allclose(out.public_band_counts[:, 0], out.public_classes[:, 0])
    np.testing.assert_allclose(out.public_band_counts[:, 1:].sum(axis=1), out.public_classes[:, 1])
    assert (out.band_counts[:, 1] > 0).all() and (out.band_counts[:, 2] > 0).all()


def _economics(trials: int) -> EconomicsInputs:
    return economics_inputs(trials, customers0=np.full(trials, 1e6))


def test_replies_in_a_band_take_its_churn_and_spend_like_a_class_with_its_values() -> None:
    """A band with multiplier M and uplift u schedules what a class with M and u would."""
    trials = 2
    by_class = _economics(trials)
    by_class = EconomicsInputs(
        **{
            **by_class.__dict__,
            "churn_multipliers": np.tile([1.0, 1.2, 1.0, 1.0, 1.0], (trials, 1)),
            "spend_uplift": np.full(trials, 0.05),
        }
    )
    classes = np.zeros((trials, 5))
    classes[:, 1] = [300.0, 40.0]
    a = CustomerState(by_class, horizon=24)
    a.record_experiences(3, classes, uplifted=classes[:, 1])
    curve = ResponseValues(
        churn_multipliers=np.tile([1.0, 1.2], (trials, 1)),
        spend_uplift=np.tile([0.0, 0.05], (trials, 1)),
        positive_share=np.zeros((trials, 2)),
    )
    b = CustomerState(_economics(trials), horizon=24)
    counts = np.stack([np.zeros(trials), classes[:, 1]], axis=1)
    b.record_experiences(3, np.zeros((trials, 5)), np.zeros(trials), [(counts, curve)])
    np.testing.assert_allclose(b.extra_churn, a.extra_churn, rtol=1e-12)
    np.testing.assert_allclose(b.uplift, a.uplift, rtol=1e-12)
    assert b.uplift[:, 3:9].min() > 0 and b.extra_churn[:, 3:15].sum() > 0


@settings(max_examples=60, deadline=None)
@given(
    curve=monotone_curves(),
    counts=st.lists(st.floats(0.0, 1e4), min_size=3, max_size=3),
    moved=st.floats(0.0, 1.0),
    source=st.integers(1, 2),
)
def test_moving_replies_to_a_faster_band_never_lowers_the_value(
    curve: tuple[np.ndarray, np.ndarray], counts: list[float], moved: float, source: int
) -> None:
    """Under a monotone curve (faster: churn no higher, uplift no lower), moving a share of one
    band's replies to a faster band never adds churn nor takes away spend, month by month."""
    churn, uplift = curve
    values = ResponseValues(churn, uplift, np.zeros_like(churn))
    slow = np.array([counts])
    fast = slow.copy()
    shift = fast[0, source] * moved
    fast[0, source] -= shift
    fast[0, source - 1] += shift
    worlds = []
    for band_counts in (slow, fast):
        state = CustomerState(_economics(1), horizon=12)
        state.record_experiences(0, np.zeros((1, 5)), np.zeros(1), [(band_counts, values)])
        worlds.append(state)
    before, after = worlds
    tolerance = 1e-9 * (1.0 + sum(counts))
    assert (after.extra_churn <= before.extra_churn + tolerance).all()
    assert (after.uplift >= before.uplift - tolerance * 10.0).all()


def test_the_default_social_curve_is_monotone_in_every_trial() -> None:
    scenario = load_scenario().program
    assert len(scenario.channels["social"].response_value or []) == 3
    v = draw_inputs(scenario, 400, Streams(2024, 0))
    key = "channels.social.response_value.{}.{}"
    for value, faster_is_higher in (
        ("spend_uplift", True),
        ("positive_share", True),
        ("churn_multiplier", False),
    ):
        bands = np.stack([v[key.format(b, value)] for b in range(3)], axis=1)
        step = np.diff(bands, axis=1)  # later band minus the faster one
        assert ((step <= 0) if faster_is_higher else (step >= 0)).all(), value


STARTER = Path(simroi.__file__).parent / "starter.toml"
QUICK = ["scenario.horizon_months=6", "simulation.sampled_days_per_month=1"]
CURVE = "channels.social.response_value="


def _starter(*overrides: str, trials: int = 120, seed: int = 4) -> dict[str, np.ndarray]:
    loaded = load_scenario(STARTER, overrides=[*QUICK, *overrides])
    options = RunOptions(trials=trials, seed=seed, workers=1, block_size=trials)
    return run(loaded, options).samples


def test_a_curve_with_the_fast_and_slow_values_reproduces_the_split() -> None:
    """One band up to the SLA with the "resolved fast" values and a later band with the "resolved
    slow" ones is the fast/slow split itself: same churn, spend, posts and money."""
    shared = (
        "experience.spend_uplift_resolved_fast=0.05",
        "experience.churn_multiplier_resolved_slow=1.2",
        "word_of_mouth.public_answer_positive_share=0.5",
        "word_of_mouth.acquisition_per_positive_impression=0.002",
        "customers.prospects=1000000",
    )
    split = _starter(*shared, trials=60)
    curve = _starter(
        *shared,
        CURVE + "[{ within_minutes = 60, churn_multiplier = 1.0, spend_uplift = 0.05, "
        "positive_share = 0.5 }, { churn_multiplier = 1.2 }]",
        trials=60,
    )
    assert split["pv.spend_uplift"].mean() > 0 and split["pv.word_of_mouth"].mean() > 0
    # Bands count a reply in the month it arrived in; the classes follow the books (model/
    # books.py), where the few replies still waiting at a month's end count in the month they are
    # answered. That month shift is the only difference: about a dollar a trial (the replies
    # carried over the last month end are worth their effect on one more month).
    for key in ("npv", "pv.retained_margin", "pv.spend_uplift", "pv.word_of_mouth"):
        np.testing.assert_allclose(curve[key], split[key], rtol=1e-9, atol=5.0, err_msg=key)
    np.testing.assert_allclose(
        curve["kpi.program.impressions"], split["kpi.program.impressions"], rtol=1e-9
    )


def _benefit_gain(faster: str, curve: str) -> tuple[float, float]:
    """Mean paired gain in PV of benefits from ``faster`` (an override) and its standard error."""
    slow = _starter(CURVE + curve)
    fast = _starter(CURVE + curve, faster)
    gain = fast["pv_benefits"] - slow["pv_benefits"]
    return float(gain.mean()), float(gain.std(ddof=1) / math.sqrt(gain.size))


# Spend uplift and positive share fall and churn rises as replies slow down; the reversed curve
# pays more for slower replies (to show the check can fail).
MONOTONE = (
    "[{ within_minutes = 6, churn_multiplier = 1.0, spend_uplift = 0.08, positive_share = 0.6 },"
    " { within_minutes = 60, churn_multiplier = 1.0, spend_uplift = 0.04, positive_share = 0.5 },"
    " { churn_multiplier = 1.1, spend_uplift = 0.01, positive_share = 0.1 }]"
)
REVERSED = (
    "[{ within_minutes = 6, churn_multiplier = 1.0, spend_uplift = 0.0, positive_share = 0.0 },"
    " { churn_multiplier = 1.0, spend_uplift = 0.3, positive_share = 0.0 }]"
)


@pytest.mark.parametrize(
    "faster",
    ["channels.social.agents=2", "channels.social.handle_time_minutes=2.5"],
)
def test_a_faster_desk_never_has_a_lower_expected_benefit(faster: str) -> None:
    """Common random numbers: the same posts meet a faster desk (one more agent, or shorter
    handle times); under a monotone curve its expected benefit is no lower (k = 3 standard
    errors of the paired gain), and with a curve that pays for slowness it is lower."""
    gain, se = _benefit_gain(faster, MONOTONE)
    assert gain > -3.0 * se, (gain, se)
    assert gain > 0.0
    reversed_gain, reversed_se = _benefit_gain(faster, REVERSED)
    assert reversed_gain < -3.0 * reversed_se, (reversed_gain, reversed_se)
