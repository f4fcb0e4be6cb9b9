"""Staffing from the queueing formulas: how many agents a target needs.

Square-root staffing (Halfin & Whitt 1981; Garnett, Mandelbaum & Reiman 2002 with abandonment) as
the quick rule, and :func:`required_agents`: the smallest agent count whose Erlang A service level
(and, optionally, abandonment) meets a target — what ``simroi queue --target-sl`` prints.
"""

from __future__ import annotations

import math

from scipy.special import expit, log_ndtr
from scipy.stats import norm

from simroi.queueing.erlang import _MAX_AGENTS, _check_fraction, _check_number, erlang_a, erlang_c

__all__ = [
    "garnett_p_wait",
    "halfin_whitt_p_wait",
    "required_agents",
    "square_root_staffing",
]


def square_root_staffing(load_erlangs: float, beta: float) -> int:
    """Agents given by the square-root (QED) rule, ``c = ⌈A + β·√A⌉`` (at least 0).

    Parameters
    ----------
    load_erlangs : float
        Offered load A ≥ 0, in Erlangs.
    beta : float
        Quality-of-service parameter β; negative values (efficiency-driven staffing) are only
        sensible with abandonment (Erlang A).

    Returns
    -------
    int
        The number of agents.

    Examples
    --------
    >>> [square_root_staffing(10.0, beta) for beta in (0.5, 1.0, 1.5)]
    [12, 14, 15]
    """
    load = _check_number("load_erlangs", load_erlangs, sign="nonnegative")
    beta = _check_number("beta", beta)
    # Rounding to 9 places first stops float noise (e.g. 105.00000000000001) adding an agent.
    return max(0, math.ceil(round(load + beta * math.sqrt(load), 9)))


def halfin_whitt_p_wait(beta: float) -> float:
    """Halfin–Whitt approximation of Erlang C's P(wait) at ``c = A + β√A``.

    ``P(wait) ≈ [1 + β·Φ(β)/φ(β)]⁻¹``, accurate to about 0.01 once A ≥ 100.

    Parameters
    ----------
    beta : float
        Staffing parameter β ≥ 0 (Erlang C has no steady state below the load).

    Returns
    -------
    float
        The approximate probability of waiting.
    """
    beta = _check_number("beta", beta, sign="nonnegative")
    if beta == 0.0:
        return 1.0
    # [1 + e^x]⁻¹ = expit(−x), evaluated in logs so a large β cannot overflow.
    log_term = math.log(beta) + float(log_ndtr(beta)) - float(norm.logpdf(beta))
    return float(expit(-log_term))


def garnett_p_wait(beta: float, theta_over_mu: float) -> float:
    """Garnett–Mandelbaum–Reiman approximation of Erlang A's P(wait) at ``c = A + β√A``.

    ``P(wait) ≈ [1 + √(θ/μ)·h(β·√(μ/θ)) / h(−β)]⁻¹`` with ``h = φ/(1 − Φ)`` the standard normal
    hazard rate.

    Parameters
    ----------
    beta : float
        Staffing parameter β; any real value, since abandonment keeps the queue stable.
    theta_over_mu : float
        Abandonment rate over service rate, θ/μ = AHT / mean patience > 0.

    Returns
    -------
    float
        The approximate probability of waiting.
    """
    beta = _check_number("beta", beta)
    ratio = _check_number("theta_over_mu", theta_over_mu, sign="positive")

    def log_hazard(x: float) -> float:
        return float(norm.logpdf(x)) - float(log_ndtr(-x))

    log_term = 0.5 * math.log(ratio) + log_hazard(beta / math.sqrt(ratio)) - log_hazard(-beta)
    return float(expit(-log_term))


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
    arrival_rate = _check_number("arrivals_per_second", arrivals_per_second, sign="nonnegative")
    handle = _check_number("mean_handle_seconds", mean_handle_seconds, sign="positive")
    target = _check_fraction("sl_target", sl_target, low_open=False, high_open=True)
    threshold = _check_number(
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
        patience = _check_number("mean_patience_seconds", mean_patience_seconds, sign="positive")
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
