"""From served contacts to a month's outcome tables: answered, abandoned, ignored, waits and
classes.

Each contact ends in an experience class (resolved fast or slow, unresolved, abandoned, ignored);
the tables here count them per trial, with the waits and response times the KPIs report.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simroi.model.draws import sort_groups
from simroi.model.response import BandTally
from simroi.scenario.spec import (
    ChannelSpec,
)

__all__ = ["MONTH_FIELDS", "ChannelMonth", "month_outcomes"]


def _p90(
    response: np.ndarray, answered: np.ndarray, groups: list[tuple[int, int, int]]
) -> np.ndarray:
    """The 90th percentile of each column's answered response times (NaN if none answered).

    ``response`` (n, columns) is NaN where no contact was answered, ``answered`` counts the
    answered per column; NaN sorts last, so each sorted column starts with its answered
    responses. Columns ``a:b`` of a group ``(a, b, rows)`` have nothing below row ``rows``, so
    only that block is sorted. In float32: half the work, and ample for a KPI (about 0.01 s at a
    day's wait).
    """
    out = np.full(response.shape[1], np.nan)
    for a, b, rows in groups:
        m = answered[a:b].astype(np.int64)
        if rows == 0:
            continue
        ordered = np.sort(response[:rows, a:b].T, axis=1)
        position = 0.9 * np.maximum(m - 1, 0)
        low = np.floor(position).astype(np.int64)
        high = np.minimum(low + 1, np.maximum(m - 1, 0))
        lanes = np.arange(b - a)
        lo = ordered[lanes, low].astype(np.float64)
        hi = ordered[lanes, high].astype(np.float64)
        with np.errstate(invalid="ignore"):
            value = lo + (position - low) * (hi - lo)
        out[a:b] = np.where(m > 0, np.where(high == low, lo, value), np.nan)
    return out


def month_outcomes(
    spec: ChannelSpec,
    day_pieces: list[list[tuple[int, int, int, int]]],
    day_weight: np.ndarray,
    arrival: np.ndarray,
    start: np.ndarray,
    handle: np.ndarray,
    present: np.ndarray,
    resolved_mark: np.ndarray,
    public_mark: np.ndarray,
    month_end: float,
) -> ChannelMonth:
    """Month totals per column.

    ``day_pieces`` lists, for each sampled day, the rectangles ``(lo, hi, offset, n)`` — rows
    ``lo:hi`` of columns ``offset:offset + n`` — that hold its contacts (outside them there are
    none), and ``day_weight`` (days, columns) the month days each day stands for. ``start`` is
    NaN for contacts not answered (and for padding), so every count is a sum of cheap boolean
    arrays along the contact axis, scaled by the day's weight. The backlog at month end counts
    contacts that arrived in the month and were not yet picked up when its last sampled day
    ended: answered later, or never.
    """
    rows_all, width = start.shape
    realtime = spec.kind == "realtime"
    sla = spec.sla_threshold_seconds
    names = (
        "offered",
        "answered",
        "within_sla",
        "fast_resolved",
        "answered_resolved",
        "public_offered",
        "public_answered",
        "public_answered_resolved",
        "public_fast_resolved",
        "wait",
        "busy",
        "backlog",
    )
    total = {k: np.zeros(width) for k in names}
    answered_in_sample = np.zeros(width, dtype=np.int64)  # unweighted, for the P90
    response_all = np.full((rows_all, width), np.nan, dtype=np.float32)
    bands = BandTally(spec, width)

    def count(mask: np.ndarray) -> np.ndarray:
        # Summing into 16 bits where the piece is short enough is four times faster than into
        # 64 (the cast per element is the cost).
        tally = np.uint16 if mask.shape[0] < 2**16 else np.int64
        return mask.view(np.uint8).sum(axis=0, dtype=tally).astype(np.int64)

    for pieces, weight in zip(day_pieces, day_weight, strict=True):
        for lo, hi, off, n in pieces:
            here = (slice(lo, hi), slice(off, off + n))
            st = start[here]
            answered = np.isfinite(st)
            response = st - arrival[here]  # the wait; NaN if not answered
            wait = np.fmax(response, 0.0)
            if not realtime:
                response += handle[here]
            response_all[here] = response
            with np.errstate(invalid="ignore"):
                fast = response <= sla  # False where NaN: only answered contacts can be fast
            resolved, public, on = resolved_mark[here], public_mark[here], present[here]
            answered_resolved = answered & resolved
            fast_resolved = fast & resolved
            public_answered = public & answered
            bands.add(off, n, response, answered_resolved, public, weight)
            answered_count = count(answered)
            answered_in_sample[off : off + n] += answered_count
            offered = count(on)
            piece = {
                "offered": offered,
                "answered": answered_count,
                "within_sla": count(fast),
                "fast_resolved": count(fast_resolved),
                "answered_resolved": count(answered_resolved),
                "public_offered": count(public & on),
                "public_answered": count(public_answered),
                "public_answered_resolved": count(public_answered & resolved),
                "public_fast_resolved": count(public & fast_resolved),
                "wait": wait.sum(axis=0),
                "busy": np.multiply(handle[here], answered).sum(axis=0),
                "backlog": 0.0 if realtime else offered - count(st < month_end),
            }
            w = weight[off : off + n]
            for k, value in piece.items():
                total[k][off : off + n] += value * w
    t = total
    classes, public_classes = (_class_table(t, prefix, realtime) for prefix in ("", "public_"))
    return ChannelMonth(
        offered=t["offered"],
        answered=t["answered"],
        unanswered=t["offered"] - t["answered"],
        within_sla=t["within_sla"],
        wait_sum_s=t["wait"],
        response_p90_s=_p90(response_all, answered_in_sample, sort_groups(day_pieces)),
        busy_slot_s=t["busy"],
        backlog_end=t["backlog"],
        classes=classes,
        public_classes=public_classes,
        band_counts=bands.counts,
        public_band_counts=bands.public_counts,
    )


def _class_table(total: dict[str, np.ndarray], prefix: str, realtime: bool) -> np.ndarray:
    """Contacts by experience class, (trials, 5) in the order of ``EXPERIENCE_CLASSES``.

    Unanswered is "abandoned" on a realtime channel and "ignored" on a deferrable one; the
    other of the two is zero.
    """

    def t(key: str) -> np.ndarray:
        return total[prefix + key]

    unanswered = t("offered") - t("answered")
    zero = np.zeros_like(unanswered)
    return np.stack(
        [
            t("fast_resolved"),
            t("answered_resolved") - t("fast_resolved"),
            t("answered") - t("answered_resolved"),
            unanswered if realtime else zero,
            zero if realtime else unanswered,
        ],
        axis=1,
    )


@dataclass(frozen=True)
class ChannelMonth:
    """What happened on one channel in one month, per trial (arrays (trials,) unless noted).

    Counts are scaled to the whole month. ``classes`` counts contacts by experience class in the
    order of :data:`simroi.scenario.spec.EXPERIENCE_CLASSES`; the ``public_*`` counts are the public
    share of contacts by class. ``band_counts`` (trials, bands) counts the answered and resolved
    contacts by the channel's ``response_value`` bands (no columns without a curve; see
    :mod:`simroi.model.response`).
    """

    offered: np.ndarray
    answered: np.ndarray
    unanswered: np.ndarray  # abandoned (realtime) or ignored (deferrable)
    within_sla: np.ndarray
    wait_sum_s: np.ndarray  # total wait of answered contacts
    response_p90_s: np.ndarray  # of answered contacts in the sampled days (NaN if none)
    busy_slot_s: np.ndarray  # slot time spent serving, scaled to the month
    backlog_end: np.ndarray  # contacts still waiting when the month's last sampled day ends
    classes: np.ndarray  # (trials, 5)
    public_classes: np.ndarray  # (trials, 5)
    band_counts: np.ndarray  # (trials, bands): answered and resolved, by response_value band
    public_band_counts: np.ndarray  # (trials, bands): their public share


MONTH_FIELDS = tuple(ChannelMonth.__dataclass_fields__)
