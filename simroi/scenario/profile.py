"""The intraday profile: how a channel's contacts spread over the day, at the data's resolution.

``channels.<name>.intraday_profile`` holds one weight per interval of the day, starting at
midnight; ``intraday_profile_minutes`` is the intervals' length (60 by default: 24 hourly
weights). Interval reports come in 5, 15, 30 or 60-minute rows, so a profile calibrated from them
keeps their resolution: ``intraday_profile_minutes = 5`` with 288 weights. Arrival times follow
the weights as a piecewise-constant density (:func:`simroi.model.calendar.intraday_profile`);
staffing rules read the hourly sums (:func:`simroi.model.calendar.hourly_profile`).

A realtime channel only receives contacts while open: each interval's weight counts in
proportion to the part of it within opening hours, so a profile must put some weight there. A
deferrable channel receives contacts around the clock and uses the weights as given.

**Uncertain shares.** A profile or a set of weekday factors fitted to a few weeks of data is an
estimate. ``intraday_profile_concentration`` and ``weekday_factors_concentration`` say how good:
each trial draws the shares from a Dirichlet distribution centred on the given ones,
``Dirichlet(concentration × shares)`` (:func:`draw_shares`), so every trial's shares sum to 1
(the day's or the week's volume is the other inputs' business) with mean the given shares and
variance ``p(1 − p)/(concentration + 1)`` each — a concentration of c is as sure of the shape as
c contacts spread over it by chance. Absent, the shares are fixed, as they always were.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import AfterValidator, Field, ValidationInfo

from simroi.scenario.whole import WholeNumber

__all__ = [
    "DEFAULT_INTRADAY_PROFILE",
    "DEFAULT_PROFILE_MINUTES",
    "DEFAULT_WEEKDAY_FACTORS",
    "MAX_CONCENTRATION",
    "PROFILE_MINUTES",
    "Concentration",
    "ProfileMinutes",
    "ProfileWeights",
    "draw_shares",
    "open_fractions",
    "profile_problems",
]

# Hour-of-day weights (24 values) when a channel gives none: a single late-morning and
# early-afternoon peak, quiet at night. Shape is an ASSUMPTION consistent with Brown et al. (2005):
# an inhomogeneous Poisson process whose rate varies over the day.
DEFAULT_INTRADAY_PROFILE = (
    0.15, 0.1, 0.08, 0.08, 0.1, 0.2, 0.4, 0.7, 1.1, 1.45, 1.6, 1.55,
    1.4, 1.45, 1.5, 1.4, 1.3, 1.15, 1.0, 0.85, 0.7, 0.55, 0.4, 0.25,
)  # fmt: skip
# Day-of-week factors Mon..Sun (domain.md §6, ASSUMPTION).
DEFAULT_WEEKDAY_FACTORS = (1.2, 1.05, 1.0, 1.0, 0.95, 0.8, 0.7)

#: Largest concentration a scenario may give: shares then vary by about one part in a million,
#: as good as fixed (leave the key out for that).
MAX_CONCENTRATION = 1e12

#: The interval lengths a profile may have: the divisors of 60, so that whole intervals make
#: up each hour (the staffing rules' interval) and the day.
PROFILE_MINUTES = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60)

#: One weight an hour, the resolution of every profile before interval reports were read.
DEFAULT_PROFILE_MINUTES = 60


def _resolution(minutes: int) -> int:
    if minutes not in PROFILE_MINUTES:
        allowed = ", ".join(str(m) for m in PROFILE_MINUTES)
        raise ValueError(f"must divide the hour: one of {allowed} (got {minutes})")
    return minutes


def _weights(weights: list[float], info: ValidationInfo) -> list[float]:
    # intraday_profile_minutes is declared before intraday_profile, so it is in info.data once
    # valid; a refused resolution is reported on its own and the length is not checked.
    minutes = info.data.get("intraday_profile_minutes")
    problems = []
    if minutes is not None and len(weights) != 1440 // minutes:
        problems.append(
            f"must hold {1440 // minutes} weights, one per {minutes} minutes of the day from "
            f"midnight, for intraday_profile_minutes = {minutes} (got {len(weights)} weights)"
        )
    lowest, total = min(weights, default=0.0), sum(weights)
    if lowest < 0 or total <= 0:
        problems.append(
            f"weights must be ≥ 0 with a positive sum (got min {lowest:g}, sum {total:g})"
        )
    if problems:
        raise ValueError("; ".join(problems))
    return weights


#: ``intraday_profile_concentration``, ``weekday_factors_concentration``: the Dirichlet
#: concentration of the shares, > 0 and at most :data:`MAX_CONCENTRATION`.
Concentration = Annotated[float, Field(gt=0, le=MAX_CONCENTRATION)]
#: ``intraday_profile_minutes``: one of :data:`PROFILE_MINUTES`.
ProfileMinutes = Annotated[WholeNumber, AfterValidator(_resolution)]
#: ``intraday_profile``: 1440 / minutes weights, ≥ 0, with a positive sum.
ProfileWeights = Annotated[list[float], AfterValidator(_weights)]


def open_fractions(minutes: int, open_seconds: float, close_seconds: float) -> np.ndarray:
    """The share of each profile interval within opening hours, shape (1440 / minutes,).

    ``open_seconds`` < ``close_seconds``, both seconds after midnight. Computed in hours, so that
    hourly intervals (``minutes = 60``: edges 0, 1, …, 24 and width 1, all exact) give the very
    numbers the hourly profile always gave.
    """
    n = 1440 // minutes
    start = np.arange(n) * minutes / 60.0  # whole minutes over 60: exact on the hour
    end = np.arange(1, n + 1) * minutes / 60.0
    width = minutes / 60.0
    open_h, close_h = open_seconds / 3600.0, close_seconds / 3600.0
    overlap = np.clip(np.minimum(end, close_h) - np.maximum(start, open_h), 0.0, width)
    return overlap / width


def profile_problems(
    weights: list[float] | None,
    minutes: int,
    *,
    opening: tuple[float, float] | None,
) -> list[str]:
    """The rules that tie the profile to the rest of its channel, one line each.

    ``weights`` and ``minutes`` are valid on their own. A resolution other than 60 needs its
    profile (the default profile is hourly). ``opening`` (a realtime channel's opening and closing
    time, seconds after midnight) must hold some weight: such a channel only receives contacts
    while open, and would receive none.
    """
    if weights is None:
        if minutes == DEFAULT_PROFILE_MINUTES:
            return []
        return [
            f"intraday_profile_minutes = {minutes} is the resolution of intraday_profile, "
            "which is missing (got none)"
        ]
    if opening is None:
        return []
    if float(np.dot(np.asarray(weights, dtype=float), open_fractions(minutes, *opening))) > 0:
        return []
    opens, closes = (_clock(s) for s in opening)
    return [
        "intraday_profile: a realtime channel only receives contacts while open, so the weights "
        f"from {opens} to {closes} must have a positive sum (got 0)"
    ]


def _clock(seconds: float) -> str:
    """``"HH:MM"`` of seconds after midnight."""
    minutes = int(seconds) // 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def draw_shares(
    shares: np.ndarray, concentration: float, trials: int, *, rng: np.random.Generator
) -> np.ndarray:
    """Shares drawn once per trial from ``Dirichlet(concentration × shares)``.

    Parameters
    ----------
    shares : numpy.ndarray, shape (k,)
        The given shares: ≥ 0, summing to 1 (an intraday profile's or a week's).
    concentration : float
        > 0. Each drawn share has mean ``p`` and variance ``p(1 − p)/(concentration + 1)``; the
        drawn shares of one trial sum to 1.
    trials : int
        Draws (≥ 0).
    rng : numpy.random.Generator
        The draws' stream (the model keys it by the input's name).

    Returns
    -------
    numpy.ndarray, shape (trials, k)
        One row of shares per trial. A share given as 0 is 0 in every trial (a closed interval
        or weekday stays closed); the others are drawn by :meth:`numpy.random.Generator.
        dirichlet` over the positive shares only.
    """
    given = np.asarray(shares, dtype=np.float64)
    out = np.zeros((trials, given.size))
    positive = given > 0
    out[:, positive] = rng.dirichlet(concentration * given[positive], size=trials)
    return out
