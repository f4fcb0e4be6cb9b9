"""Sample data files simulated from a scenario with the real queue engine.

:func:`simulate_sample_data` gives the three kinds of file a contact centre exports
(:mod:`simroi.data.frames`) — a 15-minute interval report, a contact log and customer outcomes —
for ``days`` days of one scenario's program, so a newcomer can try ``simroi calibrate`` and
``simroi backtest`` and the tests have fixtures with a known truth.

How the rows are made, per channel (every channel of the scenario):

- **inputs**: one trial's draw of the scenario's uncertain inputs (:func:`simroi.model.inputs.
  draw_inputs` with one trial), not their modes: the data are one possible world, and
  ``truth.json`` records the values drawn;
- **arrivals**: day *d* (day 0 a Monday) gets Poisson(first contacts a day × weekday factor ×
  a gamma busyness with the channel's cv) first contacts, spread over the day by the intraday
  profile (:mod:`simroi.model.calendar`), as the model's arrivals are; times are naive local
  time without daylight saving; deflection and events are left out;
- **repeats and retries**, as the model sends them back (:mod:`simroi.model.block`; simulated in
  :mod:`simroi.model.sample_queue`): an answered unresolved contact always comes back, an
  abandoned or ignored one with the channel's ``retry_share``; the same customer (first contacts
  draw theirs from the customer base), on a channel drawn from ``repeat_channels`` (default the
  same), on one of the next 7 days (``REPEAT_DAYS``; the scenario has no delay: the model books
  them the next month) weighted by that channel's weekday factor × the day's busyness (the
  model's busyness scales a day's whole rate, repeats included: so does the sample's, in
  expectation), at a time from its intraday profile. The queues are simulated in rounds — first
  contacts, then with their returns, then with the returns' returns … — each round the whole
  period with every arrival so far (returns change waits, so outcomes), until a round changes
  nothing (at most ``MAX_ROUNDS``). Two weeks (``WARM_DAYS``) are simulated before the window
  and dropped, so its first week has the returns and backlog of the days before; returns after
  the window are dropped. ``offered`` thus counts all three, as a real export's;
  ``truth.json``'s ``contacts_per_day`` is the first-contact rate, and per channel it counts the
  ``first_contacts``, ``repeats`` and ``retries`` written;
- **service**: handle times and patience from the model's draws (:mod:`simroi.model.draws`),
  staffing from the channel's agents, schedule or staffing rule (the rule sized to the
  steady-state forecast of first contacts and repeats), all days through
  :func:`simroi.queueing.engine.serve_fcfs` on one clock, so backlogs carry from day to day;
- **outcome**: answered if the wait is within the patience; else abandoned (real-time) or
  ignored (deferrable, after ``ignore_after_hours``); resolved with probability ``fcr``, public
  with probability ``public_share``; the experience class as the model's
  (:mod:`simroi.model.outcomes`): fast if the response is within the channel's SLA;
- **interval report**: every 15-minute interval of every day and channel, contacts counted
  in the interval they arrived in: ``abandoned`` counts those not answered (abandoned on a
  real-time channel, ignored on a deferrable one), ``answered_within_sla`` the fast ones, the
  means are over the answered contacts (empty where none was), ``agents`` the mean agents on
  queue;
- **customers**: half the customers file comes from the contact log's customers (their class
  is their last contact's), half has no contact (``none``) — a sample stratified so every class
  has customers, not the base's share; each is observed for up to 12 months from the window,
  and leaves after an exponential time with the scenario's monthly churn × the class's churn
  multiplier (``months_observed`` ends at the churn: exposure, as a survival fit needs).
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from simroi.model.calendar import hourly_shares
from simroi.model.inputs import channel_inputs, draw_inputs
from simroi.model.sample_queue import INTERVAL_MINUTES, KINDS, Contacts, simulate_contacts
from simroi.randomness import Streams
from simroi.scenario.spec import EXPERIENCE_CLASSES, Scenario

__all__ = ["FIRST_DAY", "SampleData", "simulate_sample_data"]

#: The first day of the sample (a Monday, as day 0 of the model's clock; no daylight-saving
#: change in the first 8 weeks).
FIRST_DAY = np.datetime64("2025-01-06", "s")
#: Months each customer of the customers file is observed for (unless they churn first).
WINDOW_MONTHS = 12.0
INTERVAL_COLUMNS = (
    "interval_start",
    "channel",
    "offered",
    "answered",
    "abandoned",
    "answered_within_sla",
    "handle_seconds_mean",
    "wait_seconds_mean",
    "agents",
)
CONTACT_COLUMNS = (
    "arrived_at",
    "channel",
    "outcome",
    "wait_seconds",
    "handle_seconds",
    "resolved",
    "public",
    "customer_id",
)
CUSTOMER_COLUMNS = ("customer_id", "experience", "months_observed", "churned", "monthly_margin")


@dataclass(frozen=True)
class SampleData:
    """The files' text by name (``intervals.csv``, ``contacts.csv``, ``customers.csv``,
    ``truth.json``) and the truth they were simulated from (the parsed ``truth.json``)."""

    files: dict[str, str]
    truth: dict[str, Any]

    def rows(self, name: str) -> int:
        """Data rows (lines after the header) of the file ``name`` (e.g. ``"contacts.csv"``)."""
        return self.files[name].count("\n") - 1

    def __repr__(self) -> str:  # the files are megabytes of text: their rows, not their text
        csv = [name for name in self.files if name.endswith(".csv")]
        rows = ", ".join(f"{name}: {self.rows(name):,} rows" for name in csv)
        return f"SampleData({rows}; truth of {self.truth.get('scenario', '?')!r})"


def simulate_sample_data(
    scenario: Scenario, *, days: int = 56, customers: int = 20_000, streams: Streams
) -> SampleData:
    """Simulate ``days`` days of ``scenario``'s contact centre as the three data files.

    Parameters
    ----------
    scenario : Scenario
        The program to simulate (every channel).
    days : int
        Days simulated, from :data:`FIRST_DAY` (a Monday); ≥ 1.
    customers : int
        Rows of the customers file; ≥ 2.
    streams : Streams
        Random streams (the CLI's ``--seed`` as entropy, block 0).
    """
    values = draw_inputs(scenario, 1, streams)
    truth: dict[str, Any] = {
        "scenario": scenario.scenario.name,
        "seed": streams.entropy,
        "days": days,
        "first_day": str(FIRST_DAY)[:10],
        "interval_minutes": INTERVAL_MINUTES,
        "inputs": "one trial's draw of the scenario's uncertain inputs",
        "channels": {},
    }
    simulated = simulate_contacts(scenario, values, days, streams)
    for name, spec in scenario.channels.items():
        inputs = channel_inputs(name, scenario, values)
        kinds = np.bincount(simulated[name].kind, minlength=len(KINDS))
        patience = float(inputs.patience_mean_s[0])
        truth["channels"][name] = {
            "kind": spec.kind,
            "contacts_per_day": float(inputs.first_contacts_per_day[0]),
            "weekday_factors": np.atleast_2d(inputs.weekday_factors)[0].tolist(),
            "hourly_profile": hourly_shares(np.atleast_2d(inputs.intraday_shares)[0]).tolist(),
            "busyness_cv": float(inputs.busyness_cv[0]),
            "handle_mean_seconds": float(inputs.handle_mean_s[0] * inputs.slot_slowdown[0]),
            "handle_cv": float(inputs.handle_cv[0]),
            "handle_dist": spec.handle_time_dist,
            "patience_mean_seconds": patience if math.isfinite(patience) else None,
            "patience_dist": spec.patience_dist if spec.kind == "realtime" else None,
            "fcr": float(inputs.fcr[0]),
            "public_share": float(inputs.public_share[0]),
            "sla_seconds": spec.sla_threshold_seconds,
            "retry_share": float(values[f"channels.{name}.retry_share"][0]),
            "repeat_channels": dict(spec.repeat_channels or {name: 1.0}),
            "contacts": int(simulated[name].arrival_s.size),
            **{kind: int(k) for kind, k in zip(KINDS, kinds, strict=True)},
        }
    margin = float(values["customers.monthly_margin_per_customer"][0])
    multipliers = {
        c: float(values[f"experience.churn_multiplier_{c}"][0]) for c in EXPERIENCE_CLASSES
    }
    truth["customers"] = {
        "rows": customers,
        "active_customers": float(values["customers.active_customers"][0]),
        "monthly_churn": float(values["customers.monthly_churn"][0]),
        "window_months": WINDOW_MONTHS,
        "churn_multipliers": {**multipliers, "none": 1.0},
        "monthly_margin_mean": margin,
    }
    files = {
        "intervals.csv": _intervals_csv(simulated, days),
        "contacts.csv": _contacts_csv(simulated),
        "customers.csv": _customers_csv(simulated, truth["customers"], customers, streams),
    }
    files["truth.json"] = json.dumps(truth, indent=2) + "\n"
    return SampleData(files, truth)


def _text(rows: list[list[object]], header: tuple[str, ...]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _stamp(seconds: np.ndarray) -> np.ndarray:
    """``2025-01-06 08:00:03`` for clock seconds (whole seconds, floor)."""
    times = FIRST_DAY + np.floor(seconds).astype(np.int64).astype("timedelta64[s]")
    return np.char.replace(np.datetime_as_string(times, unit="s"), "T", " ")


def _intervals_csv(simulated: dict[str, Contacts], days: int) -> str:
    size = INTERVAL_MINUTES * 60
    bins = days * 86_400 // size
    starts = _stamp(np.arange(bins) * float(size))
    rows: list[list[object]] = []
    per_channel = []
    for name, c in simulated.items():
        k = np.minimum((np.floor(c.arrival_s) // size).astype(np.int64), bins - 1)

        def count(mask: np.ndarray, k: np.ndarray = k) -> np.ndarray:
            return np.bincount(k[mask], minlength=bins)

        offered = np.bincount(k, minlength=bins)
        answered = count(c.answered)
        handle = np.round(c.handle_s, 1)
        wait = np.round(c.wait_s, 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            aht = np.bincount(k[c.answered], handle[c.answered], bins) / answered
            asa = np.bincount(k[c.answered], wait[c.answered], bins) / answered
        per_channel.append(
            (name, offered, answered, count(~c.answered), count(c.fast), aht, asa, c.agents)
        )
    for j in range(bins):
        for name, offered, answered, lost, fast, aht, asa, agents in per_channel:
            rows.append(
                [
                    starts[j],
                    name,
                    offered[j],
                    answered[j],
                    lost[j],
                    fast[j],
                    _number(aht[j]),
                    _number(asa[j]),
                    f"{agents[j]:.2f}",
                ]
            )
    return _text(rows, INTERVAL_COLUMNS)


def _number(value: float) -> str:
    return "" if not math.isfinite(value) else f"{value:.1f}"


def _contacts_csv(simulated: dict[str, Contacts]) -> str:
    names = list(simulated)
    arrival = np.concatenate([simulated[n].arrival_s for n in names])
    channel = np.concatenate([np.full(simulated[n].arrival_s.size, i) for i, n in enumerate(names)])
    order = np.argsort(np.floor(arrival), kind="stable")

    def joined(field: str) -> np.ndarray:
        return np.concatenate([getattr(simulated[n], field) for n in names])[order]

    answered, wait, handle = joined("answered"), joined("wait_s"), joined("handle_s")
    resolved, public = joined("resolved"), joined("public")
    lost_word = np.concatenate(
        [np.where(simulated[n].experience == 4, "ignored", "abandoned") for n in names]
    )[order]
    customer = joined("customer")
    stamps = _stamp(arrival[order])
    channel = channel[order]
    rows = [
        [
            stamps[i],
            names[channel[i]],
            "answered" if answered[i] else lost_word[i],
            f"{wait[i]:.1f}",
            f"{handle[i]:.1f}" if answered[i] else "",
            int(resolved[i]) if answered[i] else "",
            int(public[i]),
            f"C{customer[i]:07d}",
        ]
        for i in range(stamps.size)
    ]
    return _text(rows, CONTACT_COLUMNS)


def _customers_csv(
    simulated: dict[str, Contacts],
    truth: dict[str, Any],
    rows: int,
    streams: Streams,
) -> str:
    rng = streams.rng("sample", "customers")
    names = list(simulated)
    arrival = np.concatenate([simulated[n].arrival_s for n in names])
    customer = np.concatenate([simulated[n].customer for n in names])
    experience = np.concatenate([simulated[n].experience for n in names])
    # Each contacting customer's class is that of their last contact.
    order = np.argsort(arrival, kind="stable")
    last: dict[int, int] = dict(
        zip(customer[order].tolist(), experience[order].tolist(), strict=True)
    )
    contacted = np.fromiter(last, dtype=np.int64)
    take = min(rows // 2, contacted.size)
    chosen = rng.choice(contacted, take, replace=False)
    classes = [EXPERIENCE_CLASSES[last[c]] for c in chosen.tolist()]
    base = int(truth["active_customers"])
    others: list[int] = []
    seen = set(last)
    while len(others) < rows - take:
        for c in rng.integers(1, base + 1, rows).tolist():
            if c not in seen and len(others) < rows - take:
                seen.add(c)
                others.append(c)
    everyone = np.concatenate([chosen, np.asarray(others, dtype=np.int64)])
    labels = np.asarray(classes + ["none"] * len(others))
    multiplier = np.asarray([truth["churn_multipliers"][c] for c in labels.tolist()])
    hazard = -np.log1p(-truth["monthly_churn"] * multiplier)  # monthly hazard rate
    leaves = rng.standard_exponential(everyone.size) / hazard
    churned = leaves <= WINDOW_MONTHS
    months = np.maximum(np.round(np.minimum(leaves, WINDOW_MONTHS), 2), 0.01)
    cv = 0.5
    margin = rng.gamma(1 / cv**2, truth["monthly_margin_mean"] * cv**2, everyone.size)
    shuffle = rng.permutation(everyone.size)
    out = [
        [f"C{everyone[i]:07d}", labels[i], f"{months[i]:.2f}", int(churned[i]), f"{margin[i]:.2f}"]
        for i in shuffle.tolist()
    ]
    return _text(out, CUSTOMER_COLUMNS)
