"""Staffing rules in the model: agents from the forecast, rosters, paid hours and the result."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simroi.execution.runner import RunOptions, run
from simroi.model.calendar import hourly_profile, intraday_profile, weekday_factors
from simroi.model.contacts import ChannelInputs
from simroi.model.staffing import RuleStaffing, staffing_intervals
from simroi.queueing.erlang import erlang_a
from simroi.queueing.staffing import required_agents
from simroi.scenario.load import load_scenario
from simroi.scenario.spec import ChannelSpec

PHONE_RULE = "{ target_service_level = 0.8, answer_within_seconds = 20 }"


def channel(kind: str, rule: dict[str, float], **extra: object) -> ChannelSpec:
    base: dict[str, object] = {
        "kind": kind,
        "contacts_per_customer_per_year": 1.0,
        "cost_per_agent_hour": 30.0,
        "handle_time_minutes": 6.0,
        "fcr": 0.7,
        "staffing_rule": rule,
        "hours": {"open": "08:00", "close": "20:00"},
    }
    if kind == "realtime":
        base["patience_minutes"] = 3.0
    base.update(extra)
    return ChannelSpec.model_validate(base)


def inputs(spec: ChannelSpec, handle_s: np.ndarray, patience_s: np.ndarray) -> ChannelInputs:
    n = handle_s.size
    return ChannelInputs(
        first_contacts_per_day=np.full(n, 1000.0),
        handle_mean_s=handle_s,
        handle_cv=np.ones(n),
        patience_mean_s=patience_s,
        fcr=np.full(n, 0.7),
        public_share=np.zeros(n),
        busyness_cv=np.zeros(n),
        slot_slowdown=np.ones(n),
        patience_shape=np.ones(n),
        intraday_shares=intraday_profile(spec),
        weekday_factors=weekday_factors(spec),
    )


def test_realtime_rule_staffs_each_hour_with_erlang_a_required_agents() -> None:
    spec = channel("realtime", {"target_service_level": 0.8, "answer_within_seconds": 20})
    handle, patience = np.array([300.0, 420.0, 510.0]), np.array([90.0, 180.0, 360.0])
    rule = RuleStaffing(spec, inputs(spec, handle, patience))
    per_day = np.array([900.0, 1400.0, 2600.0])
    agents = rule.agents(per_day)
    starts, _ = staffing_intervals(spec)
    assert agents.shape == (3, starts.size) == (3, 7 * 12)
    day, hour = (starts // 86_400).astype(int), ((starts % 86_400) // 3600).astype(int)
    shape = weekday_factors(spec)[day] * hourly_profile(spec)[hour]
    for t in range(3):
        for j in range(0, starts.size, 5):
            rate = per_day[t] * shape[j] / 3600.0
            assert agents[t, j] == required_agents(rate, handle[t], 0.8, 20.0, patience[t])


def test_min_and_max_agents_clip_the_rule() -> None:
    spec = channel(
        "realtime",
        {
            "target_service_level": 0.8,
            "answer_within_seconds": 20,
            "min_agents": 4,
            "max_agents": 9,
        },
    )
    rule = RuleStaffing(spec, inputs(spec, np.full(2, 360.0), np.full(2, 180.0)))
    agents = rule.agents(np.array([100.0, 5000.0]))
    assert agents.min() == 4 and agents.max() == 9
    assert (agents[0] == 4).all() and (agents[1] == 9).all()


def test_occupancy_rule_staffs_the_weeks_work_at_the_target() -> None:
    spec = channel("deferrable", {"target_occupancy": 0.85}, sla_hours=24)
    rule = RuleStaffing(spec, inputs(spec, np.array([360.0, 600.0]), np.full(2, np.inf)))
    agents = rule.agents(np.array([500.0, 500.0]))
    # 500 a day × 6 or 10 min = 50 or 83.3 h of work a day, 12 open hours a day
    expected = [math.ceil(50.0 / (12 * 0.85)), math.ceil(500 * 600 / 3600 / (12 * 0.85))]
    np.testing.assert_array_equal(agents, np.array(expected)[:, None] * np.ones((1, 84), int))


def test_response_time_rule_is_erlang_c_on_open_hours_less_the_night() -> None:
    spec = channel("deferrable", {"target_answered_within_hours": 24, "share": 0.9}, sla_hours=24)
    rule = RuleStaffing(spec, inputs(spec, np.array([360.0]), np.array([np.inf])))
    assert rule.closed_gap() == 12 * 3600.0
    agents = rule.agents(np.array([800.0]))
    rate = 800.0 / (12 * 3600.0)  # the day's contacts, worked in its 12 open hours
    assert (agents == required_agents(rate, 360.0, 0.9, 12 * 3600.0)).all()


def test_a_concurrent_agent_is_one_server_with_a_shorter_handle_time() -> None:
    spec = channel(
        "realtime",
        {"target_service_level": 0.8, "answer_within_seconds": 60},
        concurrency=3,
    )
    given = inputs(spec, np.array([600.0]), np.array([300.0]))
    rule = RuleStaffing(spec, given)
    assert rule.handle_s[0] == pytest.approx(600.0 / 3)
    assert rule.roster(rule.agents(np.array([2000.0]))).slots_per_agent == 3


def _run(overrides: list[str], trials: int = 40, seed: int = 5):  # type: ignore[no-untyped-def]
    loaded = load_scenario(overrides=["scenario.horizon_months=2", *overrides])
    options = RunOptions(trials=trials, seed=seed, workers=1, block_size=trials)
    return run(loaded, options)


def test_a_rule_held_to_one_count_queues_and_pays_as_that_fixed_team() -> None:
    """min_agents = max_agents = 6 is a fixed team of 6 on the same opening hours."""
    fixed = _run(["channels.email.agents=6"])
    ruled = _run(
        ["channels.email.staffing_rule={ target_occupancy = 0.5, min_agents = 6, max_agents = 6 }"]
    )
    for kpi in ("service_level", "asa_seconds", "occupancy", "answered_per_month"):
        key = f"kpi.program.email.{kpi}"
        np.testing.assert_allclose(ruled.samples[key], fixed.samples[key], rtol=1e-9, err_msg=key)
    key = "kpi.program.email.paid_hours_per_month"
    np.testing.assert_allclose(ruled.samples[key], fixed.samples[key], rtol=1e-12)


def test_paid_hours_follow_the_agents_the_rule_sets() -> None:
    """More work forecast (calls × handle time), more agents, more paid hours: trial by trial;
    and the agent cost is those paid hours at the loaded rate."""
    result = _run([f"channels.phone.staffing_rule={PHONE_RULE}"], trials=60)
    samples = result.samples
    on_queue = samples["kpi.program.phone.paid_hours_per_month"] * (
        1.0 - samples["input.channels.phone.shrinkage"]
    )
    work = (
        samples["kpi.program.phone.offered_per_month"]
        * samples["input.channels.phone.handle_time_minutes"]
    )
    assert on_queue.std() > 0.1 * on_queue.mean()
    ranks = np.argsort(np.argsort(on_queue)), np.argsort(np.argsort(work))
    assert np.corrcoef(*ranks)[0, 1] > 0.9
    # the cost per contact carries the same hours: cost = paid hours × rate
    cost = (
        samples["kpi.program.phone.cost_per_contact"]
        * samples["kpi.program.phone.answered_per_month"]
    )
    np.testing.assert_allclose(
        cost,
        samples["kpi.program.phone.paid_hours_per_month"]
        * samples["input.channels.phone.cost_per_agent_hour"],
        rtol=1e-9,
    )


@pytest.mark.slow
def test_simulated_service_level_with_the_rule_is_erlang_as_at_its_agents() -> None:
    """Exponential handle times and patience, no busyness: the queue is Erlang A's, hour by hour.

    The oracle is the arrival-weighted Erlang A service level at the agents the rule set (each at
    least 0.8); the simulation adds the hours' transients, allowed 0.02 besides 4 SE.
    """
    overrides = [
        f"channels.phone.staffing_rule={PHONE_RULE}",
        "channels.phone.handle_time_dist=exponential",
        "channels.phone.busyness_cv=0",
        "channels.phone.handle_time_minutes=6",
        "channels.phone.patience_minutes=3",
        "channels.phone.contacts_per_customer_per_year=0.45",
        "customers.active_customers=500000",
        "simulation.sampled_days_per_month=7",
    ]
    result = _run(overrides, trials=30, seed=9)
    measured = result.samples["kpi.program.phone.service_level"]
    loaded = load_scenario(overrides=["scenario.horizon_months=2", *overrides])
    spec = loaded.program.channels["phone"]
    rule = RuleStaffing(spec, inputs(spec, np.array([360.0]), np.array([180.0])))
    offered = result.samples["kpi.program.phone.offered_per_month"].mean()
    per_day = offered / (365.25 / 12)
    agents = rule.agents(np.array([per_day]))[0]
    rates = per_day * rule.shape_per_s[0]
    levels = [
        erlang_a(rate, 360.0, int(n), 180.0, 20.0).service_level
        for rate, n in zip(rates, agents, strict=True)
    ]
    seconds = rule.ends - rule.starts
    oracle = float(np.sum(np.array(levels) * rates * seconds) / np.sum(rates * seconds))
    assert oracle >= 0.8
    se = measured.std(ddof=1) / math.sqrt(measured.size)
    assert abs(measured.mean() - oracle) < 4 * se + 0.02, (measured.mean(), oracle, se)


def test_shifts_cover_the_requirement_with_one_shift_a_day_per_agent() -> None:
    spec = channel("realtime", {"target_service_level": 0.8, "answer_within_seconds": 20})
    rule = RuleStaffing(spec, inputs(spec, np.full(4, 360.0), np.full(4, 180.0)))
    rng = np.random.default_rng(2)
    need = rng.integers(0, 9, (4, 84))
    duty = rule.shifts(need)
    assert (duty >= need).all()
    by_day, duty_by_day = need.reshape(4, 7, 12), duty.reshape(4, 7, 12)
    np.testing.assert_array_equal(duty_by_day.max(axis=2), by_day.max(axis=2))
    # rises then falls within each day: every agent level works one span
    for row in duty_by_day.reshape(-1, 12):
        peak = int(row.argmax())
        assert (np.diff(row[: peak + 1]) >= 0).all() and (np.diff(row[peak:]) <= 0).all()
    # already shaped like shifts: unchanged
    np.testing.assert_array_equal(rule.shifts(duty), duty)


def test_agent_cost_and_staffing_savings_are_both_gross() -> None:
    """Staffed by rule, the baseline pays for the calls of customers it ignored on social: the
    program's extra agents are a cost, the agents it spares a benefit, neither negative."""
    result = _run([], trials=30)
    cost, saved = result.samples["pv.agents"], result.samples["pv.staffing_savings"]
    assert (cost >= 0).all() and (saved >= 0).all()
    assert saved.mean() > 0
    assert np.isfinite(result.samples["roi"]).all()


def test_fixed_teams_have_no_staffing_savings() -> None:
    loaded = load_scenario("race-organizer", overrides=["scenario.horizon_months=2", "events=[]"])
    result = run(loaded, RunOptions(trials=20, seed=3, workers=1, block_size=20))
    assert (result.samples["pv.staffing_savings"] == 0).all()
