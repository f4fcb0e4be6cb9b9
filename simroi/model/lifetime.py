"""The lifetime view: what the customers the program keeps are worth after the horizon.

The three-year view (TEI, the headline) counts cash flows up to the horizon and nothing after
it. Yet a customer the program kept is still a customer at the horizon and goes on paying its
margin: the lifetime view adds, per trial, the value at the horizon of the *customer
difference* between the worlds, discounted to t0.

Per world, the customers that count at the horizon are those alive at its end, minus the
excess leavers already scheduled in the world's churn pipeline beyond it (contacts near the
end whose extra churn has not happened yet, :class:`~simroi.model.economics.CustomerState`);
each is worth :func:`~simroi.model.economics.clv` of the margin, retention ``1 − hazard`` and
the monthly discount rate — the same CLV the optional terminal value uses. Counting a scheduled
leaver as gone at once is conservative: it still pays a few months' margin before leaving.
Spend uplift scheduled beyond the horizon is left out (it is small and temporary).

Relation to the terminal value (``[scenario] include_terminal_value``): the terminal value is
the CLV of the customers alive at the horizon, booked in the last month of the TEI cash flow.
When it is on, the lifetime view takes it out before adding its own value, so nothing is
counted twice::

    lifetime NPV = NPV − PV(terminal value) + PV(value of the customer difference at the horizon)

and lifetime ROI = lifetime NPV / PV of costs (the costs are the same in both views).
"""

from __future__ import annotations

import numpy as np

from simroi.model.economics import CustomerState, return_on_costs

__all__ = ["customer_equity", "lifetime_returns"]


def customer_equity(state: CustomerState, horizon: int) -> np.ndarray:
    """Present value at t0 of one world's customers at the horizon, per trial (trials,).

    ``(customers at the horizon − excess leavers scheduled after it) × CLV × (1 + i_m)^−H``,
    with ``i_m`` the monthly discount rate and ``H = horizon`` months; in money.
    """
    e = state.econ
    scheduled = state.extra_churn[:, horizon:].sum(axis=1)
    value = state.customer_value
    return (state.customers - scheduled) * value * (1.0 + e.monthly_discount) ** -horizon


def lifetime_returns(
    npv: np.ndarray,
    pv_costs: np.ndarray,
    pv_terminal_value: np.ndarray,
    equity_program: np.ndarray,
    equity_baseline: np.ndarray | float,
) -> tuple[np.ndarray, np.ndarray]:
    """``(lifetime_npv, lifetime_roi)`` per trial, each (trials,).

    Parameters
    ----------
    npv, pv_costs : the three-year (TEI) NPV and PV of costs, money
    pv_terminal_value : the PV of the terminal-value line already in ``npv`` (zero when the
        scenario does not include one), money
    equity_program, equity_baseline : :func:`customer_equity` of each world (0 without a
        baseline), money

    ROI is NaN where the PV of costs is not positive, as in the three-year view.
    """
    lifetime_npv = npv - pv_terminal_value + (equity_program - equity_baseline)
    return lifetime_npv, return_on_costs(lifetime_npv, pv_costs)
