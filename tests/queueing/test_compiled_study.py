"""A queue study on the compiled engine gives the numpy engine's bits.

On the compiled engine ``simroi queue`` simulates a day with exponential handle times in one
pass that draws, serves and tallies each contact (:func:`simroi.queueing.compiled_study.
study_day`), and tallies other days' tables in a compiled kernel (:func:`day_tallies`); every
per-trial KPI must be the numpy engine's, bit for bit: with and without patience and warm-up,
every handle-time distribution, queues that answer everyone and queues that answer no one in
time, days with no contacts, a queue so overloaded that the one pass hands it back, one thread
or two, and a last block of one trial (which stays on the numpy sums).
"""

from __future__ import annotations

import numpy as np
import pytest
from bits import assert_same_bits
from hypothesis import given, settings
from hypothesis import strategies as st
from threads import numba_threads

import simroi.queueing.compiled_study
from simroi.queueing.compiled_study import StudyDay, day_tallies, study_day
from simroi.queueing.queue_spec import QUEUE_BLOCK, QueueSpec
from simroi.queueing.study import study_queue


def _rngs() -> tuple[np.random.Generator, np.random.Generator, np.random.Generator]:
    """Streams for a study day's gaps, handle times and patience."""
    return (np.random.default_rng(1), np.random.default_rng(2), np.random.default_rng(3))


@settings(max_examples=25, deadline=None)
@given(
    rate=st.floats(0.5, 400.0),
    agents=st.integers(0, 12),
    aht=st.floats(0.5, 20.0),
    patience=st.none() | st.floats(0.1, 10.0),
    hours=st.floats(0.25, 10.0),
    warmup=st.floats(0.0, 0.5),
    dist=st.sampled_from(["exponential", "lognormal", "gamma"]),
    trials=st.integers(2, 40),
    seed=st.integers(0, 2**32 - 1),
)
def test_a_study_is_the_same_bits_on_both_engines(
    rate: float,
    agents: int,
    aht: float,
    patience: float | None,
    hours: float,
    warmup: float,
    dist: str,
    trials: int,
    seed: int,
) -> None:
    spec = QueueSpec(
        arrivals_per_hour=rate,
        agents=agents,
        aht_minutes=aht,
        patience_minutes=patience,
        hours=hours,
        handle_dist=dist,  # type: ignore[arg-type]
        handle_cv=0.8,
        warmup_minutes=warmup * hours * 60.0,  # up to half the day
    )
    numpy_study = study_queue(spec, trials=trials, seed=seed, engine="numpy")
    compiled_study = study_queue(spec, trials=trials, seed=seed, engine="compiled")
    assert_same_bits(numpy_study.samples, compiled_study.samples)


@pytest.mark.slow
def test_the_issue_workload_and_a_last_block_of_one_trial_are_the_same_bits() -> None:
    spec = QueueSpec(arrivals_per_hour=1260, agents=90, aht_minutes=4, patience_minutes=3)
    trials = QUEUE_BLOCK + 1  # the last block holds one trial
    numpy_study = study_queue(spec, trials=trials, seed=5, engine="numpy")
    compiled_study = study_queue(spec, trials=trials, seed=5, engine="compiled")
    assert_same_bits(numpy_study.samples, compiled_study.samples)


def test_a_day_with_no_contact_tallies_nan_rates_and_zero_offered() -> None:
    empty = np.zeros((0, 2))
    service_level, abandonment, asa, occupancy, offered = day_tallies(
        empty, empty, empty, np.zeros(2, dtype=int), (0.0, 3600.0, 20.0, 3)
    )
    assert np.isnan(service_level).all() and np.isnan(abandonment).all() and np.isnan(asa).all()
    assert (occupancy == 0.0).all() and (offered == 0.0).all()


def test_a_queue_overloaded_past_a_week_leaves_the_one_pass_for_the_general_path() -> None:
    """One agent, ten-hour calls, nobody hangs up: contacts would start weeks later, after
    the servers' first span, where the shifts' rules apply; the one pass says so (None), and
    the study's result is still numpy's."""
    rngs = _rngs()
    assert study_day(rngs, 4, StudyDay(60.0, 28_800.0, 36_000.0, None, 0.0, 20.0), 1) is None
    spec = QueueSpec(arrivals_per_hour=60, agents=1, aht_minutes=600, hours=8)
    numpy_study = study_queue(spec, trials=5, seed=2, engine="numpy")
    compiled_study = study_queue(spec, trials=5, seed=2, engine="compiled")
    assert_same_bits(numpy_study.samples, compiled_study.samples)
    assert (compiled_study.service_level < 0.05).all()


@pytest.mark.parametrize("threads", [1, 2])
def test_the_one_pass_day_is_the_same_bits_on_any_number_of_threads(
    threads: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = QueueSpec(arrivals_per_hour=300, agents=5, aht_minutes=0.9, patience_minutes=1, hours=2)
    numpy_study = study_queue(spec, trials=70, seed=9, engine="numpy")
    passes: list[bool] = []  # whether each block's one pass gave the KPIs (else: the tables)

    def one_pass(*args: object) -> np.ndarray | None:
        kpis = study_day(*args)  # type: ignore[arg-type]
        passes.append(kpis is not None)
        return kpis

    monkeypatch.setattr(simroi.queueing.compiled_study, "study_day", one_pass)
    with numba_threads(threads):
        compiled_study = study_queue(spec, trials=70, seed=9, engine="compiled")
    assert passes and all(passes)  # the one pass made these numbers, not the general path
    assert_same_bits(numpy_study.samples, compiled_study.samples)


def test_the_one_pass_day_needs_two_trials_and_an_agent() -> None:
    rngs = _rngs()
    with pytest.raises(ValueError, match="two trials and an agent"):
        study_day(rngs, 1, StudyDay(60.0, 3600.0, 240.0, None, 0.0, 20.0), 2)
    with pytest.raises(ValueError, match="two trials and an agent"):
        study_day(rngs, 3, StudyDay(60.0, 3600.0, 240.0, None, 0.0, 20.0), 0)


def test_a_day_longer_than_a_week_takes_the_general_path_with_the_same_bits() -> None:
    rngs = _rngs()
    assert study_day(rngs, 3, StudyDay(3600.0, 170 * 3600.0, 60.0, None, 0.0, 20.0), 2) is None
    spec = QueueSpec(arrivals_per_hour=0.5, agents=2, aht_minutes=1, hours=170)
    numpy_study = study_queue(spec, trials=3, seed=4, engine="numpy")
    compiled_study = study_queue(spec, trials=3, seed=4, engine="compiled")
    assert_same_bits(numpy_study.samples, compiled_study.samples)
    assert (numpy_study.offered > 40).all()
