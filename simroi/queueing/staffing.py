"""Staffing from the queueing formulas: how many agents a target needs.

:func:`required_agents` is the smallest agent count whose Erlang A service level (and,
optionally, abandonment) meets a target — by Erlang C for infinitely patient customers — and is
what ``simroi queue --target-sl`` prints.
"""

from __future__ import annotations

import math
from typing import Final

from simroi.queueing.erlang import check_number, erlang_a, erlang_c

__all__ = ["required_agents"]

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
