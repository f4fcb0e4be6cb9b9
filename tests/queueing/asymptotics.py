"""Many-server asymptotics of Erlang C and Erlang A: oracles for the exact formulas' tests.

The square-root (quality-and-efficiency-driven) staffing rule ``c = A + β√A`` and the
approximations of P(wait) it leads to as the load grows (Halfin & Whitt 1981 for Erlang C;
Garnett, Mandelbaum & Reiman 2002 for Erlang A; Borst, Mandelbaum & Reiman 2004). simroi itself
staffs by the exact formulas (:func:`simroi.queueing.staffing.required_agents`); the tests use
these closed forms as an independent check that the exact values approach the known limits.
"""

from __future__ import annotations

import math

from scipy.special import expit, log_ndtr
from scipy.stats import norm


def square_root_staffing(load_erlangs: float, beta: float) -> int:
    """Agents given by the square-root (QED) rule, ``c = ⌈A + β·√A⌉`` (at least 0).

    ``beta`` is the quality-of-service parameter β; negative values (efficiency-driven staffing)
    are only sensible with abandonment (Erlang A).

    >>> [square_root_staffing(10.0, beta) for beta in (0.5, 1.0, 1.5)]
    [12, 14, 15]
    """
    # Rounding to 9 places first stops float noise (e.g. 105.00000000000001) adding an agent.
    return max(0, math.ceil(round(load_erlangs + beta * math.sqrt(load_erlangs), 9)))


def halfin_whitt_p_wait(beta: float) -> float:
    """Halfin–Whitt approximation of Erlang C's P(wait) at ``c = A + β√A``, for β ≥ 0.

    ``P(wait) ≈ [1 + β·Φ(β)/φ(β)]⁻¹``, accurate to about 0.01 once A ≥ 100.
    """
    if beta == 0.0:
        return 1.0
    # [1 + e^x]⁻¹ = expit(−x), evaluated in logs so a large β cannot overflow.
    log_term = math.log(beta) + float(log_ndtr(beta)) - float(norm.logpdf(beta))
    return float(expit(-log_term))


def garnett_p_wait(beta: float, theta_over_mu: float) -> float:
    """Garnett–Mandelbaum–Reiman approximation of Erlang A's P(wait) at ``c = A + β√A``.

    ``P(wait) ≈ [1 + √(θ/μ)·h(β·√(μ/θ)) / h(−β)]⁻¹`` with ``h = φ/(1 − Φ)`` the standard normal
    hazard rate; β may be any real number (abandonment keeps the queue stable) and
    θ/μ = AHT / mean patience > 0.
    """

    def log_hazard(x: float) -> float:
        return float(norm.logpdf(x)) - float(log_ndtr(-x))

    log_term = (
        0.5 * math.log(theta_over_mu)
        + log_hazard(beta / math.sqrt(theta_over_mu))
        - log_hazard(-beta)
    )
    return float(expit(-log_term))
