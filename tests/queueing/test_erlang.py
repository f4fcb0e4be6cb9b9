"""Golden fixtures and identities for simroi.queueing.erlang, the queueing oracle of the simulation.

Fixtures come from pyworkforce's test suite (its ``pyworkforce/queuing/tests/test_erlang.py`` and
``test_abandonment.py``, v0.5.4) and from the cross-checks in the domain reference (§2.1, §2.2,
§2.3 and the worked check of the defaults in §6). pyworkforce works in minutes; here every rate
is per second and every time in seconds.
"""

from __future__ import annotations

import doctest
import itertools
import math
import time
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from queueing import asymptotics
from queueing.asymptotics import garnett_p_wait, halfin_whitt_p_wait, square_root_staffing
from scipy.integrate import quad
from scipy.linalg import expm
from scipy.stats import poisson

import simroi.queueing.erlang
import simroi.queueing.staffing
from simroi.queueing.erlang import erlang_a, erlang_b, erlang_c
from simroi.queueing.staffing import required_agents

# pyworkforce's scenario: 100 transactions per 30-minute interval, AHT 3 min, patience 5 min.
PYWF_ARRIVALS = 100 / 1800
PYWF_AHT = 180.0
PYWF_PATIENCE = 300.0

# Domain reference §6, average hour: 52 calls/h, AHT 6.5 min, patience mean 3 min (A = 5.6 Erl).
DEFAULT_ARRIVALS = 52 / 3600
DEFAULT_AHT = 390.0
DEFAULT_PATIENCE = 180.0
# The §6 figures are printed rounded (to 0.1 percentage points or 3 decimals).
ROUNDED_SOURCE_TOLERANCE = 0.002


def reference_chain(
    arrivals: float, handle: float, agents: int, patience: float
) -> tuple[np.ndarray, float, float]:
    """The M/M/c+M stationary distribution the plain way (pyworkforce's recursion), as an oracle.

    Returns ``(p, mu, theta)`` with ``p[n] = P(N = n)``.
    """
    mu, theta = 1.0 / handle, 1.0 / patience
    terms = [1.0]
    n = 0
    while True:
        n += 1
        death = min(n, agents) * mu + max(n - agents, 0) * theta
        terms.append(terms[-1] * arrivals / death)
        if n > agents and terms[-1] < 1e-18 * sum(terms):
            break
    p = np.array(terms)
    return p / p.sum(), mu, theta


def expm_service_level(
    arrivals: float, handle: float, agents: int, patience: float, threshold: float
) -> float:
    """SL from the matrix exponential of the tagged-customer absorbing CTMC (no closed forms)."""
    p, mu, theta = reference_chain(arrivals, handle, agents, patience)
    delayed = p[agents:]
    size = delayed.size
    served, abandoned = size, size + 1
    generator = np.zeros((size + 2, size + 2))
    for j in range(size):
        advance = agents * mu + j * theta
        generator[j, j - 1 if j > 0 else served] = advance
        generator[j, abandoned] = theta
        generator[j, j] = -(advance + theta)
    served_by_threshold = expm(generator * threshold)[:size, served]
    return float(p[:agents].sum() + delayed @ served_by_threshold)


def answered_within(
    arrivals: float, handle: float, agents: int, patience: float, threshold: float
) -> float:
    """Erlang A's service-level curve: P(answered within ``threshold``) over all arrivals."""
    return erlang_a(arrivals, handle, agents, patience, threshold).service_level


# --------------------------------------------------------------------------------------------------
# Erlang B


def test_erlang_b_matches_hand_values() -> None:
    assert erlang_b(1, 1.0) == 0.5
    assert erlang_b(2, 1.0) == 0.2


def test_erlang_b_edge_cases() -> None:
    assert erlang_b(0, 3.0) == 1.0
    assert erlang_b(5, 0.0) == 0.0


@pytest.mark.parametrize(("agents", "load"), [(3, 2.5), (14, 10.0), (50, 45.0), (120, 100.0)])
def test_erlang_b_matches_truncated_poisson_ratio(agents: int, load: float) -> None:
    expected = poisson.pmf(agents, load) / poisson.cdf(agents, load)
    assert erlang_b(agents, load) == pytest.approx(expected, rel=1e-10)


def test_erlang_b_is_stable_for_large_systems() -> None:
    blocking = erlang_b(5000, 5000.0)
    assert 0.0 < blocking < 0.02


# --------------------------------------------------------------------------------------------------
# Erlang C


# pyworkforce passes asa=0.33 min (19.8 s) as its threshold; the intended 20 s rounds the same.
@pytest.mark.parametrize("threshold", [0.33 * 60, 20.0])
@pytest.mark.parametrize(
    ("agents", "service_level", "occupancy", "p_wait"),
    [(14, 0.888, 0.714, 0.174), (15, 0.941, 0.667, 0.102)],
)
def test_erlang_c_matches_pyworkforce(
    threshold: float, agents: int, service_level: float, occupancy: float, p_wait: float
) -> None:
    result = erlang_c(PYWF_ARRIVALS, PYWF_AHT, agents, threshold)
    assert result is not None
    printed = 5e-4  # pyworkforce asserts round(x, 3)
    assert result.load_erlangs == pytest.approx(10.0)
    assert result.service_level == pytest.approx(service_level, abs=printed)
    assert result.occupancy == pytest.approx(occupancy, abs=printed)
    assert result.p_wait == pytest.approx(p_wait, abs=printed)


def test_erlang_c_matches_domain_cross_check() -> None:
    # Domain reference §2.3, last row: SL 0.8884, P(wait) 0.1741, ASA 0.1306 min.
    result = erlang_c(PYWF_ARRIVALS, PYWF_AHT, 14, 20.0)
    assert result is not None
    assert result.service_level == pytest.approx(0.8884, abs=5e-5)
    assert result.p_wait == pytest.approx(0.1741, abs=5e-5)
    assert result.asa_seconds / 60 == pytest.approx(0.1306, abs=5e-5)


@pytest.mark.parametrize("agents", [0, 9, 10])
def test_erlang_c_has_no_steady_state_at_or_above_full_load(agents: int) -> None:
    assert erlang_c(PYWF_ARRIVALS, PYWF_AHT, agents, 20.0) is None


def test_erlang_c_service_level_at_zero_and_infinite_threshold() -> None:
    at_zero = erlang_c(PYWF_ARRIVALS, PYWF_AHT, 14, 0.0)
    at_infinity = erlang_c(PYWF_ARRIVALS, PYWF_AHT, 14, math.inf)
    assert at_zero is not None and at_infinity is not None
    assert at_zero.service_level == pytest.approx(1.0 - at_zero.p_wait, rel=1e-15)
    assert at_infinity.service_level == 1.0


# --------------------------------------------------------------------------------------------------
# Erlang A: pyworkforce's regression fixture


def test_erlang_a_matches_pyworkforce() -> None:
    result = erlang_a(PYWF_ARRIVALS, PYWF_AHT, 14, PYWF_PATIENCE, 20.0)
    # pyworkforce asserts round(p_wait, 5) and round(x, 6) for the rest: half a unit in the last
    # printed place is the tolerance.
    assert result.p_wait == pytest.approx(0.14526, abs=5e-6)
    assert result.abandonment == pytest.approx(0.013984, abs=5e-7)
    assert result.occupancy == pytest.approx(0.704297, abs=5e-7)
    assert result.asa_seconds / 60 == pytest.approx(0.069919, abs=5e-7)
    assert result.service_level == pytest.approx(0.916792, abs=5e-7)
    assert result.load_erlangs == pytest.approx(10.0)


@pytest.mark.parametrize("agents", [15, 20, 25])
def test_erlang_a_tends_to_erlang_c_as_patience_grows(agents: int) -> None:
    patient = erlang_a(PYWF_ARRIVALS, PYWF_AHT, agents, 1e6 * PYWF_AHT, 20.0)
    no_abandonment = erlang_c(PYWF_ARRIVALS, PYWF_AHT, agents, 20.0)
    assert no_abandonment is not None
    assert patient.p_wait == pytest.approx(no_abandonment.p_wait, abs=1e-4)
    assert patient.occupancy == pytest.approx(no_abandonment.occupancy, abs=1e-4)
    assert patient.service_level == pytest.approx(no_abandonment.service_level, abs=1e-3)
    assert patient.asa_seconds == pytest.approx(no_abandonment.asa_seconds, rel=1e-4)
    # With (almost) nobody abandoning, answered contacts are all contacts.
    assert patient.mean_wait_answered_seconds == pytest.approx(no_abandonment.asa_seconds, rel=1e-4)


# --------------------------------------------------------------------------------------------------
# Erlang A: identities between the time averages and the tagged customer

CHAIN_CASES = [
    pytest.param(PYWF_ARRIVALS, PYWF_AHT, 14, PYWF_PATIENCE, id="pyworkforce"),
    pytest.param(DEFAULT_ARRIVALS, DEFAULT_AHT, 8, DEFAULT_PATIENCE, id="default-average-hour"),
    pytest.param(0.35, 240.0, 90, 180.0, id="issue-workload"),
    pytest.param(0.1, 240.0, 10, 60.0, id="overloaded"),
]


@pytest.mark.parametrize(("arrivals", "handle", "agents", "patience"), CHAIN_CASES)
def test_erlang_a_satisfies_littles_law(
    arrivals: float, handle: float, agents: int, patience: float
) -> None:
    result = erlang_a(arrivals, handle, agents, patience, 20.0)
    p, mu, theta = reference_chain(arrivals, handle, agents, patience)
    ahead = np.arange(p.size - agents)
    delayed = p[agents:]
    # Time average of the queue (stationary distribution) ...
    assert result.mean_queue_length == pytest.approx(float(ahead @ delayed), rel=1e-9)
    # ... equals λ × the customer average of time in queue: a waiter with j ahead spends
    # E[min(offered wait, patience)] = (j+1)/(cμ + (j+1)θ) in queue (tagged customer, PASTA).
    per_customer = float(delayed @ ((ahead + 1) / (agents * mu + (ahead + 1) * theta)))
    assert result.asa_seconds == pytest.approx(per_customer, rel=1e-9)
    assert result.mean_queue_length == pytest.approx(arrivals * result.asa_seconds, rel=1e-12)
    # Busy agents: time average of min(N, c) = λ·(1 − P(ab))·AHT.
    busy = float(np.minimum(np.arange(p.size), agents) @ p)
    assert result.occupancy * agents == pytest.approx(busy, rel=1e-9)
    answered_load = arrivals * (1.0 - result.abandonment) * handle
    assert result.occupancy * agents == pytest.approx(answered_load, rel=1e-9)
    assert result.p_wait == pytest.approx(float(delayed.sum()), rel=1e-9)


@pytest.mark.parametrize(("arrivals", "handle", "agents", "patience"), CHAIN_CASES)
def test_abandonment_is_theta_times_mean_wait(
    arrivals: float, handle: float, agents: int, patience: float
) -> None:
    result = erlang_a(arrivals, handle, agents, patience, 20.0)
    assert result.abandonment == pytest.approx(result.asa_seconds / patience, rel=1e-12)
    # The tagged customer's chance of being answered at all agrees with the stationary θ·E[Lq]/λ.
    answered = answered_within(arrivals, handle, agents, patience, math.inf)
    assert answered == pytest.approx(1.0 - result.abandonment, rel=1e-12)


@pytest.mark.parametrize(("arrivals", "handle", "agents", "patience"), CHAIN_CASES)
@pytest.mark.parametrize("threshold", [5.0, 20.0, 60.0])
def test_erlang_a_service_level_matches_matrix_exponential(
    arrivals: float, handle: float, agents: int, patience: float, threshold: float
) -> None:
    result = erlang_a(arrivals, handle, agents, patience, threshold)
    oracle = expm_service_level(arrivals, handle, agents, patience, threshold)
    assert result.service_level == pytest.approx(oracle, abs=1e-10)


@pytest.mark.parametrize(("arrivals", "handle", "agents", "patience"), CHAIN_CASES)
def test_erlang_a_service_level_at_zero_is_answered_without_waiting(
    arrivals: float, handle: float, agents: int, patience: float
) -> None:
    result = erlang_a(arrivals, handle, agents, patience, 0.0)
    assert result.service_level == pytest.approx(1.0 - result.p_wait, rel=1e-12)


@pytest.mark.parametrize(("arrivals", "handle", "agents", "patience"), CHAIN_CASES)
def test_mean_wait_answered_integrates_the_service_level_curve(
    arrivals: float, handle: float, agents: int, patience: float
) -> None:
    # E[W·1{answered}] = ∫ (P(answered) − P(answered within t)) dt: an independent check of the
    # closed form for the mean wait of answered contacts.
    answered = answered_within(arrivals, handle, agents, patience, math.inf)

    def not_yet_answered(t: float) -> float:
        return answered - answered_within(arrivals, handle, agents, patience, t)

    integral, _ = quad(not_yet_answered, 0.0, 20 * patience, limit=200)
    result = erlang_a(arrivals, handle, agents, patience, 20.0)
    assert result.mean_wait_answered_seconds * answered == pytest.approx(integral, rel=1e-6)


# --------------------------------------------------------------------------------------------------
# Monotonicity


def test_more_agents_never_lower_service_level_nor_raise_abandonment() -> None:
    results = [erlang_a(PYWF_ARRIVALS, PYWF_AHT, c, PYWF_PATIENCE, 20.0) for c in range(1, 30)]
    for fewer, more in itertools.pairwise(results):
        assert more.service_level >= fewer.service_level
        assert more.abandonment <= fewer.abandonment
        assert more.p_wait <= fewer.p_wait
    c_levels = [erlang_c(PYWF_ARRIVALS, PYWF_AHT, c, 20.0) for c in range(11, 30)]
    levels = [result.service_level for result in c_levels if result is not None]
    assert levels == sorted(levels)


def test_more_patience_means_less_abandonment() -> None:
    abandonment = [
        erlang_a(PYWF_ARRIVALS, PYWF_AHT, 12, patience, 20.0).abandonment
        for patience in (30.0, 60.0, 300.0, 1200.0)
    ]
    assert abandonment == sorted(abandonment, reverse=True)


@settings(max_examples=60, deadline=None)
@given(
    arrivals_per_minute=st.floats(0.1, 60.0),
    handle=st.floats(10.0, 900.0),
    patience=st.floats(5.0, 3600.0),
    agents=st.integers(1, 60),
    threshold=st.floats(0.0, 120.0),
)
def test_erlang_a_metrics_are_consistent_for_any_queue(
    arrivals_per_minute: float, handle: float, patience: float, agents: int, threshold: float
) -> None:
    arrivals = arrivals_per_minute / 60
    result = erlang_a(arrivals, handle, agents, patience, threshold)
    more = erlang_a(arrivals, handle, agents + 1, patience, threshold)
    later = answered_within(arrivals, handle, agents, patience, threshold + 10.0)
    assert 0.0 <= result.service_level <= 1.0 - result.abandonment + 1e-12
    assert 1.0 - result.p_wait <= result.service_level + 1e-12
    assert 0.0 <= result.occupancy <= 1.0 + 1e-12
    assert later >= result.service_level - 1e-12
    assert more.service_level >= result.service_level - 1e-12
    assert more.abandonment <= result.abandonment + 1e-12


# --------------------------------------------------------------------------------------------------
# Domain reference §2.1 / §2.2: exact values and many-server asymptotics


@pytest.mark.parametrize(
    ("theta_over_mu", "load", "agents", "exact", "asymptotic"),
    [
        (1.0, 100, 105, 0.3216, 0.3085),
        (1.0, 400, 410, 0.3151, 0.3085),
        (0.5, 400, 420, 0.1852, 0.1790),
        (2.0, 400, 390, 0.5875, 0.5788),
    ],
)
def test_erlang_a_p_wait_matches_table_and_garnett(
    theta_over_mu: float, load: float, agents: int, exact: float, asymptotic: float
) -> None:
    result = erlang_a(load / PYWF_AHT, PYWF_AHT, agents, PYWF_AHT / theta_over_mu, 20.0)
    assert result.p_wait == pytest.approx(exact, abs=5e-5)
    beta = (agents - load) / math.sqrt(load)
    assert square_root_staffing(load, beta) == agents
    approximation = garnett_p_wait(beta, theta_over_mu)
    assert approximation == pytest.approx(asymptotic, abs=5e-5)
    assert approximation == pytest.approx(result.p_wait, abs=0.015)


def test_erlang_c_p_wait_matches_table_and_halfin_whitt() -> None:
    result = erlang_c(400 / PYWF_AHT, PYWF_AHT, 410, 20.0)
    assert result is not None
    assert result.p_wait == pytest.approx(0.5102, abs=5e-5)
    assert halfin_whitt_p_wait(0.5) == pytest.approx(0.5045, abs=5e-5)
    assert halfin_whitt_p_wait(0.5) == pytest.approx(result.p_wait, abs=0.015)


def test_garnett_tends_to_halfin_whitt_as_patience_grows() -> None:
    assert garnett_p_wait(0.5, 1e-8) == pytest.approx(halfin_whitt_p_wait(0.5), abs=1e-3)
    assert halfin_whitt_p_wait(0.0) == 1.0
    assert halfin_whitt_p_wait(50.0) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(
    ("beta", "agents", "p_wait"), [(0.5, 12, 0.449), (1.0, 14, 0.174), (1.5, 15, 0.102)]
)
def test_square_root_staffing_on_pyworkforce_scenario(
    beta: float, agents: int, p_wait: float
) -> None:
    assert square_root_staffing(10.0, beta) == agents
    result = erlang_c(PYWF_ARRIVALS, PYWF_AHT, agents, 20.0)
    assert result is not None
    assert result.p_wait == pytest.approx(p_wait, abs=5e-4)


def test_square_root_staffing_never_goes_negative() -> None:
    assert square_root_staffing(1.0, -3.0) == 0
    assert square_root_staffing(0.0, 1.0) == 0


# --------------------------------------------------------------------------------------------------
# Domain reference §6: worked check of the default scenario


def test_default_average_hour_matches_worked_check() -> None:
    no_abandonment = erlang_c(DEFAULT_ARRIVALS, DEFAULT_AHT, 9, 20.0)
    assert no_abandonment is not None
    assert no_abandonment.load_erlangs == pytest.approx(5.6, abs=0.05)
    assert no_abandonment.service_level == pytest.approx(0.876, abs=ROUNDED_SOURCE_TOLERANCE)
    assert required_agents(DEFAULT_ARRIVALS, DEFAULT_AHT, 0.8, 20.0) == 9
    nine = erlang_a(DEFAULT_ARRIVALS, DEFAULT_AHT, 9, DEFAULT_PATIENCE, 20.0)
    eight = erlang_a(DEFAULT_ARRIVALS, DEFAULT_AHT, 8, DEFAULT_PATIENCE, 20.0)
    assert nine.abandonment == pytest.approx(0.029, abs=ROUNDED_SOURCE_TOLERANCE)
    assert eight.abandonment == pytest.approx(0.056, abs=ROUNDED_SOURCE_TOLERANCE)
    assert nine.asa_seconds == pytest.approx(5.0, abs=0.5)  # "ASA 5 s"


@pytest.mark.parametrize(
    ("agents", "service_level", "abandonment"), [(12, 0.84, 0.032), (11, 0.72, 0.054)]
)
def test_default_peak_hour_matches_worked_check(
    agents: int, service_level: float, abandonment: float
) -> None:
    peak_arrivals = 78 / 3600  # A = 8.5 Erl
    no_abandonment = erlang_c(peak_arrivals, DEFAULT_AHT, agents, 20.0)
    assert no_abandonment is not None
    assert no_abandonment.service_level == pytest.approx(
        service_level, abs=ROUNDED_SOURCE_TOLERANCE
    )
    result = erlang_a(peak_arrivals, DEFAULT_AHT, agents, DEFAULT_PATIENCE, 20.0)
    assert result.abandonment == pytest.approx(abandonment, abs=ROUNDED_SOURCE_TOLERANCE)


# --------------------------------------------------------------------------------------------------
# Scale and speed


def test_issue_workload_is_fast_and_finite() -> None:
    start = time.perf_counter()
    result = erlang_a(0.35, 240.0, 90, 180.0, 20.0)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0  # takes well under a millisecond; the bound only catches a blow-up
    assert result.load_erlangs == pytest.approx(84.0)
    fields = [getattr(result, name) for name in result.__slots__]
    assert all(math.isfinite(value) for value in fields)
    assert 0.0 < result.abandonment < result.p_wait < 1.0
    assert 0.0 < result.service_level < 1.0
    assert 0.0 < result.occupancy < 1.0


@pytest.mark.parametrize(("agents", "patience"), [(1, 180.0), (200, 180.0), (3000, 1e9)])
def test_erlang_a_handles_extreme_load_and_scale(agents: int, patience: float) -> None:
    result = erlang_a(10.0, 240.0, agents, patience, 20.0)  # A = 2400 Erl
    fields = [getattr(result, name) for name in result.__slots__]
    assert all(math.isfinite(value) for value in fields)
    assert 0.0 <= result.service_level <= 1.0
    assert 0.0 <= result.abandonment <= 1.0


def test_erlang_a_with_no_arrivals_is_idle() -> None:
    result = erlang_a(0.0, 240.0, 3, 180.0, 20.0)
    assert (result.p_wait, result.abandonment, result.occupancy) == (0.0, 0.0, 0.0)
    assert result.service_level == 1.0


# --------------------------------------------------------------------------------------------------
# Staffing


def test_required_agents_matches_pyworkforce_erlang_c() -> None:
    assert required_agents(PYWF_ARRIVALS, PYWF_AHT, 0.8, 0.33 * 60) == 14


@pytest.mark.parametrize(
    ("sl_target", "max_abandonment"), [(0.8, None), (0.95, None), (0.8, 0.01), (0.5, 0.002)]
)
def test_required_agents_is_the_smallest_erlang_a_staffing(
    sl_target: float, max_abandonment: float | None
) -> None:
    agents = required_agents(
        PYWF_ARRIVALS, PYWF_AHT, sl_target, 20.0, PYWF_PATIENCE, max_abandonment
    )
    cap = 1.0 if max_abandonment is None else max_abandonment

    def meets(c: int) -> bool:
        result = erlang_a(PYWF_ARRIVALS, PYWF_AHT, c, PYWF_PATIENCE, 20.0)
        return result.service_level >= sl_target and result.abandonment <= cap

    assert meets(agents)
    assert not meets(agents - 1)


def test_required_agents_for_the_issue_workload() -> None:
    agents = required_agents(0.35, 240.0, 0.8, 20.0, 180.0)
    assert erlang_a(0.35, 240.0, agents, 180.0, 20.0).service_level >= 0.8
    assert erlang_a(0.35, 240.0, agents - 1, 180.0, 20.0).service_level < 0.8
    # Abandonment lets Erlang A staff no higher than Erlang C (which ignores it).
    assert agents <= required_agents(0.35, 240.0, 0.8, 20.0)


def test_required_agents_with_no_arrivals_is_zero() -> None:
    assert required_agents(0.0, 240.0, 0.8, 20.0) == 0


def test_required_agents_needs_patience_for_an_abandonment_cap() -> None:
    with pytest.raises(ValueError, match=r"max_abandonment .* needs mean_patience_seconds"):
        required_agents(PYWF_ARRIVALS, PYWF_AHT, 0.8, 20.0, max_abandonment=0.05)


# --------------------------------------------------------------------------------------------------
# Invalid input


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: erlang_b(-1, 1.0), r"agents must be ≥ 0 \(got -1\)"),
        (lambda: erlang_b(2.5, 1.0), r"agents must be an integer \(got 2.5\)"),
        (lambda: erlang_b(True, 1.0), r"agents must be an integer \(got True\)"),
        (lambda: erlang_b(2, -1.0), r"load_erlangs must be ≥ 0 \(got -1.0\)"),
        (lambda: erlang_c(-0.1, 180.0, 14, 20.0), r"arrivals_per_second must be ≥ 0 \(got -0.1\)"),
        (lambda: erlang_c(0.1, 0.0, 14, 20.0), r"mean_handle_seconds must be > 0 \(got 0.0\)"),
        (lambda: erlang_c(0.1, 180.0, 14, -1.0), r"sl_threshold_seconds must be ≥ 0 \(got -1.0\)"),
        (lambda: erlang_c(0.1, 180.0, 14, math.nan), r"sl_threshold_seconds must be finite"),
        (lambda: erlang_c(math.inf, 180.0, 14, 20.0), r"arrivals_per_second must be finite"),
        (lambda: erlang_c("1", 180.0, 14, 20.0), r"arrivals_per_second must be a real number"),
        (lambda: erlang_a(0.1, 180.0, 0, 300.0, 20.0), r"agents must be ≥ 1 \(got 0\)"),
        (lambda: erlang_a(0.1, 180.0, 14, 0.0, 20.0), r"mean_patience_seconds must be > 0"),
        (lambda: erlang_a(0.1, 180.0, 14, math.inf, 20.0), r"mean_patience_seconds must be finite"),
        (
            lambda: erlang_a(0.1, 180.0, 14, 300.0, -5.0),
            r"sl_threshold_seconds must be ≥ 0 \(got -5.0\)",
        ),
        (
            lambda: required_agents(0.1, 180.0, 1.0, 20.0),
            r"sl_target must be in \[0, 1\) \(got 1.0\)",
        ),
        (
            lambda: required_agents(0.1, 180.0, 0.8, 20.0, 300.0, 0.0),
            r"max_abandonment must be in \(0, 1\] \(got 0.0\)",
        ),
    ],
)
def test_invalid_inputs_name_the_argument_rule_and_value(
    call: Callable[[], object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("module", [simroi.queueing.erlang, simroi.queueing.staffing, asymptotics])
def test_docstring_examples_hold(module: object) -> None:
    failures, attempted = doctest.testmod(module, raise_on_error=False)  # type: ignore[arg-type]
    assert attempted > 0
    assert failures == 0
