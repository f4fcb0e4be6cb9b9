"""How sure a fitted intraday profile or set of weekday factors is: a Dirichlet concentration.

A scenario states the uncertainty of a channel's shares — of the day (``intraday_profile``) or of
the week (``weekday_factors``) — as a concentration ``c``: every trial draws the shares from
``Dirichlet(c × p)`` (:mod:`simroi.scenario.profile`), each share ``p_i`` then varying with
variance ``p_i(1 − p_i)/(c + 1)``, the shares of a trial summing to 1. A fit gives shares ``p̂``
with standard errors ``se_i``. One number cannot match every share's error, so the Dirichlet's
variances are matched to the squared standard errors *pooled* — summed over the shares, which
weighs each share by its own variance, so the large shares, which carry most of the volume,
count most::

    Σ p̂_i (1 − p̂_i) / (c + 1) = Σ se_i²      ⇒      c = (1 − Σ p̂_i²) / Σ se_i² − 1.

(``Σ p̂_i (1 − p̂_i) = 1 − Σ p̂_i²`` since the shares sum to 1.) A share's error is a sampling
error, so ``c`` grows with the data: a profile fitted to twice the days is twice as sure.

**Intraday profile** (:func:`profile_concentration`). ``p̂_i`` is the mean over ``n`` full days of
each day's share ``x_{d,i}`` of the interval, and ``se_i² = s_i²/n`` with ``s_i²`` the variance of
the shares between days. Days of Poisson arrivals on a fixed profile — the model's own days —
have ``var(x_{d,i}) = p_i(1 − p_i)/N_d`` given the day's total ``N_d``: exactly Dirichlet-shaped,
with ``c + 1 = n / mean(1/N_d)``, ``n`` times the harmonic mean of the days' totals (a profile
fitted to ``n`` days of ``N`` contacts is as sure as ``nN`` contacts spread over it by chance).
Interval: ``Σ s_i²`` taken as a scaled χ² with Welch–Satterthwaite degrees of freedom ``ν = (Σ
s_i²)² / Σ (s_i⁴/(n − 1))``, the shares treated as independent (their covariances, ``−p_i p_j /
N_d``, are small beside the variances when no interval holds a large share of the day); the
ends ``(1 − Σ p̂²)·χ²_ν(q)/(ν Σ se²) − 1`` at q = 0.05 and 0.95.

**Weekday factors** (:func:`weekday_concentration`). ``p̂_w = m̂_w / M`` with ``m̂_w`` the mean
total of weekday ``w``'s ``n_w`` usual days and ``M = Σ_v m̂_v``. The model's day — negative
binomial, variance ``m + cv²m²`` with the fitted ``busyness_cv`` — gives ``var m̂_w = (m_w +
cv² m_w²)/n_w``, and the delta method ``var p̂_w = [(1 − 2p_w) var m̂_w + p_w² Σ_v var m̂_v] /
M²``. The level of the week (``M``) is ``contacts_per_customer_per_year``'s uncertainty, not
this: a Dirichlet moves shares, never the total. Interval: ``c`` falls as ``cv`` rises, so the
ends of busyness's own interval give ``c``'s. Without a fitted busyness (one date per weekday)
the days are taken as Poisson (cv 0): the concentration is then an upper bound, which the note
says.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from simroi.data.fit import LIMITS, NO_INTERVAL, FittedInput, Unfitted
from simroi.data.frames import DataSource

__all__ = ["concentration", "profile_concentration", "weekday_concentration"]


def concentration(shares: np.ndarray, variances: np.ndarray) -> float:
    """``c = (1 − Σ p²) / Σ var − 1``: the Dirichlet concentration whose variances
    ``p(1 − p)/(c + 1)``, summed over the shares, are ``variances``' sum (shares (k,), summing
    to 1; variances (k,) of their estimates). NaN when the shares do not vary (one share is 1,
    or no variance) or vary more than any Dirichlet allows (``c ≤ 0``); at most the scenario's
    limit (``LIMITS["concentration"]``: shares that sure are as good as fixed)."""
    spread = 1.0 - float(np.sum(np.square(shares)))
    total = float(np.sum(variances))
    if not (spread > 0 and total > 0 and math.isfinite(total)):
        return math.nan
    c = spread / total - 1.0
    return min(c, LIMITS["concentration"][1]) if c > 0 else math.nan


def profile_concentration(
    day_shares: np.ndarray, *, minutes: int, source: DataSource, channel: str
) -> FittedInput | Unfitted:
    """``intraday_profile_concentration`` from the shares of each full day, (days, intervals).

    The profile is their mean; see the module docstring for the estimate and its interval.
    """
    key = "intraday_profile_concentration"
    n = day_shares.shape[0]
    if n < 2:
        reason = f"not fitted: {n} full day(s); the spread of the profile between days needs two"
        return Unfitted(key, reason, source, channel)
    profile = day_shares.mean(axis=0)
    var = day_shares.var(axis=0, ddof=1)
    c = concentration(profile, var / n)
    if not math.isfinite(c):
        reason = (
            "not fitted: the days' shares do not vary, or vary more than a Dirichlet allows "
            f"(sum of variances {float(var.sum()):.3g} over {n} days)"
        )
        return Unfitted(key, reason, source, channel)
    nu = float(var.sum()) ** 2 / float(np.sum(var**2) / (n - 1))
    low, high = ((c + 1.0) * stats.chi2.ppf(q, nu) / nu - 1.0 for q in (0.05, 0.95))
    return FittedInput(
        key=key,
        value=c,
        interval90=(max(low, 0.0), high),
        distribution=c,
        method=f"Dirichlet variances matched to the squared standard errors of the {minutes}-"
        "minute shares, pooled: (1 - sum p^2) / sum se^2 - 1; Satterthwaite chi-square interval",
        n=n,
        source=source,
        note=f"about as sure as {c:,.0f} contacts spread over the profile by chance",
        channel=channel,
    )


def _weekday_variances(means: np.ndarray, days: np.ndarray, cv: float) -> np.ndarray:
    """Variances of the week's shares (7,) from the weekday means and their day counts."""
    counts = np.maximum(days, 1)
    var_means = np.where(days > 0, (means + cv**2 * means**2) / counts, 0.0)
    total = float(means.sum())
    shares = means / total
    return ((1.0 - 2.0 * shares) * var_means + shares**2 * var_means.sum()) / total**2


def weekday_concentration(
    means: np.ndarray,
    days: np.ndarray,
    busyness: FittedInput | Unfitted,
    *,
    source: DataSource,
    channel: str,
) -> FittedInput | Unfitted:
    """``weekday_factors_concentration`` from each weekday's mean daily total and day count.

    ``means`` (7,) the mean total of each open weekday's usual days (0 for a closed one),
    ``days`` (7,) how many; ``busyness`` the fitted ``busyness_cv`` (its value and interval), or
    :class:`Unfitted` (Poisson days assumed). See the module docstring.
    """
    key = "weekday_factors_concentration"
    open_days = int(np.count_nonzero(means > 0))
    if open_days < 2:
        reason = f"not fitted: {open_days} open weekday(s); one weekday holds the whole week"
        return Unfitted(key, reason, source, channel)
    shares = means / means.sum()
    fitted = isinstance(busyness, FittedInput)
    cv = float(busyness.value) if isinstance(busyness, FittedInput) else 0.0
    c = concentration(shares, _weekday_variances(means, days, cv))
    if not math.isfinite(c):
        reason = "not fitted: the weekday means vary more than a Dirichlet allows"
        return Unfitted(key, reason, source, channel)
    interval = NO_INTERVAL
    note = f"about as sure as {c:,.0f} contacts spread over the week by chance"
    if isinstance(busyness, FittedInput):
        ends = [
            concentration(shares, _weekday_variances(means, days, cv_end))
            for cv_end in busyness.interval90
        ]
        interval = (ends[1], ends[0]) if all(map(math.isfinite, ends)) else NO_INTERVAL
    else:
        note += (
            "; busyness not fitted: Poisson days assumed, so this is an upper bound (the factors "
            "are less sure if days vary more)"
        )
    return FittedInput(
        key=key,
        value=c,
        interval90=interval,
        distribution=c,
        method="Dirichlet variances matched to the squared standard errors of the weekday shares "
        "(negative binomial days, delta method), pooled: (1 - sum p^2) / sum se^2 - 1"
        + ("; interval from busyness_cv's" if fitted else ""),
        n=int(days[means > 0].sum()),
        source=source,
        note=note,
        channel=channel,
    )
