"""Month-by-month KPIs: what each channel and the customer base did in each month of a trial.

The horizon KPIs (:meth:`simroi.model.block.World.kpis`) average over the months; these keep
the path, so the ramp-up of a program is visible: how fast the customers it keeps accumulate,
when its monthly net cash flow turns, how service level and staffing move with volume.

Arrays are (trials, horizon) in float32: a month's KPI needs no more than seven significant
digits, and a run keeps some fifty of them per trial and month (about 8 kB per trial for three
channels over 36 months, half of it in float64). Rates are NaN in a month with nothing to rate
(no contact offered, no agent hour paid).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from simroi.model.calendar import DAYS_PER_MONTH
from simroi.model.outcomes import ChannelMonth

__all__ = ["HOURS_PER_MONTH", "channel_month_metrics", "stack_months"]

#: Hours in an average month (365.25 × 24 / 12): paid agent hours ÷ this = agents paid at any hour.
HOURS_PER_MONTH = DAYS_PER_MONTH * 24.0


def channel_month_metrics(
    month: ChannelMonth,
    paid_hours: np.ndarray,
    *,
    cost_per_agent_hour: np.ndarray,
) -> dict[str, np.ndarray]:
    """One channel's KPIs in one month, each (trials,): offered, answered, service_level,
    abandonment, occupancy, backlog_at_month_end, paid_hours, agents and cost.

    Parameters
    ----------
    month : the channel's outcomes in the month (counts scaled to the whole month)
    paid_hours : paid agent hours in the month (on-queue hours grossed up for shrinkage)
    cost_per_agent_hour : loaded cost of a paid hour, money

    ``service_level`` and ``abandonment`` (abandoned on a realtime channel, ignored on a
    deferrable one) are shares of the contacts the month settles — answered or given up in it,
    whenever they arrived — so that a month that ignores the posts carried into it is not over
    100 % (it was, as a share of the month's own arrivals: 100.5 % in the default's baseline); a
    realtime channel carries nothing into the next month, so there they are the month's
    arrivals. The horizon KPIs stay shares of all contacts offered. ``occupancy`` is the busy
    share of the slot time on duty in the month's sampled days (``busy_slot_s /
    available_slot_s``, ≤ 1 by construction: :mod:`simroi.model.books`), as the horizon KPI;
    ``agents`` the paid agent-equivalents, paid hours ÷ :data:`HOURS_PER_MONTH`; ``cost`` the
    agent cost, money.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        settled = month.answered + month.unanswered
        settled = np.where(settled > 0, settled, np.nan)
        return {
            "offered": month.offered,
            "answered": month.answered,
            "service_level": month.within_sla / settled,
            "abandonment": month.unanswered / settled,
            "occupancy": month.busy_slot_s
            / np.where(month.available_slot_s > 0, month.available_slot_s, np.nan),
            "backlog_at_month_end": month.backlog_end,
            "paid_hours": paid_hours,
            "agents": paid_hours / HOURS_PER_MONTH,
            "cost": paid_hours * cost_per_agent_hour,
        }


def stack_months(by_month: Sequence[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Per-month dictionaries of (trials,) arrays as one (trials, months) float32 array each."""
    names = list(by_month[0]) if by_month else []
    return {
        name: np.stack([np.asarray(m[name], dtype=float) for m in by_month], axis=1).astype(
            np.float32
        )
        for name in names
    }
