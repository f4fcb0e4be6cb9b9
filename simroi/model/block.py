"""One block of trials through the whole model: inputs → contacts → customers → money.

:func:`simulate_block` draws the block's uncertain inputs, then loops over the months of the
horizon. Each month, for the program and its baseline alike, every channel's sampled days go
through the queue engine (:mod:`simroi.model.contacts`), the outcomes feed the customer base
(:mod:`simroi.model.economics`), and the month's repeat contacts and deflection feed the next month.
Program and baseline use the same streams for the same purpose (common random numbers), so their
difference is the program's effect rather than noise. The block is reduced to per-trial values
before it is returned, so memory is bounded by the block size.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from simroi.model.books import Books
from simroi.model.calendar import (
    DAYS_PER_MONTH,
    MonthPlan,
    agent_hours_per_month,
    month_plans,
    shift_pattern,
)
from simroi.model.contacts import ChannelInputs, ChannelLoad, simulate_channel_month
from simroi.model.economics import (
    LINE_ITEMS_BENEFIT,
    LINE_ITEMS_COST,
    CustomerState,
    EconomicsInputs,
    WomReach,
    clv,
    monthly_discount_rate,
)
from simroi.model.outcomes import ChannelMonth
from simroi.queueing.shifts import QueueState
from simroi.randomness import Streams
from simroi.scenario.load import LoadedScenario
from simroi.scenario.quantity import as_distribution
from simroi.scenario.sampling import sample_scenario_inputs
from simroi.scenario.spec import EXPERIENCE_CLASSES, Scenario

__all__ = ["BlockResult", "World", "draw_inputs", "simulate_block", "volume_order"]

_FAST, _SLOW, _UNRESOLVED, _ABANDONED, _IGNORED = range(len(EXPERIENCE_CLASSES))


@dataclass(frozen=True)
class BlockResult:
    """Per-trial outputs of one block (every array has the block's trials on axis 0).

    ``pv`` holds the present value of each incremental line item; ``kpis`` maps
    ``"<scenario>.<channel>.<kpi>"`` or ``"<scenario>.<metric>"`` to per-trial values over the
    horizon; ``net_by_month`` is the incremental net cash flow per month, t0 first
    (trials, horizon + 1); ``inputs`` the program's uncertain inputs.
    """

    roi: np.ndarray
    npv: np.ndarray
    payback_months: np.ndarray  # NaN: no payback within the horizon
    pv_benefits: np.ndarray
    pv_costs: np.ndarray
    pv: dict[str, np.ndarray]
    kpis: dict[str, np.ndarray]
    net_by_month: np.ndarray
    inputs: dict[str, np.ndarray]


def draw_inputs(scenario: Scenario, trials: int, streams: Streams) -> dict[str, np.ndarray]:
    """Every numeric input of ``scenario`` as a (trials,) array; uncertain ones sampled.

    Streams are keyed by the input's dotted name, so the program and its baseline draw identical
    values for inputs they share.
    """
    values = {key: np.full(trials, as_distribution(v).mean()) for key, v in scenario.quantities()}
    values.update(sample_scenario_inputs(scenario, trials, streams=streams).values)
    return values


def _channel_inputs(name: str, scenario: Scenario, v: dict[str, np.ndarray]) -> ChannelInputs:
    spec = scenario.channels[name]
    p = f"channels.{name}."
    trials = v["customers.active_customers"].shape[0]
    if spec.kind == "realtime":
        patience = v[p + "patience_minutes"] * 60.0
    elif spec.ignore_after_hours is not None:
        patience = v[p + "ignore_after_hours"] * 3600.0
    else:
        patience = np.full(trials, np.inf)
    k = spec.concurrency
    slowdown = k ** (1.0 - v[p + "concurrency_speedup_alpha"]) if k > 1 else np.ones(trials)
    return ChannelInputs(
        first_contacts_per_day=v["customers.active_customers"]
        * v[p + "contacts_per_customer_per_year"]
        / 365.25,
        handle_mean_s=v[p + "handle_time_minutes"] * 60.0,
        handle_cv=v[p + "handle_time_cv"],
        patience_mean_s=patience,
        fcr=v[p + "fcr"],
        public_share=v[p + "public_share"],
        busyness_cv=v[p + "busyness_cv"],
        slot_slowdown=slowdown,
    )


def _economics_inputs(scenario: Scenario, v: dict[str, np.ndarray]) -> EconomicsInputs:
    x, w = scenario.experience, scenario.word_of_mouth
    return EconomicsInputs(
        customers0=v["customers.active_customers"],
        margin=v["customers.monthly_margin_per_customer"],
        hazard=v["customers.monthly_churn"],
        monthly_discount=monthly_discount_rate(v["scenario.discount_rate"]),
        acquisition_cost=v["customers.acquisition_cost_per_customer"],
        prospects=v["customers.prospects"],
        replace_churn=scenario.customers.organic_acquisition == "replace_churn",
        churn_multipliers=np.stack(
            [v[f"experience.churn_multiplier_{c}"] for c in EXPERIENCE_CLASSES], axis=1
        ),
        effect_months=x.effect_months,
        spend_uplift=v["experience.spend_uplift_resolved_fast"],
        spend_uplift_months=x.spend_uplift_months,
        post_share=np.stack([v[f"word_of_mouth.post_share_{c}"] for c in EXPERIENCE_CLASSES], 1),
        positive_share=v["word_of_mouth.public_answer_positive_share"],
        impression_rate=v["word_of_mouth.impression_rate"],
        customer_share=v["word_of_mouth.customer_share_of_audience"],
        acquisition_per_positive=v["word_of_mouth.acquisition_per_positive_impression"],
        churn_per_negative=v["word_of_mouth.churn_per_negative_impression"],
        lost_prospect_per_negative=v["word_of_mouth.lost_prospect_per_negative_impression"],
        reach=WomReach(w.followers_median, w.followers_sigma),
    )


class World:
    """One scenario (program or baseline) being simulated through the months of a block."""

    def __init__(self, scenario: Scenario, values: dict[str, np.ndarray], trials: int) -> None:
        self.scenario = scenario
        self.v = values
        self.trials = trials
        horizon = scenario.scenario.horizon_months
        self.names = list(scenario.channels)
        self.inputs = {c: _channel_inputs(c, scenario, values) for c in self.names}
        self.shifts = {c: shift_pattern(scenario.channels[c]) for c in self.names}
        self.state = {c: QueueState.initial(self.shifts[c], trials) for c in self.names}
        self.customers = CustomerState(_economics_inputs(scenario, values), horizon)
        zeros = np.zeros(trials)
        # Month 1 is seeded with one round of repeats of the first contacts.
        self.repeats = {c: zeros.copy() for c in self.names}
        for c in self.names:
            spec = scenario.channels[c]
            back = self.inputs[c].first_contacts_per_day * (1.0 - self.inputs[c].fcr)
            for target, share in (spec.repeat_channels or {c: 1.0}).items():
                self.repeats[target] += back * share
        self.deflected = {c: zeros.copy() for c in self.names}
        self.books: dict[str, Books | None] = dict.fromkeys(self.names)
        self.repeat_total = {c: zeros.copy() for c in self.names}
        self.months: list[dict[str, ChannelMonth]] = []
        self.lines = {
            name: np.zeros((trials, horizon)) for name in (*LINE_ITEMS_BENEFIT, *LINE_ITEMS_COST)
        }
        self.social = {k: np.zeros(trials) for k in ("public_posts", "positive", "negative")}
        self.agent_hours = {c: agent_hours_per_month(scenario.channels[c]) for c in self.names}

    def load(self, channel: str, plan: MonthPlan) -> ChannelLoad:
        """This world's side of ``channel`` for the month of ``plan``."""
        return ChannelLoad(
            spec=self.scenario.channels[channel],
            inputs=self.inputs[channel],
            plan=plan,
            volume_factor=self.customers.customers / self.customers.econ.customers0,
            repeats_per_day=self.repeats[channel],
            deflected_share=self.deflected[channel],
            state=self.state[channel],
            shifts=self.shifts[channel],
            books=self.books[channel],
        )

    def close_month(
        self, plan: MonthPlan, outcomes: dict[str, ChannelMonth], streams: Streams
    ) -> None:
        """Book the month's contact outcomes: repeats and deflection for next month, money."""
        factor = self.customers.customers / self.customers.econ.customers0
        # What each channel carries into next month; the months kept for the KPIs drop it.
        self.books = {c: out.books for c, out in outcomes.items()}
        self.months.append({c: replace(out, books=None) for c, out in outcomes.items()})
        self.used_repeats = self.repeats
        for c in self.names:
            self.repeat_total[c] += self.repeats[c] * DAYS_PER_MONTH
        self._feedback(outcomes, factor)
        self._money(plan.month, outcomes, streams)

    def _feedback(self, outcomes: dict[str, ChannelMonth], factor: np.ndarray) -> None:
        """Repeats and deflection sent to next month."""
        s, v = self.scenario, self.v
        nxt = {c: np.zeros(self.trials) for c in self.names}
        public_answers = np.zeros(self.trials)
        for c, out in outcomes.items():
            spec = s.channels[c]
            back = out.classes[:, _UNRESOLVED] + v[f"channels.{c}.retry_share"] * (
                out.classes[:, _ABANDONED] + out.classes[:, _IGNORED]
            )
            for target, share in (spec.repeat_channels or {c: 1.0}).items():
                nxt[target] += back * share / DAYS_PER_MONTH
            public_answers += out.public_classes[:, :_ABANDONED].sum(axis=1)
        self.repeats = nxt
        avoided = public_answers * v["deflection.contacts_deflected_per_public_answer"]
        targets = [c for c in s.deflection_channels if c in self.names]
        volume = np.sum([self.inputs[c].first_contacts_per_day * factor for c in targets], axis=0)
        for c in targets:
            first = self.inputs[c].first_contacts_per_day * factor * DAYS_PER_MONTH
            share_of = self.inputs[c].first_contacts_per_day * factor / np.maximum(volume, 1e-12)
            by_answers = np.minimum(0.95, avoided * share_of / np.maximum(first, 1e-12))
            self_service = v["deflection.self_service_share"]
            self.deflected[c] = 1.0 - (1.0 - by_answers) * (1.0 - self_service)

    def _money(self, m: int, outcomes: dict[str, ChannelMonth], streams: Streams) -> None:
        s, v, e = self.scenario, self.v, self.customers.econ
        classes = np.sum([out.classes for out in outcomes.values()], axis=0)
        public = np.sum([out.public_classes for out in outcomes.values()], axis=0)
        uplifted = np.zeros(self.trials)
        for c in s.spend_uplift_channels:
            if c in outcomes:
                uplifted += outcomes[c].classes[:, _FAST]
        self.customers.record_experiences(m, classes, uplifted)
        private = classes - public
        positive = public[:, _FAST] * e.positive_share + private[:, _FAST] * e.post_share[:, _FAST]
        negative = public[:, _UNRESOLVED:].sum(axis=1) + (
            private[:, _SLOW:] * e.post_share[:, _SLOW:]
        ).sum(axis=1)
        # Post counts and tail posts from their own streams, so each world draws just the tail
        # posts it needs and both worlds share their first ones.
        u = (
            streams.rng("word_of_mouth", m, "positive").random(self.trials),
            streams.rng("word_of_mouth", m, "positive tail"),
            streams.rng("word_of_mouth", m, "negative").random(self.trials),
            streams.rng("word_of_mouth", m, "negative tail"),
        )
        pos, neg, won, lost = self.customers.word_of_mouth(positive, negative, u)
        self.social["public_posts"] += public.sum(axis=1)
        self.social["positive"] += pos
        self.social["negative"] += neg
        margin_lines = self.customers.step(m, won, lost)
        for name, values in margin_lines.items():
            self.lines[name][:, m] = values
        first_cost = np.zeros(self.trials)
        repeat_cost = np.zeros(self.trials)
        self_service_cost = np.zeros(self.trials)
        agents = np.zeros(self.trials)
        for c, out in outcomes.items():
            p = f"channels.{c}."
            repeats = self.repeats_share(c, out)
            handled = out.answered * v[p + "variable_cost_per_contact"]
            first_cost += handled * (1.0 - repeats)
            repeat_cost += handled * repeats
            agents += (
                self.agent_hours[c] / (1.0 - v[p + "shrinkage"]) * v[p + "cost_per_agent_hour"]
            )
            first = self.inputs[c].first_contacts_per_day * DAYS_PER_MONTH
            self_service_cost += (
                first
                * self.customers.customers
                / e.customers0
                * (v["deflection.self_service_share"] if c in s.deflection_channels else 0.0)
                * v["deflection.cost_per_self_service_contact"]
            )
        self.lines["deflection_savings"][:, m] = -(first_cost + self_service_cost)
        self.lines["repeat_contact_savings"][:, m] = -repeat_cost
        self.lines["agents"][:, m] = agents
        self.lines["tools"][:, m] = v["program.monthly_tools_cost"]

    def repeats_share(self, channel: str, out: ChannelMonth) -> np.ndarray:
        """Share of the channel's offered contacts this month that were repeats."""
        repeats = self.used_repeats[channel]
        return np.clip(repeats * DAYS_PER_MONTH / np.maximum(out.offered, 1e-12), 0.0, 1.0)

    def finish(self) -> None:
        """Terminal value (optional) and one-off costs."""
        s, e = self.scenario, self.customers.econ
        if s.scenario.include_terminal_value:
            value = clv(e.margin, 1.0 - e.hazard, e.monthly_discount)
            self.lines["terminal_value"][:, -1] = self.customers.customers * value
        self.t0 = {
            "setup": self.v["program.setup_cost"],
            "training": self.v["program.training_cost"],
        }

    def kpis(self) -> dict[str, np.ndarray]:
        """Horizon KPIs per channel and social metrics, per trial."""
        out: dict[str, np.ndarray] = {}
        horizon = len(self.months)
        with np.errstate(invalid="ignore", divide="ignore"):
            for c in self.names:
                spec = self.scenario.channels[c]
                total = {
                    f: sum(getattr(mo[c], f) for mo in self.months)
                    for f in (
                        "offered",
                        "answered",
                        "unanswered",
                        "within_sla",
                        "wait_sum_s",
                        "busy_slot_s",
                        "available_slot_s",
                    )
                }
                classes = np.sum([mo[c].classes for mo in self.months], axis=0)
                p90 = np.stack([mo[c].response_p90_s for mo in self.months], axis=1)
                cost = (
                    self.agent_hours[c]
                    * horizon
                    / (1.0 - self.v[f"channels.{c}.shrinkage"])
                    * self.v[f"channels.{c}.cost_per_agent_hour"]
                )
                out[f"{c}.service_level"] = total["within_sla"] / total["offered"]
                out[f"{c}.abandonment"] = total["unanswered"] / total["offered"]
                out[f"{c}.asa_seconds"] = total["wait_sum_s"] / total["answered"]
                seen = np.isfinite(p90)
                out[f"{c}.response_p90_hours"] = (
                    np.where(seen, p90, 0.0).sum(axis=1) / seen.sum(axis=1) / 3600.0
                )
                # Busy over on-duty slot time of the same sampled days: ≤ 1 (model/books.py).
                out[f"{c}.occupancy"] = total["busy_slot_s"] / total["available_slot_s"]
                out[f"{c}.fcr"] = classes[:, :_UNRESOLVED].sum(axis=1) / total["answered"]
                out[f"{c}.cost_per_contact"] = cost / total["answered"]
                out[f"{c}.offered_per_month"] = total["offered"] / horizon
                out[f"{c}.answered_per_month"] = total["answered"] / horizon
                out[f"{c}.repeats_per_month"] = self.repeat_total[c] / horizon
                paid = self.agent_hours[c] / (1.0 - self.v[f"channels.{c}.shrinkage"])
                out[f"{c}.paid_hours_per_month"] = np.broadcast_to(paid, (self.trials,)).copy()
                out[f"{c}.busy_hours_per_month"] = (
                    total["busy_slot_s"] / 3600.0 / spec.concurrency / horizon
                )
                out[f"{c}.backlog_at_month_end"] = (
                    np.sum([mo[c].backlog_end for mo in self.months], axis=0) / horizon
                )
            pos, neg = self.social["positive"], self.social["negative"]
            out["public_posts"] = self.social["public_posts"] / horizon
            out["impressions"] = (pos + neg) / horizon
            out["sentiment"] = (pos - neg) / (pos + neg)
            out["customers_at_horizon"] = self.customers.customers.copy()
        return out


def simulate_block(
    loaded: LoadedScenario, *, entropy: int, block: int, trials: int, engine: str = "vectorized"
) -> BlockResult:
    """Simulate ``trials`` trials of block ``block`` of a run seeded with ``entropy``.

    The result depends only on (scenario, entropy, block, trials, engine): never on which process
    runs it, so any executor gives bit-identical results.
    """
    streams = Streams(entropy, block)
    scenarios = {"program": loaded.program}
    if loaded.baseline is not None:
        scenarios["baseline"] = loaded.baseline
    drawn = {key: draw_inputs(sc, trials, streams) for key, sc in scenarios.items()}
    # Trials are simulated largest customer base first (both worlds in one order): a day's
    # contact slots then fall roughly along the trials, and the padding beyond each trial's last
    # contact is mostly skipped (draws.staircase). Results come back in trial order; a
    # trial's per-contact draws belong to its place in this order.
    order = volume_order(drawn["program"])
    worlds = {
        key: World(sc, {k: v[order] for k, v in drawn[key].items()}, trials)
        for key, sc in scenarios.items()
    }
    horizon = loaded.program.scenario.horizon_months
    plans = {}
    for key, world in worlds.items():
        sc = world.scenario
        events = [
            (ev.start_month - 1, ev.days, ev.channels, world.v[f"events.{i}.volume_multiplier"])
            for i, ev in enumerate(sc.events)
        ]
        plans[key] = month_plans(
            horizon, sc.simulation.sampled_days_per_month, events, trials, world.names
        )
    channels = list(dict.fromkeys(c for world in worlds.values() for c in world.names))
    for m in range(horizon):
        outcomes: dict[str, dict[str, ChannelMonth]] = {key: {} for key in worlds}
        for c in channels:
            keys = [key for key, world in worlds.items() if c in world.names]
            loads = [worlds[key].load(c, plans[key][m]) for key in keys]
            done = simulate_channel_month(c, loads, streams=streams, engine=engine)
            for key, (outcome, state) in zip(keys, done, strict=True):
                outcomes[key][c] = outcome
                worlds[key].state[c] = state
        for key, world in worlds.items():
            world.close_month(plans[key][m], outcomes[key], streams)
    for world in worlds.values():
        world.finish()
    program = worlds["program"]
    baseline = worlds.get("baseline")

    def delta(line: str) -> np.ndarray:
        value = program.lines[line]
        return value - baseline.lines[line] if baseline is not None else value

    def delta0(line: str) -> np.ndarray:
        value = program.t0[line]
        return value - baseline.t0[line] if baseline is not None else value

    months = np.arange(1, horizon + 1)[None, :]
    discount = (1.0 + program.customers.econ.monthly_discount[:, None]) ** -months
    pv: dict[str, np.ndarray] = {}
    benefits_by_month = np.zeros((trials, horizon))
    costs_by_month = np.zeros((trials, horizon))
    for line in LINE_ITEMS_BENEFIT:
        flow = delta(line)
        pv[line] = (flow * discount).sum(axis=1)
        benefits_by_month += flow
    for line in LINE_ITEMS_COST:
        if line in program.t0:
            flow0 = delta0(line)
            pv[line] = flow0.copy()
        else:
            flow = delta(line)
            pv[line] = (flow * discount).sum(axis=1)
            costs_by_month += flow
    pv_benefits = np.sum([pv[line] for line in LINE_ITEMS_BENEFIT], axis=0)
    pv_costs = np.sum([pv[line] for line in LINE_ITEMS_COST], axis=0)
    npv = pv_benefits - pv_costs
    with np.errstate(invalid="ignore", divide="ignore"):
        roi = np.where(pv_costs > 0, npv / np.where(pv_costs > 0, pv_costs, 1.0), np.nan)
    t0 = -np.sum([delta0(line) for line in program.t0], axis=0)
    net_by_month = np.concatenate([np.asarray(t0)[:, None], benefits_by_month - costs_by_month], 1)
    # Payback: the month from which the cumulative net cash flow stays ≥ 0 to the horizon
    # (0 if it never dips below zero; NaN if it is still negative at the horizon).
    cumulative = np.cumsum(net_by_month, axis=1)
    negative = cumulative < 0
    last_negative = horizon - np.argmax(negative[:, ::-1], axis=1)  # its column (0 = t0)
    payback = np.where(
        negative[:, -1], np.nan, np.where(negative.any(axis=1), last_negative + 1, 0)
    ).astype(float)
    kpis = {f"program.{k}": x for k, x in program.kpis().items()}
    if baseline is not None:
        kpis.update({f"baseline.{k}": x for k, x in baseline.kpis().items()})
    uncertain = loaded.program.uncertain_inputs()
    back = np.argsort(order)
    return BlockResult(
        roi=roi[back],
        npv=npv[back],
        payback_months=payback[back],
        pv_benefits=np.asarray(pv_benefits)[back],
        pv_costs=np.asarray(pv_costs)[back],
        pv={k: x[back] for k, x in pv.items()},
        kpis={k: x[back] for k, x in kpis.items()},
        net_by_month=net_by_month[back],
        inputs={k: drawn["program"][k] for k in uncertain},
    )


def volume_order(values: dict[str, np.ndarray]) -> np.ndarray:
    """Trials by their number of customers, largest first (stable): a proxy for volume.

    Customers set every channel's volume and are drawn from their own stream, so any scenario
    that leaves the customers input alone — or changes it monotonically (other low/high) — orders
    its trials alike: compared scenarios and sweep points keep their trials at the same places
    and so share every contact, whatever they change in contact rates, staffing or money.
    """
    return np.argsort(-np.asarray(values["customers.active_customers"], dtype=float), kind="stable")
