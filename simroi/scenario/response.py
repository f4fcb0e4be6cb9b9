"""The value of response time: a channel's curve of response-time bands.

``[[channels.<name>.response_value]]`` tables, fastest first, each give what a reply in that band
is worth: the churn multiplier, the spend uplift and the share of public replies that make a
positive post. Every band but the last gives ``within_minutes`` (its upper edge, strictly
increasing); the last omits it and takes every slower reply ("later"). Where a channel has a
curve, its answered and resolved contacts take their band's values in place of the fast/slow
split of ``[experience]`` and ``[word_of_mouth]`` (README, "The value of response time").

The figures behind such a curve are stated willingness to pay (Twitter with Applied Marketing
Science 2015–16: about $20 more on a fare for a reply within 6 minutes, $2.33 after more than
an hour), so bundled scenarios shrink them and say by how much.
"""

from __future__ import annotations

import itertools

from pydantic import BaseModel, ConfigDict, Field

from simroi.scenario.quantity import Quantity

__all__ = ["MAX_BAND_MINUTES", "ResponseBandSpec", "band_problems"]

#: The largest band edge: a year, far beyond any answer a channel would still count.
MAX_BAND_MINUTES = 525_600.0


class ResponseBandSpec(BaseModel):
    """``[[channels.<name>.response_value]]``: what a reply within one response-time band is worth.

    The response time is the one the channel's SLA uses: the wait on a realtime channel, the time
    to the finished reply on a deferrable one.
    """

    # The scenario's strict, frozen settings (as :mod:`simroi.scenario.spec`'s sections).
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, allow_inf_nan=False)

    within_minutes: float | None = Field(
        None,
        gt=0,
        le=MAX_BAND_MINUTES,
        description="upper edge of the band in minutes (replies at most this slow); omitted on "
        "the last band, which takes every slower reply",
    )
    churn_multiplier: Quantity = Field(
        1.0, description="churn hazard multiplier for effect_months after a resolved reply (≥ 1)"
    )
    spend_uplift: Quantity = Field(
        0.0,
        description="relative spend increase per month for spend_uplift_months after a resolved "
        "reply (e.g. 0.03 = +3% of the monthly margin)",
    )
    positive_share: Quantity = Field(
        0.0, description="share of resolved public replies that read as a positive post"
    )
    note: str | None = None


def band_problems(bands: list[ResponseBandSpec]) -> list[str]:
    """The broken rules of one channel's curve, one line each (empty when it is valid).

    Every band but the last gives ``within_minutes``, strictly increasing; the last omits it.
    """
    problems = []
    last = len(bands) - 1
    for i, band in enumerate(bands):
        edge = band.within_minutes
        if i == last and edge is not None:
            problems.append(
                f"band {i}, the last, must omit within_minutes: it takes every reply slower "
                f"than the band before (got within_minutes = {edge:g})"
            )
        elif i < last and edge is None:
            problems.append(
                f"band {i} must give within_minutes: only the last band is open-ended (got none)"
            )
    edges = [(i, b.within_minutes) for i, b in enumerate(bands) if b.within_minutes is not None]
    for (_, before), (i, edge) in itertools.pairwise(edges):
        if edge <= before:
            problems.append(
                f"band {i}'s within_minutes must be greater than the band before's, bands "
                f"fastest first (got {edge:g} after {before:g})"
            )
    return problems
