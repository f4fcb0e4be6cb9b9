"""Per-trial rosters: each trial's slots follow its own agents, as a shared pattern would."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simroi.queueing.engine import serve_fcfs
from simroi.queueing.reference import serve_fcfs_simpy
from simroi.queueing.roster import (
    TrialShiftPattern,
    _day_table,
    day_grid,
    reseat,
    side_by_side,
)
from simroi.queueing.shifts import SECONDS_PER_DAY

H = 3600.0


def week_of_hours(open_h: int, close_h: int) -> tuple[np.ndarray, np.ndarray]:
    """Hourly intervals from open to close on every day of the week."""
    starts = np.array(
        [d * SECONDS_PER_DAY + h * H for d in range(7) for h in range(open_h, close_h)]
    )
    return starts, starts + H


@st.composite
def rosters(draw: st.DrawFn) -> TrialShiftPattern:
    """A few trials with random agents per interval; open hours that may wrap the week."""
    open_h, close_h = draw(st.sampled_from([(8, 20), (0, 24), (6, 9)]))
    starts, ends = week_of_hours(open_h, close_h)
    trials = draw(st.integers(1, 4))
    agents = np.array(
        draw(
            st.lists(
                st.integers(0, 3), min_size=trials * starts.size, max_size=trials * starts.size
            )
        )
    ).reshape(trials, starts.size)
    if draw(st.booleans()):
        agents[0] = 2  # a trial on duty all the time (all week when open 0–24)
    return TrialShiftPattern(starts, ends, agents, slots_per_agent=draw(st.integers(1, 2)))


@settings(max_examples=60, deadline=None)
@given(rosters(), st.lists(st.integers(0, 3 * 7 * 24 * 4), min_size=1, max_size=30))
def test_each_trials_spans_are_those_of_its_own_staffing_schedule(
    roster: TrialShiftPattern, quarter_hours: list[int]
) -> None:
    t = np.array(quarter_hours, dtype=float) * 900.0
    for trial in range(roster.trials):
        own = roster.for_trial(trial)
        assert own.servers == roster.servers
        for k in range(roster.servers):
            start, end = roster.trial_spans(np.full(t.size, k), np.full(t.size, trial), t)
            expected_start, expected_end = own.next_spans(np.full(t.size, k), t)
            np.testing.assert_array_equal(start, expected_start)
            np.testing.assert_array_equal(end, expected_end)


def test_a_roster_with_the_same_agents_in_every_trial_serves_as_the_shared_pattern() -> None:
    """Bit for bit: the per-trial machinery changes nothing when the trials agree."""
    rng = np.random.default_rng(3)
    starts, ends = week_of_hours(8, 20)
    agents = np.tile(rng.integers(3, 8, starts.size), (6, 1))
    roster = TrialShiftPattern(starts, ends, agents)
    shared = roster.for_trial(0)
    arrival = np.sort(rng.uniform(7 * H, 2 * SECONDS_PER_DAY, (900, 6)), axis=0)
    handle = rng.exponential(300.0, arrival.shape)
    patience = rng.exponential(200.0, arrival.shape)
    present = np.ones(arrival.shape, dtype=bool)
    start_a, state_a = serve_fcfs(
        arrival, handle, patience, present, roster, roster.initial_state()
    )
    start_b, state_b = serve_fcfs(
        arrival, handle, patience, present, shared, shared_state := roster.initial_state()
    )
    del shared_state
    np.testing.assert_array_equal(start_a, start_b)
    np.testing.assert_array_equal(state_a.free_at, state_b.free_at)


@pytest.mark.parametrize("chunk", [1, 2, 2048])
def test_engines_agree_on_a_day_where_each_trial_has_its_own_staffing(chunk: int) -> None:
    rng = np.random.default_rng(11)
    trials = 5
    starts, ends = week_of_hours(8, 20)
    agents = rng.integers(0, 6, (trials, starts.size))
    roster = TrialShiftPattern(starts, ends, agents)
    arrival = np.sort(rng.uniform(7.5 * H, 20.5 * H, (400, trials)), axis=0)
    handle = rng.lognormal(np.log(240.0) - 0.18, 0.6, arrival.shape)
    patience = np.where(
        rng.random(arrival.shape) < 0.5, np.inf, rng.exponential(180.0, arrival.shape)
    )
    present = rng.random(arrival.shape) < 0.8
    state = roster.initial_state()
    vec, _ = serve_fcfs(arrival, handle, patience, present, roster, state, chunk=chunk)
    ref, _ = serve_fcfs_simpy(arrival, handle, patience, present, roster, state)
    np.testing.assert_array_equal(np.isnan(vec), np.isnan(ref))
    np.testing.assert_allclose(vec, ref, rtol=0, atol=1e-6)
    # a trial with more agents in an hour has answered its contacts no later than with fewer
    assert np.isfinite(vec[present]).any()


def test_a_slot_not_staffed_in_a_trial_waits_for_its_next_staffed_hour() -> None:
    """Trial 0 staffs one agent 8–9 and 10–11, trial 1 staffs it 8–11: a call at 9:30 waits."""
    starts, ends = np.array([8 * H, 9 * H, 10 * H]), np.array([9 * H, 10 * H, 11 * H])
    roster = TrialShiftPattern(starts, ends, np.array([[1, 0, 1], [1, 1, 1]]))
    arrival = np.full((1, 2), 9.5 * H)
    start, _ = serve_fcfs(
        arrival, np.full((1, 2), 60.0), np.full((1, 2), np.inf), np.ones((1, 2), bool),
        roster, roster.initial_state(),
    )  # fmt: skip
    np.testing.assert_array_equal(start[0], [10 * H, 9.5 * H])


def test_reseat_follows_the_new_roster_and_lets_busy_slots_finish() -> None:
    starts, ends = week_of_hours(8, 20)
    old = TrialShiftPattern(starts, ends, np.full((2, starts.size), 2))
    new = TrialShiftPattern(
        starts, ends, np.vstack([np.full(starts.size, 1), np.full(starts.size, 3)])
    )
    state = old.initial_state(t0=SECONDS_PER_DAY)
    state.free_at[0, 0] = SECONDS_PER_DAY + 9 * H  # busy until 9:00 on Tuesday
    t0 = SECONDS_PER_DAY + 7 * H
    seated = reseat(state, old, new, t0)
    assert seated.free_at.shape == (3, 2)
    assert seated.free_at[0, 0] == SECONDS_PER_DAY + 9 * H  # finishes its contact
    assert seated.free_at[1, 0] == np.inf  # never staffed in trial 0 any more
    # trial 1's slots, the new one included, come on duty at 8:00 (not 8:00 the old way: equal)
    np.testing.assert_array_equal(seated.free_at[:, 1], SECONDS_PER_DAY + 8 * H)
    # a slot waiting for its old shift waits for its new one instead
    later = TrialShiftPattern(starts + 2 * H, ends + 2 * H, np.full((2, starts.size), 2))
    moved = reseat(state, old, later, t0)
    np.testing.assert_array_equal(moved.free_at[1], SECONDS_PER_DAY + 10 * H)
    assert moved.span_end[1, 0] == SECONDS_PER_DAY + 22 * H


def test_a_roster_rejects_intervals_out_of_order_with_the_rule() -> None:
    with pytest.raises(ValueError, match="sorted, disjoint"):
        TrialShiftPattern(np.array([2 * H, 0.0]), np.array([3 * H, H]), np.ones((1, 2), int))


@st.composite
def shift_rosters(draw: st.DrawFn) -> TrialShiftPattern:
    """Daily shifts: each trial's agents rise then fall within each day (the fast table)."""
    open_h, close_h = draw(st.sampled_from([(8, 20), (6, 9)]))
    days = draw(st.sampled_from([range(7), range(5), [1, 3]]))
    starts = np.array([d * SECONDS_PER_DAY + h * H for d in days for h in range(open_h, close_h)])
    trials, m = draw(st.integers(1, 3)), close_h - open_h
    cells = st.lists(
        st.integers(0, 4), min_size=trials * len(days) * m, max_size=trials * len(days) * m
    )
    need = np.array(draw(cells)).reshape(trials, len(days), m)
    rises = np.maximum.accumulate(need, axis=2)
    falls = np.maximum.accumulate(need[:, :, ::-1], axis=2)[:, :, ::-1]
    agents = np.minimum(rises, falls).reshape(trials, -1)
    return TrialShiftPattern(starts, starts + H, agents, slots_per_agent=draw(st.integers(1, 2)))


@settings(max_examples=60, deadline=None)
@given(shift_rosters(), st.lists(st.integers(0, 3 * 7 * 24 * 4), min_size=1, max_size=30))
def test_daily_shift_rosters_answer_as_their_staffing_schedules(
    roster: TrialShiftPattern, quarter_hours: list[int]
) -> None:
    t = np.array(quarter_hours, dtype=float) * 900.0
    for trial in range(roster.trials):
        own = roster.for_trial(trial)
        for k in range(roster.servers):
            start, end = roster.trial_spans(np.full(t.size, k), np.full(t.size, trial), t)
            expected_start, expected_end = own.next_spans(np.full(t.size, k), t)
            np.testing.assert_array_equal(start, expected_start)
            np.testing.assert_array_equal(end, expected_end)
    fast = _day_table(roster.interval_starts, roster.interval_ends, roster.agents, day_grid)
    assert fast is not None or roster.servers == 0


def two_days(
    roster: TrialShiftPattern, seed: int, patience_s: float
) -> tuple[tuple[np.ndarray, ...], list[tuple[int, float]]]:
    """Two days of contacts with bulk moves at each day's start and a backlog between:
    (arrival, handle, patience, present) and the moves."""
    rng = np.random.default_rng(seed)
    per_day = 60
    day = np.sort(rng.uniform(0.0, SECONDS_PER_DAY, (2, per_day, roster.trials)), axis=1)
    arrival = (day + np.array([0.0, SECONDS_PER_DAY])[:, None, None]).reshape(-1, roster.trials)
    handle = rng.exponential(1800.0, arrival.shape)
    patience = np.full(arrival.shape, patience_s)
    present = rng.random(arrival.shape) < 0.9
    return (arrival, handle, patience, present), [(0, 0.0), (per_day, SECONDS_PER_DAY)]


class _LookedUpEveryTime(TrialShiftPattern):
    """The same roster, but the engine may not look its slots' next spans up ahead."""

    @property
    def whole_seconds(self) -> bool:
        return False


@settings(max_examples=40, deadline=None)
@given(
    shift_rosters(),
    st.integers(0, 2**32 - 1),
    st.sampled_from([np.inf, 120.0]),
    st.sampled_from([1, 3, 2048]),
)
def test_looking_next_spans_up_ahead_changes_no_start_and_no_state(
    roster: TrialShiftPattern, seed: int, patience_s: float, chunk: int
) -> None:
    """Bit for bit, over two days with bulk moves at each day's start and a backlog between."""
    assert roster.whole_seconds
    plain = _LookedUpEveryTime(
        roster.interval_starts, roster.interval_ends, roster.agents, roster.slots_per_agent
    )
    (arrival, handle, patience, present), moves = two_days(roster, seed, patience_s)
    state = roster.initial_state()
    fast, fast_state = serve_fcfs(
        arrival, handle, patience, present, roster, state, chunk=chunk, moves=moves
    )
    slow, slow_state = serve_fcfs(
        arrival, handle, patience, present, plain, state, chunk=chunk, moves=moves
    )
    np.testing.assert_array_equal(fast.view(np.int64), slow.view(np.int64))
    np.testing.assert_array_equal(fast_state.free_at, slow_state.free_at)
    np.testing.assert_array_equal(fast_state.span_end, slow_state.span_end)


def test_only_rosters_on_whole_seconds_may_be_looked_up_ahead() -> None:
    starts, ends = week_of_hours(8, 20)
    assert TrialShiftPattern(starts, ends, np.ones((1, starts.size), int)).whole_seconds
    assert not TrialShiftPattern(starts + 0.25, ends, np.ones((1, starts.size), int)).whole_seconds


@settings(max_examples=30, deadline=None)
@given(shift_rosters(), st.lists(st.integers(0, 3 * 7 * 24 * 4), min_size=1, max_size=20))
def test_side_by_side_rosters_answer_as_one_built_from_their_interleaved_agents(
    first: TrialShiftPattern, quarter_hours: list[int]
) -> None:
    """The interleaved table (copied from each world's) is the table of the combined agents,
    also where one world has fewer levels than the other."""
    second = TrialShiftPattern(
        first.interval_starts,
        first.interval_ends,
        np.minimum(first.agents[::-1], 2),  # still daily shifts, at most two agents
        first.slots_per_agent,
    )
    states = [first.initial_state(), second.initial_state()]
    combined, _ = side_by_side([first, second], states)
    assert isinstance(combined, TrialShiftPattern)
    built = TrialShiftPattern(
        combined.interval_starts, combined.interval_ends, combined.agents, combined.slots_per_agent
    )
    t = np.array(quarter_hours, dtype=float) * 900.0
    for k in range(combined.servers):
        for trial in range(combined.trials):
            got = combined.trial_spans(np.full(t.size, k), np.full(t.size, trial), t)
            want = built.trial_spans(np.full(t.size, k), np.full(t.size, trial), t)
            np.testing.assert_array_equal(got[0], want[0])
            np.testing.assert_array_equal(got[1], want[1])
