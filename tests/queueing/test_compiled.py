"""The compiled engine gives the numpy engine's bits: start times and the state carried on.

Bit for bit (``view(np.int64)``: the same floats, NaN where NaN, the server index in the same
low bits) on random queues with shared patterns and per-trial rosters, bulk moves, rectangles of
contacts and padding; and whatever the number of threads. The Erlang fixtures run on it in
``test_engine.py``; through the whole model in ``tests/model/test_compiled_model.py``.
"""

from __future__ import annotations

import os

import bits
import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from queueing.test_engine import PHONE_SHIFTS, phone_day, small_queues
from queueing.test_roster import rosters, shift_rosters, two_days
from threads import gomp_spin_counts, numba_threads

from simroi.queueing import compiled
from simroi.queueing.compiled import serve_fcfs_compiled
from simroi.queueing.contact_draws import staircase
from simroi.queueing.engine import serve_fcfs
from simroi.queueing.roster import TrialShiftPattern
from simroi.queueing.shifts import QueueState, ShiftPattern


def assert_same_bits(
    compiled: tuple[np.ndarray, QueueState], reference: tuple[np.ndarray, QueueState]
) -> None:
    """The starts and the new queue state (free-at times and span ends), bit for bit."""
    bits.assert_same_bits(bits.arrays(compiled), bits.arrays(reference))


@settings(max_examples=120, deadline=None)
@given(small_queues())
def test_compiled_gives_the_numpy_engines_bits_on_small_random_queues(
    case: tuple[np.ndarray, ...],
) -> None:
    arrival, handle, patience, present, shifts, state = case
    assert_same_bits(
        serve_fcfs_compiled(arrival, handle, patience, present, shifts, state),
        serve_fcfs(arrival, handle, patience, present, shifts, state),
    )


@settings(max_examples=60, deadline=None)
@given(
    st.one_of(rosters(), shift_rosters()),
    st.integers(0, 2**32 - 1),
    st.sampled_from([np.inf, 120.0]),
)
def test_compiled_gives_the_numpy_engines_bits_on_rosters_per_trial(
    roster: TrialShiftPattern, seed: int, patience_s: float
) -> None:
    """Both span tables (per day and per interval), a week that may wrap, slots per agent."""
    queue, moves = two_days(roster, seed, patience_s)
    state = roster.initial_state()
    assert_same_bits(
        serve_fcfs_compiled(*queue, roster, state, moves=moves),
        serve_fcfs(*queue, roster, state, moves=moves),
    )


@pytest.mark.parametrize("split", [0, 150, 301])
def test_compiled_gives_the_same_bits_with_bulk_moves_and_rectangles(split: int) -> None:
    arrival, handle, patience, present = phone_day(trials=20, seed=6)
    order = np.argsort(-present.sum(axis=0), kind="stable")
    queue = tuple(x[:, order] for x in (arrival, handle, patience, present))
    active = staircase(queue[3].sum(axis=0), pieces=4)
    first_after = float(np.where(queue[3], queue[0], np.inf)[split:].min())
    moves = [(0, 0.0), (split, first_after), (split, first_after - 60.0)]
    state = QueueState.initial(PHONE_SHIFTS, 20)
    assert_same_bits(
        serve_fcfs_compiled(*queue, PHONE_SHIFTS, state, moves=moves, active=active),
        serve_fcfs(*queue, PHONE_SHIFTS, state, moves=moves, active=active),
    )


def test_a_patience_shared_by_every_row_is_read_from_its_one_row() -> None:
    """A deadline per column, broadcast down the rows (as the model passes a deferrable
    channel's), gives the bits of the same table written out, and the numpy engine's."""
    arrival, handle, _, present = phone_day(trials=12, seed=9)
    deadline = np.random.default_rng(9).choice([60.0, 900.0, np.inf], size=12)
    shared = np.broadcast_to(deadline, arrival.shape)
    assert shared.strides[0] == 0
    state = QueueState.initial(PHONE_SHIFTS, 12)
    served = serve_fcfs_compiled(arrival, handle, shared, present, PHONE_SHIFTS, state)
    assert np.isnan(served[0][present]).any()  # some deadlines pass: the patience is read
    written = np.ascontiguousarray(shared)
    assert_same_bits(
        served, serve_fcfs_compiled(arrival, handle, written, present, PHONE_SHIFTS, state)
    )
    assert_same_bits(served, serve_fcfs(arrival, handle, shared, present, PHONE_SHIFTS, state))


def test_padding_rows_change_nothing_in_the_compiled_engine() -> None:
    arrival, handle, patience, present = phone_day(trials=6, seed=8)
    state = QueueState.initial(PHONE_SHIFTS, 6)
    plain = serve_fcfs_compiled(arrival, handle, patience, present, PHONE_SHIFTS, state)
    junk = np.tile(np.array([[np.nan], [0.0], [1e12], [-5.0]]), (1, 6))
    rows = [0, 200, 201, 600]
    padded = [np.insert(x, rows, junk, axis=0) for x in (arrival, handle, patience)]
    mask = np.insert(present, rows, False, axis=0)
    start, padded_state = serve_fcfs_compiled(*padded, mask, PHONE_SHIFTS, state)
    kept = np.delete(start, np.array(rows) + np.arange(4), axis=0)
    np.testing.assert_array_equal(kept.view(np.int64), plain[0].view(np.int64))
    assert np.isnan(start[~mask]).all()
    np.testing.assert_array_equal(padded_state.free_at, plain[1].free_at)


def test_the_thread_count_does_not_change_a_bit() -> None:
    arrival, handle, patience, present = phone_day(trials=64, seed=12)
    state = QueueState.initial(PHONE_SHIFTS, 64)
    queue = (arrival, handle, patience, present, PHONE_SHIFTS, state)
    with numba_threads(1):
        one = serve_fcfs_compiled(*queue)
    with numba_threads(numba.config.NUMBA_NUM_THREADS):
        every = serve_fcfs_compiled(*queue)
    assert_same_bits(one, every)
    assert_same_bits(every, serve_fcfs(*queue))


def test_the_compiled_engine_leaves_its_inputs_alone() -> None:
    arrival, handle, patience, present = phone_day(trials=4, seed=2)
    state = QueueState.initial(PHONE_SHIFTS, 4)
    copies = [x.copy() for x in (arrival, handle, patience, present, state.free_at)]
    serve_fcfs_compiled(arrival, handle, patience, present, PHONE_SHIFTS, state)
    for before, after in zip(
        copies, (arrival, handle, patience, present, state.free_at), strict=True
    ):
        np.testing.assert_array_equal(before, after)


def test_inputs_of_the_wrong_shape_are_rejected_by_the_compiled_engine() -> None:
    state = QueueState.initial(PHONE_SHIFTS, 3)
    with pytest.raises(ValueError, match="one shape"):
        serve_fcfs_compiled(np.zeros((2, 3)), np.zeros((2, 2)), np.zeros((2, 3)), True,
                            PHONE_SHIFTS, state)  # fmt: skip
    with pytest.raises(ValueError, match="state must have shape"):
        serve_fcfs_compiled(np.zeros((2, 4)), np.zeros((2, 4)), np.zeros((2, 4)), True,
                            PHONE_SHIFTS, state)  # fmt: skip


@pytest.mark.parametrize("own", [True, False])
def test_kernels_fall_back_to_the_users_temporary_cache_when_no_place_is_writable(
    own: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """numba caches beside the install, else in the user's cache directory; when neither is
    writable it refuses to cache (RuntimeError): the kernels then cache in a temporary folder of
    the user's own, or nowhere when that folder is someone else's; numba's setting is restored."""
    seen: list[tuple[str, bool]] = []

    def njit(function: object, *, cache: bool, **options: object) -> str:
        seen.append((numba.config.CACHE_DIR, cache))
        if len(seen) == 1:
            raise RuntimeError("cannot cache function 'f': no locator available for file 'x.py'")
        return "compiled"

    monkeypatch.setattr(numba.config, "CACHE_DIR", "")
    monkeypatch.setattr(numba, "njit", njit)
    monkeypatch.setattr(compiled, "_own_folder", lambda path: own)
    assert compiled.kernel()(lambda: 0) == "compiled"
    second = (compiled.FALLBACK_CACHE, True) if own else ("", False)
    assert seen == [("", True), second]
    assert numba.config.CACHE_DIR == ""
    assert compiled.FALLBACK_CACHE.endswith(str(os.getuid()))


def test_a_cycle_not_in_whole_seconds_gives_the_numpy_engines_bits() -> None:
    """The numpy engine's span table adds cycles up one by one; the compiled lookup multiplies:
    the same floats only for whole-second cycles, so other cycles go to the numpy engine."""
    shifts = ShiftPattern(np.array([[0.03]]), np.array([[0.06]]), 0.3)
    queue = (np.array([[1.8]]), np.array([[0.0]]), np.array([[np.inf]]), True)
    state = QueueState.initial(shifts, 1)
    assert_same_bits(serve_fcfs_compiled(*queue, shifts, state), serve_fcfs(*queue, shifts, state))


def test_an_arrival_at_minus_zero_starts_as_in_the_numpy_engine() -> None:
    shifts = ShiftPattern.always_on(1)  # no index bits: the free-at time is the plain float
    queue = (np.array([[-0.0], [5.0]]), np.array([[0.0], [1.0]]), np.full((2, 1), np.inf), True)
    state = QueueState.initial(shifts, 1)
    assert_same_bits(serve_fcfs_compiled(*queue, shifts, state), serve_fcfs(*queue, shifts, state))


def test_a_roster_for_other_trials_is_refused_by_the_compiled_engine() -> None:
    roster = TrialShiftPattern(np.array([0.0, 3600.0]), np.array([3600.0, 7200.0]),
                               np.array([[2, 1]]))  # fmt: skip
    state = QueueState(np.zeros((2, 3)), np.full((2, 3), 3600.0))
    arrival = np.full((1, 3), 5000.0)
    with pytest.raises(ValueError, match="a roster of 1 trials cannot staff a queue of 3"):
        serve_fcfs_compiled(arrival, arrival, arrival, True, roster, state)


@pytest.mark.parametrize("group", [8, 24, 256])
def test_the_group_of_trials_a_thread_serves_changes_no_bit(
    group: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    arrival, handle, patience, present = phone_day(trials=40, seed=13)
    state = QueueState.initial(PHONE_SHIFTS, 40)
    queue = (arrival, handle, patience, present, PHONE_SHIFTS, state)
    monkeypatch.setattr(compiled, "_group", lambda servers, trials: group)
    assert_same_bits(serve_fcfs_compiled(*queue), serve_fcfs(*queue))


_PARALLEL_CALL = (
    "import numpy as np, numba\n"
    "from simroi.model.compiled import partial_sums\n"
    "partial_sums(np.ones((3, 2)), [(0, 3, 2)])\n"
    "print(numba.threading_layer())\n"
)


@pytest.mark.parametrize(("given", "spins"), [(None, False), ("active", True)])
def test_numbas_threads_wait_asleep_unless_the_user_says_otherwise(
    given: str | None, spins: bool
) -> None:
    """OpenMP's idle threads spin by default, taking the cores from the work on a busy machine;
    the parallel kernels set OMP_WAIT_POLICY=PASSIVE before numba starts its threads. GNU
    OpenMP then reports a spin count of 0 (OMP_DISPLAY_ENV=verbose; 300000 by default, when
    its reported policy reads PASSIVE as well). A user's own setting stands."""
    layer, reported = gomp_spin_counts(_PARALLEL_CALL, given)
    if layer != "omp" or not reported:
        pytest.skip(f"numba's threads run on {layer}, not GNU OpenMP")
    assert (reported[0] != "'0'") == spins
