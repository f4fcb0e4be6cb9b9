"""Calendar days simulated as the model simulates a day (simroi.model.day)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simroi.model.block import World
from simroi.model.calendar import weekday_factors
from simroi.model.day import WARMUP_DAYS, DayRoster, simulate_days, steady_repeats
from simroi.model.inputs import draw_inputs
from simroi.randomness import Streams
from simroi.scenario.load import load_scenario

#: A small brand with a fixed phone team of 2 from 08:00 to 20:00 (no staffing rule).
SMALL = (
    "customers.active_customers=60000",
    'channels.phone.staffing=[{ start = "08:00", end = "20:00", agents = 2 }]',
    "channels.email.agents=1",
)
#: Volume without epistemic spread or repeats: only the day's busyness and Poisson counts vary.
FIXED_VOLUME = (
    *SMALL,
    "channels.phone.contacts_per_customer_per_year=0.5",
    "channels.phone.busyness_cv=0.2",
    "channels.phone.fcr=1.0",
    "channels.phone.retry_share=0.0",
    "channels.email.fcr=1.0",
    "channels.email.retry_share=0.0",
    "channels.social.fcr=1.0",
    "channels.social.retry_share=0.0",
)


def test_offered_is_poisson_with_gamma_busyness_at_the_weekday_rate() -> None:
    """A day's offered contacts: mean customers × rate / 365.25 × weekday factor, variance
    λ + (λ cv)² (Poisson mixed over a gamma busyness of mean 1 and cv 0.2), every weekday."""
    program = load_scenario(overrides=FIXED_VOLUME).program
    days = np.arange(7, 21)  # two weeks, Monday first
    trials = 600
    out = simulate_days(program, {"phone": days}, trials=trials, streams=Streams(3, 0))
    offered = out["phone"].offered
    factors = weekday_factors(program.channels["phone"])
    for j, day in enumerate(days):
        lam = 60_000 * 0.5 / 365.25 * factors[day % 7]
        var = lam + (lam * 0.2) ** 2
        se_mean = math.sqrt(var / trials)
        assert abs(offered[j].mean() - lam) < 4 * se_mean, (day, offered[j].mean(), lam)
        # The sample variance's s.e. for a near-normal count: var × sqrt(2 / (n − 1)).
        se_var = var * math.sqrt(2 / (trials - 1))
        assert abs(offered[j].var(ddof=1) - var) < 4 * se_var, (day, offered[j].var(), var)


def test_repeats_are_at_their_fixed_point() -> None:
    """Unresolved calls come back until resolved: with FCR 0.8 and every repeat on the phone, a
    week offers F / 0.8 calls a day on average (F first contacts, then F·0.2, F·0.2², …), not
    the first month's F·1.2."""
    program = load_scenario(
        overrides=[
            *(o for o in FIXED_VOLUME if ".fcr=" not in o),
            "channels.phone.fcr=0.8",
            "channels.email.fcr=0.8",
            "channels.social.fcr=1.0",
            "channels.phone.repeat_channels={ phone = 1.0 }",
            "channels.email.repeat_channels={ email = 1.0 }",
            "channels.phone.busyness_cv=0.0",
        ]
    ).program
    days = np.arange(7, 14)
    trials = 400
    out = simulate_days(program, {"phone": days}, trials=trials, streams=Streams(8, 0))
    factors = weekday_factors(program.channels["phone"])
    expected = 60_000 * 0.5 / 365.25 / 0.8 * factors[days % 7].sum()
    total = out["phone"].offered.sum(axis=0)  # a week of Poisson days: variance = mean
    assert abs(total.mean() - expected) < 4 * math.sqrt(expected / trials)


def test_repeats_between_channels_solve_the_steady_state() -> None:
    """Phone sends half its repeats to email, email all of its to the phone, social its own way:
    the repeats are T − F where T_p = F_p + 0.2 T_p + 0.5 T_e + s_p, T_e = F_e + 0.2 T_p + s_e
    (FCR 0.6 and 0.5; s what social's own steady state sends each)."""
    scenario = load_scenario(
        overrides=[
            *SMALL,
            "channels.phone.fcr=0.6",
            "channels.email.fcr=0.5",
            "channels.phone.repeat_channels={ phone = 0.5, email = 0.5 }",
            "channels.email.repeat_channels={ phone = 1.0 }",
        ]
    ).program
    world = World(scenario, draw_inputs(scenario, 5, Streams(1, 0)), 5)
    repeats = steady_repeats(scenario, world)
    first = {c: world.inputs[c].first_contacts_per_day for c in ("phone", "email", "social")}
    routes = scenario.channels["social"].repeat_channels or {"social": 1.0}
    back = 1 - world.inputs["social"].fcr
    # Social receives only its own repeats: T_s = F_s + back · r_ss · T_s.
    social_back = back * first["social"] / (1 - back * routes.get("social", 0.0))
    system = np.array([[1 - 0.2, -0.5], [-0.2, 1.0]])
    for t in range(5):
        inflow = [
            first["phone"][t] + social_back[t] * routes.get("phone", 0.0),
            first["email"][t] + social_back[t] * routes.get("email", 0.0),
        ]
        phone, email = np.linalg.solve(system, inflow)
        assert math.isclose(repeats["phone"][t], phone - first["phone"][t], rel_tol=1e-9)
        assert math.isclose(repeats["email"][t], email - first["email"][t], rel_tol=1e-9)


def test_observed_agents_equal_to_the_scenario_team_give_the_scenario_days() -> None:
    """A roster that says what the scenario's team says (2 agents, 08:00–20:00, every day) gives
    the same days: the same streams, the same spans, only carried on another kind of pattern."""
    program = load_scenario(overrides=SMALL).program
    days = np.arange(7, 14)
    starts = np.arange(8 * 3600.0, 20 * 3600.0, 1800.0)
    roster = DayRoster(starts, starts + 1800.0, np.full(starts.size, 2))
    streams = Streams(11, 0)
    own = simulate_days(program, {"phone": days}, trials=40, streams=streams)["phone"]
    given = simulate_days(
        program,
        {"phone": days},
        trials=40,
        streams=streams,
        rosters={"phone": dict.fromkeys(days.tolist(), roster)},
    )["phone"]
    for field in ("offered", "answered", "unanswered", "within_sla"):
        np.testing.assert_array_equal(getattr(given, field), getattr(own, field))
    np.testing.assert_allclose(given.wait_sum_s, own.wait_sum_s, rtol=1e-9)


def test_more_observed_agents_answer_more_within_the_threshold() -> None:
    """Under common random numbers, 4 agents on queue answer at least as many calls in 20 s as 2
    on every day and trial, and more on average."""
    program = load_scenario(overrides=SMALL).program
    days = np.arange(7, 14)
    starts = np.arange(8 * 3600.0, 20 * 3600.0, 3600.0)

    def team(agents: int) -> dict[int, DayRoster]:
        roster = DayRoster(starts, starts + 3600.0, np.full(starts.size, agents))
        return dict.fromkeys(days.tolist(), roster)

    streams = Streams(5, 0)
    two, four = (
        simulate_days(
            program, {"phone": days}, trials=60, streams=streams, rosters={"phone": team(n)}
        )["phone"].metrics()["service_level"]
        for n in (2, 4)
    )
    assert (four >= two - 1e-12).mean() > 0.99
    assert four.mean() > two.mean() + 0.05


def test_a_deferrable_backlog_carries_into_the_next_day_and_counts_by_arrival() -> None:
    """An email desk with nobody on queue on Monday answers Monday's emails on Tuesday from
    08:00: each still counts on Monday, the day it arrived, with a wait of at least the hours
    from midnight to Tuesday 08:00; Tuesday's own emails wait less."""
    program = load_scenario(overrides=SMALL).program
    days = np.arange(WARMUP_DAYS, WARMUP_DAYS + 3)  # Monday to Wednesday
    starts = np.array([8 * 3600.0])
    staffed = DayRoster(starts, starts + 10 * 3600.0, np.array([4]))
    empty = DayRoster(starts, starts + 10 * 3600.0, np.array([0]))
    rosters = {int(d): staffed for d in range(WARMUP_DAYS + 7)}
    rosters[WARMUP_DAYS] = empty
    out = simulate_days(
        program, {"email": days}, trials=30, streams=Streams(2, 0), rosters={"email": rosters}
    )["email"]
    np.testing.assert_array_equal(out.answered[0], out.offered[0])
    wait = out.metrics()["mean_wait"]
    # Every Monday email is answered Tuesday 08:00 or later: 8 hours after midnight at least.
    assert (wait[0] >= 8 * 3600.0).all()
    assert (wait[1] < wait[0]).all()


def test_every_contact_of_a_day_with_a_deadline_is_answered_or_ignored() -> None:
    """Social posts are answered or ignored after 24 h: per day, answered + unanswered = offered
    (counted by arrival, whatever day the fate comes), and within SLA ≤ answered."""
    program = load_scenario(overrides=SMALL).program
    days = np.arange(WARMUP_DAYS, WARMUP_DAYS + 7)
    out = simulate_days(program, {"social": days}, trials=40, streams=Streams(4, 0))["social"]
    np.testing.assert_allclose(out.answered + out.unanswered, out.offered)
    assert (out.within_sla <= out.answered).all()


def test_same_streams_give_the_same_days_and_another_block_other_days() -> None:
    program = load_scenario(overrides=SMALL).program
    days = {"phone": np.arange(7, 10), "social": np.arange(7, 10)}
    a = simulate_days(program, days, trials=20, streams=Streams(9, 0))
    b = simulate_days(program, days, trials=20, streams=Streams(9, 0))
    c = simulate_days(program, days, trials=20, streams=Streams(9, 1))
    for channel in days:
        np.testing.assert_array_equal(a[channel].offered, b[channel].offered)
        np.testing.assert_array_equal(a[channel].wait_sum_s, b[channel].wait_sum_s)
        assert not np.array_equal(a[channel].offered, c[channel].offered)


def test_a_deferrable_channel_needs_room_for_its_warm_up() -> None:
    program = load_scenario(overrides=SMALL).program
    with pytest.raises(ValueError, match="day 7 or later"):
        simulate_days(program, {"email": np.arange(3, 5)}, trials=2, streams=Streams(1, 0))


def test_a_roster_must_be_sorted_disjoint_and_within_the_day() -> None:
    with pytest.raises(ValueError, match="within one day"):
        DayRoster(np.array([0.0, 100.0]), np.array([200.0, 300.0]), np.array([1, 1]))
    with pytest.raises(ValueError, match="≥ 0"):
        DayRoster(np.array([0.0]), np.array([60.0]), np.array([-1]))
