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

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from simroi.model.books import Books
from simroi.model.calendar import (
    DAY,
    DAYS_PER_MONTH,
    MonthPlan,
    agent_hours_per_month,
    month_plans,
    shift_pattern,
)
from simroi.model.contacts import ChannelLoad, forecast_contacts_per_day, simulate_channel_month
from simroi.model.economics import (
    LINE_ITEMS_BENEFIT,
    LINE_ITEMS_COST,
    CustomerState,
    judged_classes,
    return_on_costs,
)
from simroi.model.inputs import channel_inputs, draw_inputs, economics_inputs, volume_order
from simroi.model.kernels import use_threads
from simroi.model.lifetime import customer_equity, lifetime_returns
from simroi.model.monthly import channel_month_metrics, stack_months
from simroi.model.outcomes import ChannelMonth
from simroi.model.response import replies_by_band
from simroi.model.staffing import RuleStaffing
from simroi.queueing.engines import normalize_engine
from simroi.queueing.roster import TrialShiftPattern, reseat
from simroi.queueing.shifts import QueueState, ShiftPattern
from simroi.randomness import Streams
from simroi.scenario.load import LoadedScenario
from simroi.scenario.spec import EXPERIENCE_CLASSES, Scenario

__all__ = ["BlockResult", "World", "draw_inputs", "simulate_block", "volume_order"]

_FAST, _SLOW, _UNRESOLVED, _ABANDONED, _IGNORED = range(len(EXPERIENCE_CLASSES))


@dataclass(frozen=True)
class BlockResult:
    """Per-trial outputs of one block (every array has the block's trials on axis 0).

    ``pv`` holds the present value of each incremental line item; ``kpis`` maps
    ``"<scenario>.<channel>.<kpi>"`` or ``"<scenario>.<metric>"`` to per-trial values over the
    horizon; ``net_by_month`` is the incremental net cash flow per month, t0 first
    (trials, horizon + 1); ``inputs`` the program's uncertain inputs. ``lifetime`` holds the
    lifetime view's ``npv`` and ``roi`` (:mod:`simroi.model.lifetime`); ``monthly`` maps
    ``"<scenario>.<channel>.<kpi>"``, ``"<scenario>.customers"``, ``"customers_kept"``,
    ``"net_cash_flow"`` and ``"cumulative_net_cash_flow"`` to (trials, horizon) float32 arrays,
    month 1 first (:mod:`simroi.model.monthly`).
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
    lifetime: dict[str, np.ndarray] = field(default_factory=dict)
    monthly: dict[str, np.ndarray] = field(default_factory=dict)


class World:
    """One scenario (program or baseline) being simulated through the months of a block."""

    def __init__(
        self,
        scenario: Scenario,
        values: dict[str, np.ndarray],
        trials: int,
        tables: dict[object, np.ndarray] | None = None,
        engine: str = "numpy",
    ) -> None:
        self.scenario = scenario
        # The compiled engine builds a rule's monthly roster table with its kernel (same bits).
        self.compiled = normalize_engine(engine) == "compiled"
        self.v = values
        self.trials = trials
        horizon = scenario.scenario.horizon_months
        self.names = list(scenario.channels)
        self.inputs = {c: channel_inputs(c, scenario, values) for c in self.names}
        fixed = {c: shift_pattern(scenario.channels[c]) for c in self.names}
        # A channel staffed by rule gets a roster per trial each month (_staff).
        self.shifts: dict[str, ShiftPattern | TrialShiftPattern] = dict(fixed)
        self.state = {c: QueueState.initial(fixed[c], trials) for c in self.names}
        self.customers = CustomerState(economics_inputs(scenario, values), horizon)
        zeros = np.zeros(trials)
        # Month 1 is seeded with one round of repeats of the first contacts.
        self.repeats = {c: zeros.copy() for c in self.names}
        for c in self.names:
            spec = scenario.channels[c]
            back = self.inputs[c].first_contacts_per_day * (1.0 - self.inputs[c].fcr)
            for target, share in (spec.repeat_channels or {c: 1.0}).items():
                self.repeats[target] += back * share
        self.deflected = {c: zeros.copy() for c in self.names}
        # Share of each channel's first contacts (after self-service) that public answers deflect.
        self.by_answers = {c: zeros.copy() for c in self.names}
        self.books: dict[str, Books | None] = dict.fromkeys(self.names)
        self.repeat_total = {c: zeros.copy() for c in self.names}
        self.months: list[dict[str, ChannelMonth]] = []
        self.lines = {
            name: np.zeros((trials, horizon)) for name in (*LINE_ITEMS_BENEFIT, *LINE_ITEMS_COST)
        }
        self.social = {k: np.zeros(trials) for k in ("public_posts", "positive", "negative")}
        self.agent_hours = {c: agent_hours_per_month(scenario.channels[c]) for c in self.names}
        # Channels staffed by rule: agents per trial and month (simroi.model.staffing).
        self.rules = {
            c: RuleStaffing(scenario.channels[c], self.inputs[c], tables, c)
            for c in self.names
            if scenario.channels[c].staffing_rule is not None
        }
        self.on_queue_hours = {c: np.zeros((trials, horizon)) for c in self.rules}
        self.agent_cost = {c: np.zeros((trials, horizon)) for c in self.names}
        self.customers_by_month: list[np.ndarray] = []  # (trials,) at each month's end

    def paid_hours(self, channel: str, month: int) -> np.ndarray:
        """Paid agent hours of ``channel`` in ``month`` (0-based), per trial (trials,).

        On-queue hours / (1 − shrinkage): the fixed team's hours, or the hours the staffing
        rule set for the month. The agents and agent cost are read through here (occupancy is
        busy over the slot time on duty in the sampled days: :mod:`simroi.model.books`).
        """
        shrinkage = self.v[f"channels.{channel}.shrinkage"]
        if channel in self.rules:
            return self.on_queue_hours[channel][:, month] / (1.0 - shrinkage)
        return self.agent_hours[channel] / (1.0 - shrinkage)

    def load(self, channel: str, plan: MonthPlan) -> ChannelLoad:
        """This world's side of ``channel`` for the month of ``plan``."""
        factor = self.customers.customers / self.customers.econ.customers0
        if channel in self.rules:
            self._staff(channel, plan, factor)
        return ChannelLoad(
            spec=self.scenario.channels[channel],
            inputs=self.inputs[channel],
            plan=plan,
            volume_factor=factor,
            repeats_per_day=self.repeats[channel],
            deflected_share=self.deflected[channel],
            state=self.state[channel],
            shifts=self.shifts[channel],
            books=self.books[channel],
        )

    def _staff(self, channel: str, plan: MonthPlan, factor: np.ndarray) -> None:
        """Size the month's roster of a channel staffed by rule to this world's forecast at the
        customer base's volume ``factor`` (trials,)."""
        rule = self.rules[channel]
        forecast = forecast_contacts_per_day(
            self.inputs[channel], factor, self.deflected[channel], self.repeats[channel]
        )
        agents = rule.shifts(rule.agents(forecast))
        roster = rule.roster(agents)
        if self.compiled:
            from simroi.queueing.compiled_roster import day_grid  # numba: compiled runs only

            roster.span_table(day_grid)
        t0 = float(plan.day_index[0]) * DAY
        self.state[channel] = reseat(self.state[channel], self.shifts[channel], roster, t0)
        self.shifts[channel] = roster
        self.on_queue_hours[channel][:, plan.month] = rule.on_queue_hours_per_month(agents)

    def close_month(
        self, plan: MonthPlan, outcomes: dict[str, ChannelMonth], streams: Streams
    ) -> None:
        """Book the month's contact outcomes: repeats and deflection for next month, money."""
        factor = self.customers.customers / self.customers.econ.customers0
        # What each channel carries into next month; the months kept for the KPIs drop it.
        self.books = {c: out.books for c, out in outcomes.items()}
        self.months.append({c: replace(out, books=None) for c, out in outcomes.items()})
        self.used_repeats = self.repeats
        used_by_answers = self.by_answers
        volume = {c: self.inputs[c].first_contacts_per_day * factor for c in self.names}
        for c in self.names:
            self.repeat_total[c] += self.repeats[c] * DAYS_PER_MONTH
        self._feedback(outcomes, factor)
        self._money(plan.month, outcomes, streams, volume, used_by_answers)
        self.customers_by_month.append(self.customers.customers.copy())

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
            self.by_answers[c] = by_answers
            self.deflected[c] = 1.0 - (1.0 - by_answers) * (1.0 - self_service)

    def _money(
        self,
        m: int,
        outcomes: dict[str, ChannelMonth],
        streams: Streams,
        volume: dict[str, np.ndarray],
        by_answers: dict[str, np.ndarray],
    ) -> None:
        """Book the month's money lines.

        ``volume`` is each channel's first contacts per day at the month's customer base and
        ``by_answers`` the share of them (after self-service) that public answers deflected this
        month. Contact costs are costs: ``contact_handling`` is the variable cost of every contact
        handled plus self-service, *gross* of deflection (as if the contacts public answers
        deflected had been handled), and ``deflection_savings`` is the cost of those deflected
        contacts — the ones that would have been answered at the channel's answered share — so it
        is never negative while the net of the two lines is the contacts actually paid for.
        """
        s, v, e = self.scenario, self.v, self.customers.econ
        x = s.experience
        classes = np.sum([out.classes for out in outcomes.values()], axis=0)
        public = np.sum([out.public_classes for out in outcomes.values()], axis=0)
        # Channels with a response-time curve value their resolved replies by band instead.
        replies = replies_by_band(outcomes, e.response_values, self.trials)
        uplifted = np.zeros(self.trials)
        for c in s.spend_uplift_channels:
            if c in outcomes and c not in replies.channels:
                uplifted += outcomes[c].classes[:, _FAST]
        judged = np.sum(
            [
                judged_classes(out.classes, v[f"channels.{c}.retry_share"], x.retry_outcome)
                for c, out in outcomes.items()
            ],
            axis=0,
        )
        # Resolved replies on channels with a curve are valued by band (replies.bands).
        self.customers.record_experiences(m, judged - replies.classes, uplifted, replies.bands)
        private = classes - public
        public_fast = (public - replies.public_classes)[:, _FAST]
        positive = (
            public_fast * e.positive_share
            + private[:, _FAST] * e.post_share[:, _FAST]
            + replies.positive_posts
        )
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
            self.agent_cost[c][:, m] = self.paid_hours(c, m) * v[p + "cost_per_agent_hour"]
            agents += self.agent_cost[c][:, m]
            first = self.inputs[c].first_contacts_per_day * DAYS_PER_MONTH
            self_service_cost += (
                first
                * self.customers.customers
                / e.customers0
                * (v["deflection.self_service_share"] if c in s.deflection_channels else 0.0)
                * v["deflection.cost_per_self_service_contact"]
            )
        avoided_cost = np.zeros(self.trials)
        self_service = v["deflection.self_service_share"]
        for c, share in by_answers.items():
            out = outcomes[c]
            answered_share = out.answered / np.maximum(out.offered, 1e-12)
            kept = 1.0 - self_service if c in s.deflection_channels else 1.0
            avoided = volume[c] * DAYS_PER_MONTH * kept * share
            avoided_cost += avoided * answered_share * v[f"channels.{c}.variable_cost_per_contact"]
        self.lines["deflection_savings"][:, m] = avoided_cost
        self.lines["contact_handling"][:, m] = first_cost + self_service_cost + avoided_cost
        self.lines["repeat_contact_savings"][:, m] = -repeat_cost
        self.lines["agents"][:, m] = agents
        self.lines["tools"][:, m] = v["program.monthly_tools_cost"]

    def repeats_share(self, channel: str, out: ChannelMonth) -> np.ndarray:
        """Share of the channel's offered contacts this month that were repeats."""
        repeats = self.used_repeats[channel]
        return np.clip(repeats * DAYS_PER_MONTH / np.maximum(out.offered, 1e-12), 0.0, 1.0)

    def finish(self) -> None:
        """Terminal value (optional) and one-off costs."""
        s = self.scenario
        if s.scenario.include_terminal_value:
            value = self.customers.customer_value
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
                paid = np.sum([self.paid_hours(c, m) for m in range(horizon)], axis=0)
                cost = paid * self.v[f"channels.{c}.cost_per_agent_hour"]
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
                out[f"{c}.paid_hours_per_month"] = paid / horizon
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

    def monthly(self) -> dict[str, np.ndarray]:
        """Month-by-month KPIs per channel and the customer base, (trials, horizon) float32.

        Keys ``"<channel>.<kpi>"`` (:func:`simroi.model.monthly.channel_month_metrics`) and
        ``"customers"`` (at each month's end).
        """
        by_month = []
        for m, outcomes in enumerate(self.months):
            row: dict[str, np.ndarray] = {}
            for c in self.names:
                p = f"channels.{c}."
                metrics = channel_month_metrics(
                    outcomes[c],
                    self.paid_hours(c, m),
                    cost_per_agent_hour=self.v[p + "cost_per_agent_hour"],
                )
                row.update({f"{c}.{k}": x for k, x in metrics.items()})
            row["customers"] = self.customers_by_month[m]
            by_month.append(row)
        return stack_months(by_month)


def simulate_block(
    loaded: LoadedScenario,
    *,
    entropy: int,
    block: int,
    trials: int,
    engine: str = "compiled",
    threads: Callable[[], int] | None = None,
) -> BlockResult:
    """Simulate ``trials`` trials of block ``block`` of a run seeded with ``entropy``.

    The result depends only on (scenario, entropy, block, trials, engine): never on which process
    runs it, so any executor gives bit-identical results. ``threads()``, if given, is asked
    before each month how many threads the compiled kernels may use for it (a worker process
    takes the cores the others leave idle); it changes no result, only speed.
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
    tables: dict[object, np.ndarray] = {}
    worlds = {
        # the worlds of a block share their staffing rules' Erlang A tables where they agree
        key: World(sc, {k: v[order] for k, v in drawn[key].items()}, trials, tables, engine)
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
        if threads is not None:
            use_threads(engine, threads())
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

    split = _staffing_split(program, baseline)

    def delta(line: str) -> np.ndarray:
        if line in split:
            return split[line]
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
    roi = return_on_costs(npv, pv_costs)
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
    equity = {key: customer_equity(w.customers, horizon) for key, w in worlds.items()}
    lifetime_npv, lifetime_roi = lifetime_returns(
        npv, pv_costs, pv["terminal_value"], equity["program"], equity.get("baseline", 0.0)
    )
    monthly = {f"{key}.{k}": x for key, w in worlds.items() for k, x in w.monthly().items()}
    kept = program.customers_by_month
    if baseline is not None:
        kept = [a - b for a, b in zip(kept, baseline.customers_by_month, strict=True)]
    monthly["customers_kept"] = np.stack(kept, axis=1).astype(np.float32)
    monthly["net_cash_flow"] = net_by_month[:, 1:].astype(np.float32)
    monthly["cumulative_net_cash_flow"] = cumulative[:, 1:].astype(np.float32)
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
        lifetime={"npv": lifetime_npv[back], "roi": lifetime_roi[back]},
        monthly={k: x[back] for k, x in monthly.items()},
    )


def _staffing_split(program: World, baseline: World | None) -> dict[str, np.ndarray]:
    """Agent cost and staffing savings, when agents follow a forecast (else nothing to split).

    With a staffing rule the baseline may pay for more agents than the program on some channel
    (say, phone calls from ignored social posts): per channel and month, what the program pays
    beyond the baseline is agent cost, what it pays less is a staffing saving (a benefit), so
    neither line nets the other. Fixed teams keep the single net line, bit for bit.
    """
    if baseline is None or not (program.rules or baseline.rules):
        return {}
    zeros = np.zeros_like(program.lines["agents"])
    cost, saved = zeros.copy(), zeros.copy()
    for c in dict.fromkeys([*program.names, *baseline.names]):
        change = program.agent_cost.get(c, zeros) - baseline.agent_cost.get(c, zeros)
        cost += np.maximum(change, 0.0)
        saved += np.maximum(-change, 0.0)
    return {"agents": cost, "staffing_savings": saved}
