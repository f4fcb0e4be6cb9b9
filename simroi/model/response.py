"""The value of response time: resolved replies counted by response-time band, and what they do.

A channel with a ``response_value`` curve (:mod:`simroi.scenario.response`) sorts its answered
and resolved contacts into the curve's bands by response time (the time its SLA judges: the wait
on a realtime channel, the finished reply on a deferrable one). Each band's contacts then take
the band's churn multiplier (through the same excess-churn pipeline as the experience classes),
its spend uplift and, for public replies, its share of positive posts — in place of the
fast/slow split. Channels without a curve are untouched: their classes flow as before.

Only resolved replies take a band's value. An answered but unresolved contact keeps the
"unresolved" class (its churn multiplier, a negative public post and a repeat contact): the
customer's problem is still open and comes back, and repeat contacts are what drives disloyalty
in CEB's effort research (Dixon, Freeman & Toman 2010), so crediting the first reply's speed as
well would count the same story twice. Private contacts keep the post shares of their fast/slow
class: the curve's positive share is about the public reply others see.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from simroi.scenario.spec import EXPERIENCE_CLASSES, ChannelSpec, Scenario

__all__ = ["BandTally", "RepliesByBand", "ResponseValues", "replies_by_band", "response_values"]

_FAST, _SLOW = EXPERIENCE_CLASSES.index("resolved_fast"), EXPERIENCE_CLASSES.index("resolved_slow")


class BandTally:
    """Answered and resolved contacts of one channel by response band, summed over a month.

    ``counts`` and ``public_counts`` are (columns, bands), in contacts scaled to the month; with
    no curve they have no band columns and :meth:`add` does nothing.
    """

    def __init__(self, spec: ChannelSpec, columns: int) -> None:
        self.edges = spec.band_edges_seconds
        bands = len(spec.response_value or [])
        self.counts = np.zeros((columns, bands))
        self.public_counts = np.zeros((columns, bands))

    def add(
        self,
        offset: int,
        n: int,
        response: np.ndarray,
        answered_resolved: np.ndarray,
        public: np.ndarray,
        weight: np.ndarray,
    ) -> None:
        """Add one piece of contacts, (rows, n) arrays of columns ``offset:offset + n``.

        ``response`` holds response times in seconds (NaN where not answered),
        ``answered_resolved`` and ``public`` are the contacts' marks, ``weight`` (columns,) the
        month days each column's sampled day stands for.
        """
        if not self.counts.shape[1]:
            return
        pairs = ((self.counts, answered_resolved), (self.public_counts, answered_resolved & public))
        for table, mask in pairs:
            # Cumulative counts up to each edge (NaN compares False), then the last band takes
            # every other reply: band b is the difference of consecutive cumulative counts.
            with np.errstate(invalid="ignore"):
                upto = [np.count_nonzero(mask & (response <= e), axis=0) for e in self.edges]
            upto.append(np.count_nonzero(mask, axis=0))
            cumulative = np.stack(upto, axis=1).astype(float)
            by_band = np.diff(cumulative, axis=1, prepend=0.0)
            table[offset : offset + n] += by_band * weight[offset : offset + n, None]


@dataclass(frozen=True)
class ResponseValues:
    """One channel's curve, per trial: arrays (trials, bands), fastest band first."""

    churn_multipliers: np.ndarray
    spend_uplift: np.ndarray  # relative to the monthly margin, per month
    positive_share: np.ndarray


def response_values(scenario: Scenario, v: Mapping[str, np.ndarray]) -> dict[str, ResponseValues]:
    """The curves of the channels that have one, from the trials' input values ``v``."""
    out = {}
    for name, spec in scenario.channels.items():
        bands = range(len(spec.response_value or []))
        if not bands:
            continue
        p = f"channels.{name}.response_value."

        def column(key: str, p: str = p, bands: range = bands) -> np.ndarray:
            return np.stack([v[f"{p}{b}.{key}"] for b in bands], axis=1)

        out[name] = ResponseValues(
            churn_multipliers=column("churn_multiplier"),
            spend_uplift=column("spend_uplift"),
            positive_share=column("positive_share"),
        )
    return out


@dataclass(frozen=True)
class RepliesByBand:
    """One month's resolved replies on channels with a curve, ready for the economics.

    ``classes`` and ``public_classes`` (trials, 5) are those replies in their fast/slow classes
    (to be taken out of the class tables for churn, spend and public posts); ``bands`` pairs each
    channel's counts by band (trials, bands) with its curve; ``positive_posts`` (trials,) are the
    public replies that read as positive, by their bands' shares.
    """

    channels: frozenset[str]
    classes: np.ndarray
    public_classes: np.ndarray
    bands: tuple[tuple[np.ndarray, ResponseValues], ...]
    positive_posts: np.ndarray


class _Tallied(Protocol):
    """What :func:`replies_by_band` reads of a channel's month (a ``ChannelMonth``)."""

    @property
    def classes(self) -> np.ndarray: ...
    @property
    def public_classes(self) -> np.ndarray: ...
    @property
    def band_counts(self) -> np.ndarray: ...
    @property
    def public_band_counts(self) -> np.ndarray: ...


def replies_by_band(
    outcomes: Mapping[str, _Tallied], values: Mapping[str, ResponseValues], trials: int
) -> RepliesByBand:
    """Gather this month's resolved replies by band from ``outcomes`` (channel → its month)."""
    classes = np.zeros((trials, len(EXPERIENCE_CLASSES)))
    public_classes = np.zeros_like(classes)
    positive = np.zeros(trials)
    bands = []
    channels = frozenset(c for c in outcomes if c in values)
    for c in sorted(channels):
        out, curve = outcomes[c], values[c]
        for table, source in ((classes, out.classes), (public_classes, out.public_classes)):
            table[:, _FAST : _SLOW + 1] += source[:, _FAST : _SLOW + 1]
        bands.append((out.band_counts, curve))
        positive += (out.public_band_counts * curve.positive_share).sum(axis=1)
    return RepliesByBand(channels, classes, public_classes, tuple(bands), positive)
