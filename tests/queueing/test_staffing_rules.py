"""Staffing many queues at once: the closed-form Erlang A and the rate tables behind the rules."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from simroi.queueing.erlang import erlang_a
from simroi.queueing.staffing import (
    erlang_a_service_levels,
    erlang_a_thresholds,
    erlang_c_required_agents,
    required_agents,
)


@settings(max_examples=150, deadline=None)
@example(0.14453125, 30.0, 16, 2287.0, 20.0)  # P(wait) 1.3e-5, off by 5.5e-9 (found in a run)
@example(0.21875, 30.0, 20, 2405.0, 5.0)  # P(wait) 1.9e-5, off by 2.0e-6: P was subnormal
@given(
    st.floats(1e-4, 0.3),
    st.floats(30.0, 1200.0),
    st.integers(1, 80),
    st.floats(10.0, 3000.0),
    st.sampled_from([0.0, 5.0, 20.0, 60.0, 600.0, np.inf]),
)
def test_closed_form_service_level_is_erlang_a(
    rate: float, handle: float, agents: int, patience: float, threshold: float
) -> None:
    oracle = erlang_a(rate, handle, agents, patience, threshold)
    exact = oracle.service_level
    (fast,) = erlang_a_service_levels(
        np.array([rate]), np.array([handle]), np.array([agents]), np.array([patience]), threshold
    )
    # Where hardly anyone waits the closed form may misjudge the waiting contacts: by at most
    # P(wait) where the incomplete gamma functions underflow, by 1 % of it up to 1e-4.
    if oracle.p_wait < 1e-5:
        assert abs(fast - exact) <= oracle.p_wait + 1e-9
    elif oracle.p_wait < 1e-4:
        assert abs(fast - exact) <= 0.01 * oracle.p_wait + 1e-9
    else:
        assert fast == pytest.approx(exact, abs=1e-9)


def test_no_arrivals_is_full_service() -> None:
    level = erlang_a_service_levels(np.zeros(2), np.full(2, 60.0), np.ones(2, int), 60.0, 20.0)
    np.testing.assert_array_equal(level, 1.0)


def test_rate_tables_give_erlang_a_required_agents_on_fixtures() -> None:
    """pyworkforce's queue (100 calls / 30 min, AHT 3 min, patience 5 min, 80/20) and a spread of
    phone queues: the agents read off the tables are required_agents', one by one."""
    handle = np.array([180.0, 240.0, 390.0, 510.0, 300.0])
    patience = np.array([300.0, 90.0, 180.0, 360.0, 1e5])
    table = erlang_a_thresholds(handle, patience, np.arange(1, 61), 0.8, 20.0)
    for rate in (100 / 1800, 0.001, 0.01, 0.03, 0.06, 0.09):
        agents = 1 + (table < rate).sum(axis=1)
        expected = [
            required_agents(rate, h, 0.8, 20.0, p) for h, p in zip(handle, patience, strict=True)
        ]
        np.testing.assert_array_equal(agents, expected)
    assert 1 + int((table[0] < 100 / 1800).sum()) == 13  # Erlang C would need 14


def test_each_agent_count_meets_the_target_up_to_its_rate_and_misses_beyond() -> None:
    table = erlang_a_thresholds(np.array([400.0]), np.array([200.0]), np.arange(1, 21), 0.8, 20.0)
    assert (np.diff(table[0]) > 0).all()
    c = np.arange(1, 21)
    at = erlang_a_service_levels(table[0], 400.0, c, 200.0, 20.0)
    beyond = erlang_a_service_levels(table[0] * (1 + 1e-9), 400.0, c, 200.0, 20.0)
    assert (at >= 0.8).all() and (beyond < 0.8).all()


def test_erlang_c_rule_agents_are_required_agents_without_patience() -> None:
    rates = np.array([0.0, 0.001, 0.01, 100 / 1800, 0.2])
    handle = np.array([300.0, 600.0, 240.0, 180.0, 360.0])
    for threshold, share in ((20.0, 0.8), (3600.0, 0.9), (12 * 3600.0, 0.95)):
        agents = erlang_c_required_agents(rates, handle, share, threshold)
        expected = [
            required_agents(r, h, share, threshold) for r, h in zip(rates, handle, strict=True)
        ]
        np.testing.assert_array_equal(agents, expected)
