"""Staffing from the queueing formulas: how many agents a target needs.

:func:`required_agents` is the smallest agent count whose Erlang A service level (and,
optionally, abandonment) meets a target — by Erlang C for infinitely patient customers — and is
what ``simroi queue --target-sl`` prints.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
from scipy.special import gammainc, gammaincc, gammaln, hyp1f1

from simroi.queueing.erlang import check_number, erlang_a, erlang_c

__all__ = [
    "erlang_a_service_levels",
    "erlang_a_thresholds",
    "erlang_c_required_agents",
    "required_agents",
]

# Search ceiling for `required_agents`; any reachable target is met far below this.
_MAX_AGENTS: Final = 10_000_000


def _check_fraction(name: str, value: float, *, low_open: bool, high_open: bool) -> float:
    number = check_number(name, value, sign="nonnegative")
    too_low = number <= 0 if low_open else number < 0
    too_high = number >= 1 if high_open else number > 1
    if too_low or too_high:
        interval = f"{'(' if low_open else '['}0, 1{')' if high_open else ']'}"
        raise ValueError(f"{name} must be in {interval} (got {value!r})")
    return number


def required_agents(
    arrivals_per_second: float,
    mean_handle_seconds: float,
    sl_target: float,
    sl_threshold_seconds: float,
    mean_patience_seconds: float | None = None,
    max_abandonment: float | None = None,
) -> int:
    """Smallest number of agents meeting a service-level (and abandonment) target.

    Without ``mean_patience_seconds`` the queue is Erlang C and only stable staffing (c > A) is
    considered; with it the queue is Erlang A. The service level and abandonment improve
    monotonically with ``c``, so the answer is found by a doubling search and bisection.

    Parameters
    ----------
    arrivals_per_second : float
        Poisson arrival rate λ ≥ 0, per second.
    mean_handle_seconds : float
        Mean handle time AHT > 0, in seconds.
    sl_target : float
        Required fraction of all arrivals answered within the threshold, in [0, 1).
    sl_threshold_seconds : float
        Answer-time threshold T ≥ 0, in seconds.
    mean_patience_seconds : float, optional
        Mean exponential patience, in seconds; ``None`` means infinitely patient (Erlang C).
    max_abandonment : float, optional
        Highest acceptable abandonment fraction, in (0, 1]; needs ``mean_patience_seconds``.

    Returns
    -------
    int
        The number of agents (0 only when there are no arrivals).

    Examples
    --------
    >>> required_agents(100 / 1800, 180.0, 0.8, 20.0)
    14
    """
    arrival_rate = check_number("arrivals_per_second", arrivals_per_second, sign="nonnegative")
    handle = check_number("mean_handle_seconds", mean_handle_seconds, sign="positive")
    target = _check_fraction("sl_target", sl_target, low_open=False, high_open=True)
    threshold = check_number(
        "sl_threshold_seconds", sl_threshold_seconds, sign="nonnegative", allow_inf=True
    )
    if max_abandonment is not None:
        if mean_patience_seconds is None:
            raise ValueError(
                f"max_abandonment ({max_abandonment!r}) needs mean_patience_seconds: "
                "customers who never abandon cannot breach an abandonment target"
            )
        cap = _check_fraction("max_abandonment", max_abandonment, low_open=True, high_open=False)
    if arrival_rate == 0.0:
        return 0

    if mean_patience_seconds is None:
        first = math.floor(arrival_rate * handle) + 1

        def meets(c: int) -> bool:
            result = erlang_c(arrival_rate, handle, c, threshold)
            return result is not None and result.service_level >= target

    else:
        patience = check_number("mean_patience_seconds", mean_patience_seconds, sign="positive")
        first = 1

        def meets(c: int) -> bool:
            result = erlang_a(arrival_rate, handle, c, patience, threshold)
            return result.service_level >= target and (
                max_abandonment is None or result.abandonment <= cap
            )

    if meets(first):
        return first
    # Invariant: meets(low) is False and meets(high) is True.
    low, step = first, 1
    while not meets(low + step):
        low += step
        step *= 2
        if low > _MAX_AGENTS:
            raise ValueError(
                f"no staffing up to {_MAX_AGENTS} agents meets sl_target={sl_target!r}"
                + ("" if max_abandonment is None else f" and max_abandonment={max_abandonment!r}")
            )
    high = low + step
    while high - low > 1:
        middle = (low + high) // 2
        if meets(middle):
            high = middle
        else:
            low = middle
    return high


def erlang_a_service_levels(
    arrivals_per_second: np.ndarray,
    mean_handle_seconds: np.ndarray,
    agents: np.ndarray,
    mean_patience_seconds: np.ndarray,
    sl_threshold_seconds: float,
) -> np.ndarray:
    """Erlang A service levels of many queues at once, in closed form.

    The same quantity as ``erlang_a(...).service_level`` — P(answered within T) over all
    arrivals of an M/M/c+M queue — for arrays of queues (all arguments broadcast). Summing the
    tagged-customer terms of :func:`~simroi.queueing.erlang.erlang_a` over the customers ahead
    (with x = cμ/θ, y = λ/θ, z = e^{−θT}, the j-th term is ``x ∫_z^1 u^x (y(1−u))^j / j! du``)
    gives incomplete gamma functions:

        SL = (1 + r·x·G) / (1 + r·S),   S = Γ(x+1) e^y y^{−x} P(x, y),
        G = Γ(x+1) e^y y^{−x−1} [P(x+1, y) − P(x+1, yz)],

    where r = B/(1 − B) is the ratio of the stationary mass at ``c`` to that below it (B: Erlang
    B of c agents at load A = λ/μ; the head of the chain is a truncated Poisson shape, so
    r = P(N = c)/P(N < c) for N ~ Poisson(A)) and P the regularised lower incomplete gamma
    function. The
    tests hold it to :func:`~simroi.queueing.erlang.erlang_a` across loads, patience and
    thresholds.

    Parameters
    ----------
    arrivals_per_second : ndarray
        Poisson arrival rates λ ≥ 0, per second.
    mean_handle_seconds : ndarray
        Mean handle times > 0, in seconds.
    agents : ndarray of int
        Agents c ≥ 1.
    mean_patience_seconds : ndarray
        Mean exponential patience > 0, in seconds.
    sl_threshold_seconds : float
        Answer-time threshold T ≥ 0, in seconds.

    Returns
    -------
    ndarray
        Service levels in [0, 1] (1 where there are no arrivals). Where hardly anyone waits the
        incomplete gamma functions lose precision and the waiting contacts may be misjudged:
        an error of at most P(wait) where they underflow (P(wait) < 1e-5), of 1 % of P(wait) up
        to P(wait) = 1e-4; elsewhere within 1e-9 of the oracle (all three tested).
    """
    lam, handle, c, patience = np.broadcast_arrays(
        np.asarray(arrivals_per_second, dtype=np.float64),
        np.asarray(mean_handle_seconds, dtype=np.float64),
        np.asarray(agents, dtype=np.int64),
        np.asarray(mean_patience_seconds, dtype=np.float64),
    )
    load = lam * handle
    x = c * patience / handle
    none = lam <= 0
    y = np.where(none, 1.0, lam * patience)
    yz = y * np.exp(-sl_threshold_seconds / patience)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        p_tail = gammainc(x, y)
        log_p_tail = np.log(p_tail)
        # P(x+1, y) − P(x+1, yz), from whichever side loses no precision.
        upper = yz > x + 1.0
        window = np.where(
            upper,
            gammaincc(x + 1.0, yz) - gammaincc(x + 1.0, y),
            gammainc(x + 1.0, y) - gammainc(x + 1.0, yz),
        )
        ratio = x / y * window / p_tail
        # Far in the left tail (y ≪ x, hardly anyone waits) P falls to subnormal numbers, which
        # keep few digits, or to 0: the window's share of it went 10 % of P(wait) astray. There,
        # from logs: P(a, v) = v^a e^{−v} M(1, a+1, v) / Γ(a+1), M Kummer's series.
        deep = np.flatnonzero((p_tail < _SUBNORMAL_MARGIN) & ~upper & ~none)
        if deep.size:
            a, v, vz = x.ravel()[deep], y.ravel()[deep], yz.ravel()[deep]
            head, lower, inner = _log_p(a, v), _log_p(a + 1.0, v), _log_p(a + 1.0, vz)
            share = a / v * np.exp(lower - head) * -np.expm1(inner - lower)
            kept = np.isfinite(head) & np.isfinite(share)  # else as before
            log_p_tail.ravel()[deep[kept]] = head[kept]
            ratio.ravel()[deep[kept]] = share[kept]
        # r·S in logs: Γ(x+1) e^y y^{−x} overflows in heavy overload, where SL → the ratio.
        # r = P(N = c) / P(N < c) for N ~ Poisson(A): the head of the chain is a truncated
        # Poisson shape, so r = B/(1 − B) without the Erlang B recursion.
        log_rs = (
            c * np.log(load)
            - load
            - gammaln(c + 1.0)
            - np.log(gammaincc(c, load))
            + gammaln(x + 1.0)
            + y
            - x * np.log(y)
            + log_p_tail
        )
        inverse = np.exp(-log_rs)
        level = (inverse + ratio) / (inverse + 1.0)
    # No waiting mass to speak of (r·S underflows): everyone is answered at once. A waiting
    # mass too large to hold (r·S overflows): the service level is the ratio alone.
    level = np.where(inverse == np.inf, 1.0, np.where(inverse == 0.0, ratio, level))
    return np.where(none, 1.0, np.clip(level, 0.0, 1.0))


#: Below this a regularised incomplete gamma is read from logs (:func:`erlang_a_service_levels`):
#: far above the smallest normal double (2.2e-308), so that its digits are whole.
_SUBNORMAL_MARGIN = 1e-250


def _log_p(a: np.ndarray, v: np.ndarray) -> np.ndarray:
    """log P(a, v), the regularised lower incomplete gamma, for v well below a (its series)."""
    with np.errstate(divide="ignore"):  # v = 0 (a threshold without end): log 0 = −inf
        return a * np.log(v) - v - gammaln(a + 1.0) + np.log(hyp1f1(1.0, a + 1.0, v))


def erlang_a_thresholds(
    mean_handle_seconds: np.ndarray,
    mean_patience_seconds: np.ndarray,
    agents: np.ndarray,
    sl_target: float,
    sl_threshold_seconds: float,
) -> np.ndarray:
    """Highest arrival rate each agent count can take and still meet a service level.

    For queue *i* (handle time and patience ``(n,)``) and agent count ``agents[j]``, the rate
    λ* with Erlang A service level ≥ ``sl_target`` for every λ ≤ λ* (the service level falls as
    λ grows). So the agents a rate λ requires are ``1 + #{j : λ*[i, j] < λ}`` for
    ``agents = 1, 2, …`` — :func:`required_agents` for many rates at once. Found to a relative
    1e-12 by regula falsi (Illinois) in the bracket ``(0, c / (target · AHT))`` (the answered
    fraction is at most c/A, so the service level is below the target beyond it).

    Returns
    -------
    ndarray, shape (n, agents)
        λ* per second.
    """
    shape = (np.size(mean_handle_seconds), np.size(agents))
    handle, patience, c = (
        np.broadcast_to(np.asarray(a, dtype=dtype).reshape(view), shape).ravel()
        for a, dtype, view in (
            (mean_handle_seconds, np.float64, (-1, 1)),
            (mean_patience_seconds, np.float64, (-1, 1)),
            (agents, np.int64, (1, -1)),
        )
    )
    # Regula falsi (Illinois) on f(λ) = SL(λ) − target, bracketed by f(low) ≥ 0 > f(high).
    low = np.zeros(handle.size)
    high = c / (sl_target * handle)
    f_low = np.full(handle.size, 1.0 - sl_target)
    f_high = erlang_a_service_levels(high, handle, c, patience, sl_threshold_seconds) - sl_target
    side = np.zeros(handle.size, dtype=np.int8)  # which end moved last (Illinois halving)
    todo = np.flatnonzero(f_high < 0)  # an exact zero at the bracket end is the answer
    low[f_high >= 0] = high[f_high >= 0]
    for _ in range(200):
        if todo.size == 0:
            break
        lo, hi, flo, fhi = low[todo], high[todo], f_low[todo], f_high[todo]
        guess = (lo * fhi - hi * flo) / (fhi - flo)
        guess = np.where((guess > lo) & (guess < hi), guess, 0.5 * (lo + hi))
        f = erlang_a_service_levels(
            guess, handle[todo], c[todo], patience[todo], sl_threshold_seconds
        )
        f -= sl_target
        up = f >= 0
        low[todo] = np.where(up, guess, lo)
        high[todo] = np.where(up, hi, guess)
        f_low[todo] = np.where(up, f, np.where(side[todo] == -1, 0.5 * flo, flo))
        f_high[todo] = np.where(up, np.where(side[todo] == 1, 0.5 * fhi, fhi), f)
        side[todo] = np.where(up, 1, -1)
        todo = todo[high[todo] - low[todo] > 1e-12 * high[todo]]
    return low.reshape(shape)


def erlang_c_required_agents(
    arrivals_per_second: np.ndarray,
    mean_handle_seconds: np.ndarray,
    sl_target: float,
    sl_threshold_seconds: float,
) -> np.ndarray:
    """:func:`required_agents` without patience (Erlang C), for arrays of queues.

    The smallest c > A = λ·AHT with ``1 − C(c, A)·exp(−(c − A)·T/AHT) ≥ sl_target``; 0 where
    there are no arrivals. Searches upwards from ⌊A⌋ + 1, carrying Erlang B along.
    """
    lam, handle = np.broadcast_arrays(
        np.asarray(arrivals_per_second, dtype=np.float64),
        np.asarray(mean_handle_seconds, dtype=np.float64),
    )
    load = lam * handle
    c = np.floor(load).astype(np.int64) + 1
    blocking = np.ones(load.shape)
    for k in range(1, int(c.max(initial=1)) + 1):
        step = load * blocking / (k + load * blocking)
        blocking = np.where(k <= c, step, blocking)
    out = np.zeros(lam.shape, dtype=np.int64)
    todo = lam > 0
    while todo.any():
        p_wait = c * blocking / (c - load * (1.0 - blocking))
        level = 1.0 - p_wait * np.exp(-(c - load) * sl_threshold_seconds / handle)
        met = todo & (level >= sl_target)
        out = np.where(met, c, out)
        todo &= ~met
        c = c + 1
        blocking = load * blocking / (c + load * blocking)
        if (c > _MAX_AGENTS).any():
            raise ValueError(
                f"no staffing up to {_MAX_AGENTS} agents meets sl_target={sl_target!r}"
            )
    return out
