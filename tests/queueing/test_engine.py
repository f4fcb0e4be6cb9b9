"""The FCFS queue with abandonment and shifts: the engines, against each other and against theory.

Outcomes are compared per contact where the two engines see identical inputs; statistics are
compared with tolerances of 4 standard errors computed across trials, at fixed seeds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simroi.queueing.engine import serve_fcfs
from simroi.queueing.erlang import erlang_a
from simroi.queueing.kernels import serve
from simroi.queueing.reference import serve_fcfs_simpy
from simroi.queueing.shifts import SECONDS_PER_DAY, QueueState, ShiftPattern

H = 3600.0
# pyworkforce's fixture: 100 calls per 30 min, AHT 3 min, patience exponential with mean 5 min,
# 14 agents, service-level threshold 20 s (domain.md §2.3).
LAMBDA = 100 / 1800
AHT = 180.0
PATIENCE = 300.0
THRESHOLD = 20.0

Engine = Callable[..., tuple[np.ndarray, QueueState]]


def assert_same_outcomes(vectorized: np.ndarray, reference: np.ndarray) -> None:
    """Answered/abandoned identical; start times equal within 1e-6 s (the index bits)."""
    np.testing.assert_array_equal(np.isnan(vectorized), np.isnan(reference))
    np.testing.assert_allclose(vectorized, reference, rtol=0, atol=1e-6)


def poisson_arrivals(
    rng: np.random.Generator, rate_per_s: float, t0: float, t1: float, trials: int
) -> tuple[np.ndarray, np.ndarray]:
    """Arrival times (n, trials) of a Poisson process on [t0, t1), and which rows are present."""
    mean = rate_per_s * (t1 - t0)
    n = int(mean + 8 * np.sqrt(mean) + 20)
    arrival = t0 + np.cumsum(rng.exponential(1 / rate_per_s, (n, trials)), axis=0)
    present = arrival < t1
    assert not present[-1].any()
    return arrival, present


def phone_day(trials: int, seed: int) -> tuple[np.ndarray, ...]:
    """Open 8:00–20:00 with 6 agents until noon, then 9; 90 calls/h from 7:30 to 20:30."""
    rng = np.random.default_rng(seed)
    arrival, present = poisson_arrivals(rng, 90 / H, 7.5 * H, 20.5 * H, trials)
    handle = rng.lognormal(np.log(240.0) - 0.18, 0.6, arrival.shape)
    patience = rng.exponential(180.0, arrival.shape)
    return arrival, handle, patience, present


PHONE_SHIFTS = ShiftPattern.from_staffing([8 * H, 12 * H], [12 * H, 20 * H], [6, 9])


# --------------------------------------------------------------------------------------------------
# Shift patterns and the initial state


def test_daily_spans_that_join_merge_into_one() -> None:
    pattern = ShiftPattern.daily(2, 0.0, SECONDS_PER_DAY, weekdays=[0, 1, 2, 4])
    np.testing.assert_array_equal(pattern.starts[0], [0.0, 4 * SECONDS_PER_DAY])
    np.testing.assert_array_equal(pattern.ends[0], [3 * SECONDS_PER_DAY, 5 * SECONDS_PER_DAY])
    assert pattern.servers == 2


def test_a_pattern_on_duty_all_week_is_always_on() -> None:
    for pattern in (ShiftPattern.always_on(3), ShiftPattern.daily(3, 0.0, SECONDS_PER_DAY)):
        start, end = pattern.next_spans([0, 2], [0.0, 5e7])
        np.testing.assert_array_equal(start, [-np.inf, -np.inf])
        np.testing.assert_array_equal(end, [np.inf, np.inf])


def test_overnight_shift_runs_across_midnight_and_the_week_end() -> None:
    pattern = ShiftPattern.daily(1, 22 * H, 6 * H)  # every night 22:00–06:00
    week = 7 * SECONDS_PER_DAY
    start, end = pattern.next_spans([0, 0, 0], [3 * H, 7 * H, week + 3 * H])
    np.testing.assert_array_equal(start, [-2 * H, 22 * H, week - 2 * H])
    np.testing.assert_array_equal(end, [6 * H, SECONDS_PER_DAY + 6 * H, week + 6 * H])


def test_staffing_schedule_puts_server_k_on_duty_where_k_is_below_the_agents() -> None:
    pattern = ShiftPattern.from_staffing(
        [8 * H, 12 * H, 18 * H], [12 * H, 18 * H, 24 * H], [2, 3, 1], weekdays=[5]
    )
    day = 5 * SECONDS_PER_DAY
    assert pattern.servers == 3
    np.testing.assert_array_equal(pattern.starts[:, 0], day + np.array([8, 8, 12]) * H)
    np.testing.assert_array_equal(pattern.ends[:, 0], day + np.array([24, 18, 18]) * H)


def test_replicate_gives_each_agent_its_slots() -> None:
    pattern = ShiftPattern.from_staffing([0.0, 6 * H], [6 * H, 9 * H], [1, 2]).replicate(3)
    assert pattern.servers == 6
    np.testing.assert_array_equal(pattern.starts[:3], np.repeat(pattern.starts[:1], 3, axis=0))
    np.testing.assert_array_equal(pattern.starts[3:, 0], [6 * H] * 3)


@pytest.mark.parametrize(
    ("starts", "ends", "period", "rule"),
    [
        ([[0.0, 5.0]], [[10.0, 20.0]], 100.0, "overlap"),
        ([[20.0, 0.0]], [[30.0, 10.0]], 100.0, "sorted"),
        ([[50.0]], [[150.0]], 100.0, "within"),
        ([[10.0]], [[5.0]], 100.0, "start < end"),
        ([[np.inf, 5.0]], [[np.inf, 8.0]], 100.0, "padding"),
        ([[0.0]], [[1.0]], 0.0, "period_seconds"),
    ],
)
def test_invalid_patterns_are_rejected_with_the_rule(
    starts: list[list[float]], ends: list[list[float]], period: float, rule: str
) -> None:
    with pytest.raises(ValueError, match=rule):
        ShiftPattern(np.array(starts), np.array(ends), period)


def test_initial_state_puts_each_server_at_its_first_span_from_t0() -> None:
    pattern = ShiftPattern.from_staffing([8 * H, 12 * H], [12 * H, 20 * H], [1, 2], weekdays=[0])
    pattern = ShiftPattern(
        np.vstack([pattern.starts, [[np.inf]]]),
        np.vstack([pattern.ends, [[np.inf]]]),
        pattern.period_seconds,
    )  # a third server that is never on duty
    state = QueueState.initial(pattern, trials=2, t0=10 * H)
    np.testing.assert_array_equal(state.free_at[:, 0], [10 * H, 12 * H, np.inf])
    np.testing.assert_array_equal(state.span_end[:, 1], [20 * H, 20 * H, np.inf])


# --------------------------------------------------------------------------------------------------
# The two engines, on identical inputs


def test_engines_agree_on_a_phone_day_with_a_staffing_change_at_noon() -> None:
    arrival, handle, patience, present = phone_day(trials=8, seed=11)
    state = QueueState.initial(PHONE_SHIFTS, 8)
    vectorized, v_state = serve_fcfs(arrival, handle, patience, present, PHONE_SHIFTS, state)
    reference, r_state = serve_fcfs_simpy(arrival, handle, patience, present, PHONE_SHIFTS, state)
    assert_same_outcomes(vectorized, reference)
    answered = np.isfinite(vectorized)
    assert 0.02 < (present & ~answered).sum() / present.sum() < 0.5  # abandonment happens
    assert (vectorized[answered] >= 8 * H).all() and (vectorized[answered] < 20 * H).all()
    # the states may differ in how lazily servers moved shifts, but they mean the same queue:
    # the next day gives the same outcomes from either
    arrival, handle, patience, present = phone_day(trials=8, seed=12)
    arrival += SECONDS_PER_DAY
    assert_same_outcomes(
        serve_fcfs(arrival, handle, patience, present, PHONE_SHIFTS, v_state)[0],
        serve_fcfs_simpy(arrival, handle, patience, present, PHONE_SHIFTS, r_state)[0],
    )


def email_days(days: int, trials: int, seed: int) -> list[tuple[np.ndarray, ...]]:
    """Email arriving around the clock, 6 per hour, handle 10 min, never abandoned; per day."""
    rng = np.random.default_rng(seed)
    out = []
    for day in range(days):
        t0 = day * SECONDS_PER_DAY
        arrival, present = poisson_arrivals(rng, 6 / H, t0, t0 + SECONDS_PER_DAY, trials)
        handle = rng.exponential(600.0, arrival.shape)
        out.append((arrival, handle, np.full(arrival.shape, np.inf), present))
    return out


def serve_chained(
    engine: Engine, days: list[tuple[np.ndarray, ...]], shifts: ShiftPattern, state: QueueState
) -> tuple[np.ndarray, QueueState]:
    """One call per day, each starting from the state the previous one left."""
    starts = []
    for day in days:
        start, state = engine(*day, shifts, state)
        starts.append(start)
    return np.concatenate(starts), state


def test_email_backlog_carries_overnight_through_the_queue_state() -> None:
    shifts = ShiftPattern.daily(3, 8 * H, 17 * H)
    days = email_days(3, trials=6, seed=5)
    state = QueueState.initial(shifts, 6)
    vec, _ = serve_chained(serve_fcfs, days, shifts, state)
    ref, _ = serve_chained(serve_fcfs_simpy, days, shifts, state)
    assert_same_outcomes(vec, ref)
    present = np.concatenate([d[3] for d in days])
    assert np.isfinite(vec[present]).all()  # infinite patience: everyone is answered eventually
    first = days[0]
    assert (vec[: first[0].shape[0]][first[3]] >= SECONDS_PER_DAY).any()  # carried overnight
    # days 1–2 chained through the state == days 1–2 in one call, bit for bit (rows stacked day
    # after day: each trial's present rows stay in arrival order)
    both = [np.concatenate(x) for x in zip(*days[:2], strict=True)]
    one_call, _ = serve_fcfs(*both, shifts, state)
    chained, _ = serve_chained(serve_fcfs, days[:2], shifts, state)
    np.testing.assert_array_equal(chained, one_call)
    assert_same_outcomes(serve_fcfs_simpy(*both, shifts, state)[0], one_call)


@pytest.mark.parametrize(
    "shifts",
    [
        ShiftPattern.always_on(0),
        ShiftPattern.daily(4, 8 * H, 17 * H, weekdays=[]),
        ShiftPattern.from_staffing([8 * H], [17 * H], [0]),
    ],
    ids=["no servers", "never open", "nobody staffed"],
)
def test_no_agents_means_nobody_is_answered(shifts: ShiftPattern) -> None:
    arrival, handle, patience, present = phone_day(trials=3, seed=1)
    patience[::2] = np.inf
    state = QueueState.initial(shifts, 3)
    for engine in (serve_fcfs, serve_fcfs_simpy):
        start, after = engine(arrival, handle, patience, present, shifts, state)
        assert np.isnan(start).all()
        np.testing.assert_array_equal(after.free_at, state.free_at)


@pytest.mark.parametrize("patience_s", [120.0, np.inf])
def test_engines_agree_when_arrivals_exceed_capacity(patience_s: float) -> None:
    rng = np.random.default_rng(3)
    arrival, present = poisson_arrivals(rng, 1 / 30, 0.0, 2 * H, 5)  # 4 Erlangs on 2 agents
    handle = rng.exponential(120.0, arrival.shape)
    patience = np.where(np.isinf(patience_s), np.inf, rng.exponential(patience_s, arrival.shape))
    shifts = ShiftPattern.always_on(2)
    state = QueueState.initial(shifts, 5)
    vec, _ = serve_fcfs(arrival, handle, patience, present, shifts, state)
    assert_same_outcomes(
        vec, serve_fcfs_simpy(arrival, handle, patience, present, shifts, state)[0]
    )
    for trial in range(5):  # FCFS: answered contacts start in arrival order
        starts = vec[:, trial][np.isfinite(vec[:, trial])]
        assert (np.diff(starts) >= 0).all()
    if np.isinf(patience_s):
        assert np.isfinite(vec[present]).all() and (vec[present] - arrival[present]).max() > H


eighths = st.integers(0, 2400).map(lambda x: x / 8)  # exact arithmetic: ties really tie


@st.composite
def small_queues(draw: st.DrawFn) -> tuple[np.ndarray, ...]:
    """A few servers with random spans in a 100 s cycle, a few contacts, ties included."""
    servers, trials = draw(st.integers(0, 4)), draw(st.integers(1, 3))
    spans = []
    for _ in range(servers):
        edges = draw(st.lists(st.sampled_from(range(0, 101, 5)), max_size=6, unique=True))
        edges = sorted(edges)[: len(edges) // 2 * 2]
        spans.append(edges)
    width = max([len(e) // 2 for e in spans] + [1])
    starts, ends = np.full((servers, width), np.inf), np.full((servers, width), np.inf)
    for k, edges in enumerate(spans):
        starts[k, : len(edges) // 2], ends[k, : len(edges) // 2] = edges[::2], edges[1::2]
    shifts = ShiftPattern(starts, ends, 100.0)
    n = draw(st.integers(0, 12))

    def table(values: st.SearchStrategy[float]) -> np.ndarray:
        cells = draw(st.lists(values, min_size=n * trials, max_size=n * trials))
        return np.array(cells, dtype=float).reshape(n, trials)

    arrival = np.sort(table(eighths), axis=0)  # within [0, 300] s: three cycles
    handle = table(eighths) / 16
    patience = table(st.one_of(eighths.map(lambda x: x / 16), st.just(np.inf)))
    present = table(st.booleans()) > 0
    state = QueueState.initial(shifts, trials, t0=draw(eighths) / 16)
    return arrival, handle, patience, present, shifts, state


@settings(max_examples=80, deadline=None)
@given(small_queues(), st.integers(1, 3))
def test_engines_agree_on_small_random_queues(case: tuple[np.ndarray, ...], chunk: int) -> None:
    arrival, handle, patience, present, shifts, state = case
    vec, _ = serve_fcfs(arrival, handle, patience, present, shifts, state, chunk=chunk)
    ref, _ = serve_fcfs_simpy(arrival, handle, patience, present, shifts, state)
    assert_same_outcomes(vec, ref)


@settings(max_examples=60, deadline=None)
@given(small_queues(), st.lists(eighths, min_size=1, max_size=20))
def test_the_span_table_answers_as_the_cycle_does(
    case: tuple[np.ndarray, ...], times: list[float]
) -> None:
    """next_spans reads a table of absolute spans; it must agree with the cycle to the bit."""
    shifts = case[4]
    if shifts.servers == 0:
        return
    t = np.array(times) * 7.0  # up to ~21 cycles: the table is extended as the clock runs on
    servers = np.arange(t.size) % shifts.servers
    start, end = shifts.next_spans(servers, t)
    expected_start, expected_end = shifts._spans_after(servers, t)
    np.testing.assert_array_equal(start, expected_start)
    np.testing.assert_array_equal(end, expected_end)


def test_the_span_table_stays_small_when_times_run_far_ahead() -> None:
    """A service of a billion minutes moves the clock 1,900 years on: answered from the cycle."""
    shifts = PHONE_SHIFTS
    t = np.array([100.0, 6e10, 1e12])
    servers = np.array([0, 3, 8])
    np.testing.assert_array_equal(
        np.stack(shifts.next_spans(servers, t)), np.stack(shifts._spans_after(servers, t))
    )
    assert shifts._table["ends"].shape[1] <= 512


@pytest.mark.parametrize("split", [0, 150, 301])
def test_bulk_shift_moves_change_no_outcome(split: int) -> None:
    """Moving every server whose span ended, at a row nobody arrives before, changes nothing."""
    arrival, handle, patience, present = phone_day(trials=12, seed=9)
    state = QueueState.initial(PHONE_SHIFTS, 12)
    plain, plain_state = serve_fcfs(arrival, handle, patience, present, PHONE_SHIFTS, state)
    first_after = float(np.where(present, arrival, np.inf)[split:].min())
    moves = [(0, 0.0), (split, first_after), (split, first_after - 60.0)]
    day = (arrival, handle, patience, present)
    moved, moved_state = serve_fcfs(*day, PHONE_SHIFTS, state, moves=moves)
    np.testing.assert_array_equal(moved, plain)
    # the next day from either state gives the same outcomes
    arrival2, handle2, patience2, present2 = phone_day(trials=12, seed=10)
    arrival2 += SECONDS_PER_DAY
    np.testing.assert_array_equal(
        serve_fcfs(arrival2, handle2, patience2, present2, PHONE_SHIFTS, moved_state)[0],
        serve_fcfs(arrival2, handle2, patience2, present2, PHONE_SHIFTS, plain_state)[0],
    )


@pytest.mark.parametrize("chunk", [5, 4096])
def test_rectangles_of_contacts_change_no_outcome(chunk: int) -> None:
    """Told where the contacts are (a staircase over trials by volume), the engine skips the
    padding and gives the same starts, and NaN everywhere else."""
    from simroi.queueing.contact_draws import staircase

    arrival, handle, patience, present = phone_day(trials=20, seed=6)
    order = np.argsort(-present.sum(axis=0), kind="stable")
    arrival, handle, patience, present = (x[:, order] for x in (arrival, handle, patience, present))
    active = staircase(present.sum(axis=0), pieces=4)
    state = QueueState.initial(PHONE_SHIFTS, 20)
    plain, plain_state = serve_fcfs(arrival, handle, patience, present, PHONE_SHIFTS, state)
    fast, fast_state = serve_fcfs(
        arrival, handle, patience, present, PHONE_SHIFTS, state, chunk=chunk, active=active
    )
    np.testing.assert_array_equal(fast, plain)
    np.testing.assert_array_equal(fast_state.free_at, plain_state.free_at)


def test_chunk_size_does_not_change_results() -> None:
    arrival, handle, patience, present = phone_day(trials=40, seed=4)
    state = QueueState.initial(PHONE_SHIFTS, 40)
    small, s_state = serve_fcfs(arrival, handle, patience, present, PHONE_SHIFTS, state, chunk=7)
    large, l_state = serve_fcfs(arrival, handle, patience, present, PHONE_SHIFTS, state, chunk=4096)
    np.testing.assert_array_equal(small, large)
    np.testing.assert_array_equal(s_state.free_at, l_state.free_at)
    np.testing.assert_array_equal(s_state.span_end, l_state.span_end)


def test_rows_not_present_change_nothing_whatever_they_hold() -> None:
    arrival, handle, patience, present = phone_day(trials=6, seed=8)
    state = QueueState.initial(PHONE_SHIFTS, 6)
    plain, plain_state = serve_fcfs(arrival, handle, patience, present, PHONE_SHIFTS, state)
    junk = np.tile(np.array([[np.nan], [0.0], [1e12], [-5.0]]), (1, 6))
    rows = [0, 200, 201, 600]  # padding spliced in before, between and after real contacts
    padded = [np.insert(x, rows, junk, axis=0) for x in (arrival, handle, patience)]
    mask = np.insert(present, rows, False, axis=0)
    start, padded_state = serve_fcfs(*padded, mask, PHONE_SHIFTS, state)
    np.testing.assert_array_equal(np.delete(start, np.array(rows) + np.arange(4), axis=0), plain)
    assert np.isnan(start[~mask]).all()
    np.testing.assert_array_equal(padded_state.free_at, plain_state.free_at)


def test_inputs_of_the_wrong_shape_are_rejected() -> None:
    shifts = ShiftPattern.always_on(2)
    ones = np.ones((3, 4))
    with pytest.raises(ValueError, match="state must have shape"):
        serve_fcfs(ones, ones, ones, ones > 0, shifts, QueueState.initial(shifts, 5))
    with pytest.raises(ValueError, match="one shape"):
        serve_fcfs(ones, ones[:2], ones, ones > 0, shifts, QueueState.initial(shifts, 4))
    with pytest.raises(ValueError, match="free_at must be"):
        QueueState(np.full((2, 4), -1.0), np.zeros((2, 4)))


# --------------------------------------------------------------------------------------------------
# Against queueing theory: stationary M/M/c+M with always-on agents, first hour discarded


def pooled_ratio(numerator: np.ndarray, denominator: np.ndarray) -> tuple[float, float]:
    """Σ numerator / Σ denominator over trials, and its standard error (delta method)."""
    estimate = numerator.sum() / denominator.sum()
    residual = numerator - estimate * denominator
    n = numerator.size
    return float(estimate), float(np.sqrt((residual**2).sum() * n / (n - 1)) / denominator.sum())


@dataclass(frozen=True)
class Measured:
    """Per-trial totals over the arrivals from `warm` to `end`, each of shape (trials,).

    A per-contact rate is pooled over trials (Σ count / Σ arrivals): the mean of per-trial ratios
    would weigh a quiet trial like a busy one, and busy trials wait more, so it is biased low
    (by about 1 standard error at 2,000 trials here).
    """

    arrivals: np.ndarray
    waited: np.ndarray  # found every agent busy
    abandoned: np.ndarray
    in_queue_s: np.ndarray  # time in queue; abandoners until they hang up
    fast: np.ndarray  # answered within THRESHOLD
    busy_s: np.ndarray  # agent-seconds busy inside the window
    queued_s: np.ndarray  # contact-seconds waiting inside the window
    window_s: float
    agents: int

    def per_contact(self, name: str) -> tuple[float, float]:
        return pooled_ratio(getattr(self, name), self.arrivals)

    def per_second(self, total: np.ndarray, scale: float = 1.0) -> tuple[float, float]:
        return pooled_ratio(total, np.full(total.shape, self.window_s * scale))

    @property
    def occupancy(self) -> tuple[float, float]:
        return self.per_second(self.busy_s, self.agents)

    @property
    def queue_length(self) -> tuple[float, float]:
        return self.per_second(self.queued_s)


def simulate_mmc(
    agents: int,
    patience_mean_s: float,
    *,
    trials: int,
    seed: int,
    hours: float = 9.0,
    engine: str = "numpy",
) -> Measured:
    """The fixture's arrivals and handle times on always-on agents; metrics after a 1 h warm-up."""
    rng = np.random.default_rng(seed)
    arrival, present = poisson_arrivals(rng, LAMBDA, 0.0, hours * H, trials)
    handle = rng.exponential(AHT, arrival.shape)
    patience = (
        rng.exponential(patience_mean_s, arrival.shape)
        if np.isfinite(patience_mean_s)
        else np.full(arrival.shape, np.inf)
    )
    shifts = ShiftPattern.always_on(agents)
    state = QueueState.initial(shifts, trials)
    start, _ = serve(engine, arrival, handle, patience, present, shifts, state)
    return measure(arrival, handle, patience, present, start, agents, warm=H, end=hours * H)


def measure(
    arrival: np.ndarray,
    handle: np.ndarray,
    patience: np.ndarray,
    present: np.ndarray,
    start: np.ndarray,
    agents: int,
    *,
    warm: float,
    end: float,
) -> Measured:
    counted = present & (arrival >= warm)
    answered = np.isfinite(start)
    wait = np.where(answered, start - arrival, np.inf)
    in_queue = np.where(answered, wait, patience)
    busy = np.clip(
        np.minimum(np.where(answered, start + handle, 0.0), end)
        - np.maximum(np.where(answered, start, 0.0), warm),
        0.0,
        None,
    )
    queued = np.clip(np.minimum(arrival + in_queue, end) - np.maximum(arrival, warm), 0.0, None)
    return Measured(
        arrivals=counted.sum(axis=0),
        waited=((wait > 0) & counted).sum(axis=0),
        abandoned=(~answered & counted).sum(axis=0),
        in_queue_s=np.where(counted, in_queue, 0.0).sum(axis=0),
        fast=(answered & (wait <= THRESHOLD) & counted).sum(axis=0),
        busy_s=busy.sum(axis=0),
        queued_s=np.where(present, queued, 0.0).sum(axis=0),
        window_s=end - warm,
        agents=agents,
    )


def assert_close(measured: tuple[float, float], expected: float, k: float = 4.0) -> None:
    estimate, se = measured
    assert abs(estimate - expected) <= k * se, f"{estimate:.6g} vs {expected:.6g} (se {se:.3g})"


RECURSIONS = pytest.mark.parametrize("engine", ["numpy", "compiled"])


@RECURSIONS
def test_phone_queue_matches_erlang_a(engine: str) -> None:
    m = simulate_mmc(14, PATIENCE, trials=2000, seed=20, engine=engine)
    assert_close(m.per_contact("waited"), 0.14526)
    assert_close(m.per_contact("abandoned"), 0.013984)
    assert_close(m.per_contact("in_queue_s"), 0.069919 * 60)
    assert_close(m.per_contact("fast"), 0.916792)
    assert_close(m.occupancy, 0.704297)


@RECURSIONS
def test_infinite_patience_matches_erlang_c(engine: str) -> None:
    m = simulate_mmc(14, np.inf, trials=2000, seed=21, engine=engine)
    assert (m.abandoned == 0).all()
    assert_close(m.per_contact("waited"), 0.1741)
    assert_close(m.per_contact("fast"), 0.8884)
    assert_close(m.per_contact("in_queue_s"), 0.1306 * 60)
    assert_close(m.occupancy, 10 / 14)


@RECURSIONS
def test_overloaded_queue_matches_the_erlang_a_oracle(engine: str) -> None:
    """Efficiency-driven regime: 10 Erlangs on 9 agents, kept stable by abandonment."""
    m = simulate_mmc(9, PATIENCE, trials=1000, seed=22, engine=engine)
    theory = erlang_a(LAMBDA, AHT, 9, PATIENCE, THRESHOLD)
    assert_close(m.per_contact("waited"), theory.p_wait)
    assert_close(m.per_contact("abandoned"), theory.abandonment)
    assert_close(m.per_contact("in_queue_s"), theory.asa_seconds)
    assert_close(m.per_contact("fast"), theory.service_level)
    assert_close(m.occupancy, theory.occupancy)


@RECURSIONS
def test_littles_law_holds_for_the_measured_queue(engine: str) -> None:
    """Time-average number waiting = arrival rate × mean time in queue, both measured."""
    m = simulate_mmc(12, PATIENCE, trials=1000, seed=23, engine=engine)
    assert_close(m.per_second(m.queued_s - m.in_queue_s), 0.0)  # L − λW, edge effects only
    assert_close(m.queue_length, erlang_a(LAMBDA, AHT, 12, PATIENCE, THRESHOLD).mean_queue_length)


def test_every_contact_is_answered_abandoned_or_waiting_exactly_once() -> None:
    arrival, handle, patience, present = phone_day(trials=50, seed=9)
    patience[1::3] = np.inf  # some contacts never abandon: they stay in the queue overnight
    start, _ = serve_fcfs(
        arrival, handle, patience, present, PHONE_SHIFTS, QueueState.initial(PHONE_SHIFTS, 50)
    )
    horizon = 20.5 * H
    answered = present & (start <= horizon)
    abandoned = present & np.isnan(start) & (arrival + patience <= horizon)
    waiting = present & ((start > horizon) | (np.isnan(start) & (arrival + patience > horizon)))
    np.testing.assert_array_equal(answered.astype(int) + abandoned + waiting, present)
    assert abandoned.any() and waiting.any()
    ok = np.isfinite(start)
    assert (start[ok] >= arrival[ok]).all() and (start[ok] - arrival[ok] <= patience[ok]).all()
    assert np.isnan(start[~present]).all()
    # capacity: never more contacts in service than agents, and starts only while someone is on
    # duty (a service ends 1 µs early so that back-to-back ones do not overlap by a rounding)
    for trial in range(50):
        s, h = start[ok[:, trial], trial], handle[ok[:, trial], trial]
        times = np.concatenate([s, s + h - 1e-6])
        steps = np.concatenate([np.ones_like(s), -np.ones_like(s)])
        assert np.cumsum(steps[np.argsort(times, kind="stable")]).max() <= PHONE_SHIFTS.servers
        clock = s % SECONDS_PER_DAY  # the patient ones are answered the next morning
        assert ((clock >= 8 * H) & (clock < 20 * H)).all()


def test_more_agents_never_lengthen_any_wait_without_abandonment() -> None:
    """FCFS without abandonment is monotone path by path (common random numbers)."""
    rng = np.random.default_rng(30)
    arrival, present = poisson_arrivals(rng, LAMBDA, 0.0, 4 * H, 300)
    handle = rng.exponential(AHT, arrival.shape)
    patience = np.full(arrival.shape, np.inf)
    previous = None
    for agents in range(9, 15):
        shifts = ShiftPattern.always_on(agents)
        start, _ = serve_fcfs(
            arrival, handle, patience, present, shifts, QueueState.initial(shifts, 300)
        )
        wait = np.where(present, start - arrival, 0.0)
        if previous is not None:
            assert (wait <= previous + 1e-6).all()
            assert (wait.mean(axis=0) <= previous.mean(axis=0) + 1e-6).all()
        previous = wait


def test_more_agents_can_lengthen_a_trials_mean_wait_when_contacts_abandon() -> None:
    """With abandonment the path-by-path property fails: a contact that would have abandoned is
    now served and delays a later one. Here 2 agents give a mean time in queue of 1.4 s, 1 agent
    1.2 s. Only the average over trials is monotone (checked after)."""
    arrival = np.array([[0.0], [2.0], [2.0], [2.0], [9.0]])
    handle = np.array([[3.0], [4.0], [8.0], [6.0], [8.0]])
    patience = np.array([[2.0], [2.0], [1.0], [4.0], [4.0]])
    present = np.ones((5, 1), dtype=bool)
    mean_in_queue = []
    for agents in (1, 2):
        shifts = ShiftPattern.always_on(agents)
        start, _ = serve_fcfs(
            arrival, handle, patience, present, shifts, QueueState.initial(shifts, 1)
        )
        mean_in_queue.append(np.where(np.isfinite(start), start - arrival, patience).mean())
    assert mean_in_queue == pytest.approx([1.2, 1.4])
    means = [
        simulate_mmc(c, PATIENCE, trials=400, seed=31).per_contact("in_queue_s")[0]
        for c in (11, 12, 13)
    ]
    assert means[0] > means[1] > means[2]


@pytest.mark.slow
def test_engines_agree_within_monte_carlo_error_on_independent_streams() -> None:
    def day_metrics(engine: Engine, trials: int, seed: int) -> Measured:
        arrival, handle, patience, present = phone_day(trials, seed)
        start, _ = engine(
            arrival,
            handle,
            patience,
            present,
            PHONE_SHIFTS,
            QueueState.initial(PHONE_SHIFTS, trials),
        )
        return measure(
            arrival,
            handle,
            patience,
            present,
            start,
            PHONE_SHIFTS.servers,
            warm=7.5 * H,
            end=20.5 * H,
        )

    vec = day_metrics(serve_fcfs, 1000, seed=40)
    ref = day_metrics(serve_fcfs_simpy, 40, seed=41)
    for name in ("waited", "abandoned", "in_queue_s", "fast"):
        (a, se_a), (b, se_b) = vec.per_contact(name), ref.per_contact(name)
        assert abs(a - b) <= 4 * np.hypot(se_a, se_b), name
    (a, se_a), (b, se_b) = vec.occupancy, ref.occupancy
    assert abs(a - b) <= 4 * np.hypot(se_a, se_b)
