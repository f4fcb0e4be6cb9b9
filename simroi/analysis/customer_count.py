"""The customer count a calibration's contact rates are per.

Contact rates are fitted per customer: the data fixes the volume, customers × rate, so the count
is either the user's (``--customers``) or held at the base scenario's mean. A count below the
customers the data shows on one day cannot be the base behind it: each customer would contact
many times a day, and word of mouth and churn, which the model applies per customer, would run
away in the simulation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from simroi.analysis.calibrated_scenario import ScenarioEdit
from simroi.data.frames import DataSet
from simroi.errors import OptionError

__all__ = ["CustomerCount", "check_customers", "customer_count"]


@dataclass(frozen=True)
class CustomerCount:
    """``edits`` to write (``customers.active_customers``) and ``notes`` to show, first."""

    edits: tuple[ScenarioEdit, ...]
    notes: tuple[str, ...]


def check_customers(data: DataSet, customers: int | None) -> None:
    """Refuse a given count below 1, below the most distinct ``customer_id`` with a contact on
    one day of ``data`` (:meth:`~simroi.data.frames.DataSet.busiest_customer_day`) or, without
    customer ids, below the most contacts offered on one day
    (:meth:`~simroi.data.frames.DataSet.busiest_contact_day`;
    ``--customers 5`` beside a contact centre's interval report wrote 38,129 calls per customer
    a year, a scenario that validated and could not be staffed)."""
    if customers is None:
        return
    if customers < 1:
        raise OptionError(f"`customers` must be a whole number ≥ 1 (got {customers})")
    bound, day, files = data.busiest_customer_day()
    what, why = "customers (distinct customer_id) with a contact", ""
    if not bound:  # no customer ids: the day's contacts bound the base instead
        bound, day, files = data.busiest_contact_day()
        what = "contacts offered"
        why = "fewer would each have contacted more than once that day on average; "
    if customers < bound:
        raise OptionError(
            f"`customers` must be at least the {bound:,} {what} on {day} in {', '.join(files)} "
            f"(got {customers:,}): {why}the contact rates are per customer of the whole base "
            "behind the data (its accounts, for a business)"
        )


def customer_count(
    data: DataSet, customers: int | None, mean: float, unseen: Sequence[str], fitted: bool
) -> CustomerCount:
    """The count's edit and notes: ``customers`` as given, else (when any contact rate was
    ``fitted``) held at the base scenario's ``mean``; ``unseen`` are channels without arrivals
    in the data, whose rates per customer stay the scenario's."""
    if customers is not None:
        notes = [f"customers: {customers:,} (given); contact rates are per customer"]
        if unseen:
            notes.append(
                f"{', '.join(unseen)}: no arrivals in the data; the scenario's contacts per "
                f"customer stay, so the volume follows the {customers:,} customers"
            )
        edit = ScenarioEdit("customers.active_customers", customers, "given with --customers")
        return CustomerCount((edit,), tuple(notes))
    if not fitted:
        return CustomerCount((), ())
    # The data fixes the volume, customers × rate. Were the count left uncertain, each trial's
    # volume would move with an input the data never saw; so it is held at the count the rates
    # were fitted against.
    held = round(mean)
    edit = ScenarioEdit(
        "customers.active_customers",
        held,
        "held at the base scenario's mean, the count the fitted contact rates are per; "
        "give --customers N to state the real count",
    )
    notes = [
        f"customers: held at {held:,} (the mean of the base scenario's "
        "customers.active_customers), the count the contact rates are fitted against, so "
        "the scenario simulates the observed volume; give --customers N to state the real count"
    ]
    seen, day, _ = data.busiest_customer_day()
    if held < seen:
        notes.append(
            f"customers: {seen:,} customers had a contact on {day} alone, more than the "
            f"{held:,} held: give --customers N with the whole base behind the data"
        )
    return CustomerCount((edit,), tuple(notes))
