"""A queue study on the compiled engine gives the numpy engine's bits.

``simroi queue`` tallies its KPIs in a compiled kernel on the compiled engine
(:mod:`simroi.queueing.compiled_study`); every per-trial KPI must be the numpy engine's, bit for
bit: with and without patience and warm-up, every handle-time distribution,
queues that answer everyone and queues that answer no one in time, days with no contacts, and a
last block of one trial (which stays on the numpy sums).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simroi.queueing.compiled_study import day_tallies
from simroi.queueing.study import QUEUE_BLOCK, QueueSpec, study_queue


def _same_bits(a: np.ndarray, b: np.ndarray) -> None:
    np.testing.assert_array_equal(a.view(np.int64), b.view(np.int64))


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
    for name, values in numpy_study.samples.items():
        _same_bits(values, compiled_study.samples[name])


@pytest.mark.slow
def test_the_issue_workload_and_a_last_block_of_one_trial_are_the_same_bits() -> None:
    spec = QueueSpec(arrivals_per_hour=1260, agents=90, aht_minutes=4, patience_minutes=3)
    trials = QUEUE_BLOCK + 1  # the last block holds one trial
    numpy_study = study_queue(spec, trials=trials, seed=5, engine="numpy")
    compiled_study = study_queue(spec, trials=trials, seed=5, engine="compiled")
    for name, values in numpy_study.samples.items():
        _same_bits(values, compiled_study.samples[name])


def test_a_day_with_no_contact_tallies_nan_rates_and_zero_offered() -> None:
    empty = np.zeros((0, 2))
    service_level, abandonment, asa, occupancy, offered = day_tallies(
        empty, empty, empty, np.zeros(2, dtype=int), (0.0, 3600.0, 20.0, 3)
    )
    assert np.isnan(service_level).all() and np.isnan(abandonment).all() and np.isnan(asa).all()
    assert (occupancy == 0.0).all() and (offered == 0.0).all()
