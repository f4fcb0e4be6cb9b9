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
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import AfterValidator, ValidationInfo

__all__ = [
    "DEFAULT_PROFILE_MINUTES",
    "PROFILE_MINUTES",
    "ProfileMinutes",
    "ProfileWeights",
    "open_fractions",
    "profile_problems",
]

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


#: ``intraday_profile_minutes``: one of :data:`PROFILE_MINUTES`.
ProfileMinutes = Annotated[int, AfterValidator(_resolution)]
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
