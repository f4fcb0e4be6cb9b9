"""The lifetime view against closed forms: a known customer gap is worth gap × CLV, discounted."""

from __future__ import annotations

import numpy as np
from economics_fixture import economics_inputs

from simroi.model.block import simulate_block
from simroi.model.economics import CustomerState, EconomicsInputs, clv
from simroi.model.lifetime import customer_equity, lifetime_returns
from simroi.scenario.load import load_scenario

HORIZON = 4
# Constant churn: every experience leaves the hazard alone and word of mouth is silent, so each
# world's base stays where organic acquisition (replace_churn) holds it — its first size.
CONSTANT_CHURN = [
    f"scenario.horizon_months={HORIZON}",
    "simulation.sampled_days_per_month=1",
    "customers.active_customers=500000",
    *(
        f"experience.churn_multiplier_{c}=1.0"
        for c in ("resolved_fast", "resolved_slow", "unresolved", "abandoned", "ignored")
    ),
    # and the social replies' response-time curve leaves it alone too
    *(f"channels.social.response_value.{band}.churn_multiplier=1.0" for band in range(3)),
    "word_of_mouth.impression_rate=0",
]
GAP = 2_000.0  # customers the program has more than its baseline, from the start


def _econ(trials: int, **over: object) -> EconomicsInputs:
    quiet = {"customers0": np.full(trials, 1000.0), "impression_rate": np.zeros(trials)}
    return economics_inputs(trials, **{**quiet, **over})


def test_customer_equity_of_a_cohort_with_constant_churn_is_its_clv_discounted() -> None:
    hazard = np.array([0.01, 0.02, 0.05])
    econ = _econ(3, hazard=hazard)
    state = CustomerState(econ, 12)
    zeros = np.zeros(3)
    for month in range(12):
        state.step(month, zeros, zeros)
    expected = 1000.0 * (1 - hazard) ** 12 * clv(10.0, 1 - hazard, 0.008) * 1.008**-12
    np.testing.assert_allclose(customer_equity(state, 12), expected, rtol=1e-12)


def test_excess_leavers_scheduled_after_the_horizon_do_not_count() -> None:
    econ = _econ(2, churn_multipliers=np.full((2, 5), 2.0))
    state = CustomerState(econ, 3)
    zeros = np.zeros(2)
    for month in range(3):
        state.record_experiences(month, np.array([[50.0, 0, 0, 0, 0], [0, 0, 0, 0, 0]]), zeros)
        state.step(month, zeros, zeros)
    scheduled = state.extra_churn[:, 3:].sum(axis=1)
    assert scheduled[0] > 1.0 and scheduled[1] == 0.0
    value = clv(10.0, 0.98, 0.008) * 1.008**-3
    np.testing.assert_allclose(
        customer_equity(state, 3), (state.customers - scheduled) * value, rtol=1e-12
    )


def test_lifetime_roi_divides_the_lifetime_npv_by_the_same_costs() -> None:
    npv, roi = lifetime_returns(
        np.array([-10.0, 5.0, 1.0]),
        np.array([20.0, 10.0, 0.0]),
        np.array([0.0, 3.0, 0.0]),
        np.array([30.0, 30.0, 30.0]),
        np.array([20.0, 20.0, 20.0]),
    )
    np.testing.assert_array_equal(npv, [0.0, 12.0, 11.0])
    np.testing.assert_array_equal(roi[:2], [0.0, 1.2])
    assert np.isnan(roi[2])  # no incremental cost: ROI undefined, as in the three-year view


def _gap_run(terminal: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    overrides = [
        *CONSTANT_CHURN,
        f"scenario.include_terminal_value={'true' if terminal else 'false'}",
        f"baseline.customers.active_customers={500_000 - GAP:.0f}",
    ]
    loaded = load_scenario(overrides=overrides)
    block = simulate_block(loaded, entropy=7, block=0, trials=6)
    margin = block.inputs["customers.monthly_margin_per_customer"]
    hazard = block.inputs["customers.monthly_churn"]
    annual = block.inputs.get("scenario.discount_rate")
    rate = (1.0 + (annual if annual is not None else loaded.program.scenario.discount_rate)) ** (
        1 / 12
    ) - 1.0
    value = GAP * clv(margin, 1.0 - hazard, rate) * (1.0 + rate) ** -HORIZON
    return block.npv, block.lifetime["npv"], value, block.pv["terminal_value"]


def test_lifetime_npv_adds_gap_times_clv_discounted_to_the_three_year_npv() -> None:
    npv, lifetime_npv, value, terminal = _gap_run(terminal=False)
    np.testing.assert_array_equal(terminal, 0.0)
    assert np.all(value > 0)
    np.testing.assert_allclose(lifetime_npv - npv, value, rtol=1e-9)
    assert np.all(lifetime_npv > npv)  # the program keeps customers: lifetime above TEI


def test_with_the_terminal_value_on_nothing_is_counted_twice() -> None:
    npv, lifetime_npv, value, terminal = _gap_run(terminal=True)
    np.testing.assert_allclose(terminal, value, rtol=1e-9)  # the same CLV, the same gap
    np.testing.assert_allclose(lifetime_npv, npv, rtol=1e-12, atol=1e-6)


def test_monthly_customers_kept_hold_the_gap_every_month() -> None:
    loaded = load_scenario(
        overrides=[*CONSTANT_CHURN, f"baseline.customers.active_customers={500_000 - GAP:.0f}"]
    )
    block = simulate_block(loaded, entropy=7, block=0, trials=4)
    kept = block.monthly["customers_kept"]
    assert kept.shape == (4, HORIZON) and kept.dtype == np.float32
    np.testing.assert_allclose(kept, GAP, rtol=1e-6)
    np.testing.assert_allclose(block.monthly["program.customers"], 500_000.0, rtol=1e-7)
    cumulative = np.cumsum(block.net_by_month, axis=1)[:, 1:]
    np.testing.assert_allclose(block.monthly["cumulative_net_cash_flow"], cumulative, rtol=1e-6)


def test_monthly_agents_and_cost_follow_the_paid_hours() -> None:
    loaded = load_scenario(overrides=CONSTANT_CHURN)
    block = simulate_block(loaded, entropy=3, block=0, trials=3)
    m = block.monthly
    for world in ("program", "baseline"):
        for c in loaded.program.channels:
            paid = m[f"{world}.{c}.paid_hours"].astype(float)
            per_month = block.kpis[f"{world}.{c}.paid_hours_per_month"]
            # Staffed by rule (phone, email), the hours move month by month with the forecast;
            # the horizon KPI is their average. A fixed team (social) pays the same every month.
            np.testing.assert_allclose(paid.mean(axis=1), per_month, rtol=1e-6)
            if loaded.program.channels[c].staffing_rule is None:
                np.testing.assert_allclose(paid, per_month[:, None] * np.ones(HORIZON), rtol=1e-6)
            np.testing.assert_allclose(
                m[f"{world}.{c}.agents"], paid / (365.25 / 12 * 24), rtol=1e-6
            )
            if not np.all(block.kpis[f"{world}.{c}.answered_per_month"] > 0):
                continue  # the baseline's unanswered social desk: no cost per contact
            np.testing.assert_allclose(
                m[f"{world}.{c}.cost"].sum(axis=1),
                block.kpis[f"{world}.{c}.cost_per_contact"]
                * block.kpis[f"{world}.{c}.answered_per_month"]
                * HORIZON,
                rtol=1e-5,
            )
