"""The scenario: every input of one simulated world, typed, validated and frozen.

A scenario file (TOML, ``schema_version = 1``) is parsed once, by :mod:`simroi.scenario.load`, into
a
:class:`Scenario`; nothing past the loader sees a raw dictionary. Units live in key names
(``handle_time_minutes``, ``cost_per_agent_hour``, ``monthly_churn``). Any number may be a plain
value or an uncertain input (see :mod:`simroi.scenario.distributions`), sampled once per trial.

The sections mirror the model of DESIGN.md §4: ``[scenario]`` (name, horizon, discount rate,
baseline), ``[simulation]``, ``[customers]``, ``[channels.<name>]`` (an open set), ``[experience]``
(how each service outcome changes churn and spend), ``[word_of_mouth]``, ``[deflection]``,
``[program]`` (its costs), ``[[events]]`` (volume shocks), ``[[objectives]]``,
``[[correlations]]`` and ``[[orderings]]``. A program's baseline is another file or an inline
``[baseline]`` table of overrides; the loader resolves it into a second :class:`Scenario`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from simroi.limits import MAX_BLOCK_SIZE, MAX_TRIALS
from simroi.randomness import DEFAULT_BLOCK_SIZE
from simroi.scenario.profile import (
    DEFAULT_INTRADAY_PROFILE,
    DEFAULT_WEEKDAY_FACTORS,
    Concentration,
    ProfileMinutes,
    ProfileWeights,
    profile_problems,
)
from simroi.scenario.quantity import Distribution, Quantity, as_distribution
from simroi.scenario.response import ResponseBandSpec, band_problems
from simroi.scenario.staffing import Agents, StaffingRuleSpec
from simroi.scenario.whole import WholeNumber
from simroi.weekdays import WEEKDAYS, Weekday

__all__ = [
    "CHANNEL_KPIS",
    "DEFAULT_INTRADAY_PROFILE",
    "DEFAULT_WEEKDAY_FACTORS",
    "EXPERIENCE_CLASSES",
    "RESULT_METRICS",
    "ChannelSpec",
    "CorrelationSpec",
    "CustomersSpec",
    "DeflectionSpec",
    "EventSpec",
    "ExperienceSpec",
    "HoursSpec",
    "ObjectiveSpec",
    "OrderingSpec",
    "ProgramSpec",
    "Scenario",
    "ScenarioFile",
    "ScenarioMeta",
    "SimulationSpec",
    "StaffingInterval",
    "StaffingRuleSpec",
    "WordOfMouthSpec",
    "assumptions",
    "clock_seconds",
]

#: Every contact ends in one of these classes; the economics maps each to churn, spend and WOM.
EXPERIENCE_CLASSES = ("resolved_fast", "resolved_slow", "unresolved", "abandoned", "ignored")

#: Per-channel KPIs an objective may name as ``<channel>.<kpi>``.
CHANNEL_KPIS = (
    "service_level",
    "abandonment",
    "asa_seconds",
    "response_p90_hours",
    "occupancy",
    "fcr",
    "cost_per_contact",
)
#: Run-level metrics an objective may name.
RESULT_METRICS = ("roi", "npv", "payback_months", "sentiment", "public_posts", "impressions")

_CLOCK = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")


def clock_seconds(text: str) -> int:
    """Seconds after midnight of a ``"HH:MM"`` clock time (``"24:00"`` is the end of the day)."""
    match = _CLOCK.match(text)
    if match is None or (match.group(1) == "24" and match.group(2) != "00"):
        raise ValueError(f'must be a clock time "HH:MM" between 00:00 and 24:00 (got {text!r})')
    return int(match.group(1)) * 3600 + int(match.group(2)) * 60


class _Spec(BaseModel):
    """Strict, frozen base: unknown keys are errors, values never change after loading."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, allow_inf_nan=False)


class ScenarioMeta(_Spec):
    """``[scenario]``: what this scenario is and how money is counted."""

    name: str = Field(min_length=1)
    description: str = ""
    horizon_months: WholeNumber = Field(
        36, ge=1, le=600, description="months of cash flows (TEI: 36)"
    )
    currency: str = Field("USD", min_length=1, max_length=8)
    discount_rate: Quantity = Field(0.10, description="annual discount rate, e.g. 0.10")
    baseline: str | None = Field(
        None, description="path (relative to this file) of the baseline scenario file"
    )
    include_terminal_value: bool = Field(
        False,
        description="add the CLV of the extra customers alive at the horizon (off: TEI practice)",
    )


class SimulationSpec(_Spec):
    """``[simulation]``: how many trials and how the horizon is sampled."""

    trials: WholeNumber = Field(1000, ge=1, le=MAX_TRIALS)
    block_size: WholeNumber = Field(
        DEFAULT_BLOCK_SIZE, ge=1, le=MAX_BLOCK_SIZE, description="trials per block (fixed per run)"
    )
    sampling: Literal["lhs", "mc"] = "lhs"
    sampled_days_per_month: WholeNumber = Field(
        2,
        ge=1,
        le=31,
        description="days simulated per month and scaled to the month (30.44 days)",
    )


class CustomersSpec(_Spec):
    """``[customers]``: the customer base whose retention and spending the service changes."""

    active_customers: Quantity
    monthly_margin_per_customer: Quantity = Field(description="contribution margin per month")
    monthly_churn: Quantity = Field(description="probability an average customer leaves in a month")
    prospects: Quantity = Field(0.0, description="people reachable by word of mouth")
    acquisition_cost_per_customer: Quantity = Field(
        0.0,
        description="cost of acquiring and onboarding a customer won by word of mouth "
        "(referral reward, welcome offer, onboarding); netted from the word-of-mouth line",
    )
    organic_acquisition: Literal["replace_churn", "none"] = Field(
        "replace_churn",
        description="replace_churn: marketing replaces baseline churn, so the base is flat "
        "without service effects",
    )


class HoursSpec(_Spec):
    """Opening hours: when agents work (and, for real-time channels, when customers can call)."""

    open: str = "08:00"
    close: str = "20:00"
    days: list[Weekday] = Field(default_factory=lambda: list(WEEKDAYS), min_length=1)

    @model_validator(mode="after")
    def _order(self) -> Self:
        if clock_seconds(self.open) >= clock_seconds(self.close):
            raise ValueError(
                f"open must be before close (got open={self.open}, close={self.close})"
            )
        return self


class StaffingInterval(_Spec):
    """One interval of a staffing schedule: ``agents`` on queue from ``start`` to ``end`` daily."""

    start: str
    end: str
    agents: Agents

    @model_validator(mode="after")
    def _order(self) -> Self:
        if clock_seconds(self.start) >= clock_seconds(self.end):
            raise ValueError(f"start must be before end (got start={self.start}, end={self.end})")
        return self


class ChannelSpec(_Spec):
    """``[channels.<name>]``: one contact channel, its demand, capacity, service and cost."""

    kind: Literal["realtime", "deferrable"] = Field(
        description="realtime: customers wait on line and abandon (phone, chat); deferrable: a "
        "backlog worked in opening hours, judged by response time (email, social)"
    )
    contacts_per_customer_per_year: Quantity
    hours: HoursSpec = Field(default_factory=HoursSpec)
    agents: Agents | None = Field(None, description="agents on queue during opening hours")
    staffing: list[StaffingInterval] | None = Field(None, description="agents by time of day")
    staffing_rule: StaffingRuleSpec | None = Field(
        None, description="agents sized to the forecast load per trial and month"
    )
    shrinkage: Quantity = Field(0.0, description="share of paid time not on queue (0-0.9)")
    cost_per_agent_hour: Quantity = Field(description="loaded cost per paid hour")
    handle_time_minutes: Quantity
    handle_time_cv: Quantity = 1.0
    handle_time_dist: Literal["exponential", "lognormal", "gamma"] = "lognormal"
    patience_minutes: Quantity | None = Field(None, description="realtime: mean patience")
    patience_dist: Literal["exponential", "weibull", "lognormal"] = "exponential"
    patience_shape: Quantity = Field(1.0, description="weibull shape or lognormal sigma, 0.01-20")
    sla_seconds: float | None = Field(None, gt=0, description="realtime service-level threshold")
    sla_hours: float | None = Field(None, gt=0, description="deferrable response-time SLA")
    ignore_after_hours: Quantity | None = Field(
        None, description="deferrable: a contact not picked up within this is dropped (ignored)"
    )
    concurrency: WholeNumber = Field(
        1, ge=1, le=12, description="conversations an agent holds at once"
    )
    concurrency_speedup_alpha: Quantity = Field(
        1.0, description="capacity of k slots = k**alpha (1: no slowdown)"
    )
    fcr: Quantity = Field(description="first-contact resolution: share of answered resolved")
    public_share: Quantity = Field(0.0, description="share of contacts that are public posts")
    variable_cost_per_contact: Quantity = Field(
        0.0, description="per-contact cost besides agent time (telephony, per-ticket licences)"
    )
    repeat_channels: dict[str, float] | None = Field(
        None, description="where unresolved contacts come back (shares, sum 1); default: same"
    )
    retry_share: Quantity = Field(
        0.5, description="share of abandoned or ignored contacts that come back as a repeat"
    )
    intraday_profile_minutes: ProfileMinutes = Field(
        60, description="length of intraday_profile's intervals in minutes (a divisor of 60)"
    )
    intraday_profile: ProfileWeights | None = Field(
        None, description="arrival weights, one per interval of the day from midnight"
    )
    intraday_profile_concentration: Concentration | None = Field(
        None, description="how sure the profile is: shares per trial ~ Dirichlet(this × shares)"
    )
    weekday_factors: list[float] | None = Field(None, min_length=7, max_length=7)
    weekday_factors_concentration: Concentration | None = Field(
        None,
        description="how sure the factors are: week's shares per trial ~ Dirichlet(this × shares)",
    )
    busyness_cv: Quantity = Field(0.15, description="day-to-day volume variation (gamma cv)")
    response_value: list[ResponseBandSpec] | None = Field(
        None,
        min_length=1,
        description="what a resolved reply is worth by response-time band, fastest first "
        "(replaces the fast/slow split for this channel)",
    )

    @field_validator("response_value")
    @classmethod
    def _bands(cls, bands: list[ResponseBandSpec] | None) -> list[ResponseBandSpec] | None:
        problems = band_problems(bands or [])
        if problems:
            raise ValueError("; ".join(problems))
        return bands

    @model_validator(mode="after")
    def _shape(self) -> Self:
        problems = []
        given = [k for k in ("agents", "staffing", "staffing_rule") if getattr(self, k) is not None]
        if len(given) != 1:
            problems.append(
                "give exactly one of agents, staffing or staffing_rule "
                f"(got {', '.join(given) or 'none'})"
            )
        rule = self.staffing_rule
        if rule is not None and rule.realtime != (self.kind == "realtime"):
            target = (
                "target_service_level is"
                if rule.realtime
                else "target_occupancy and target_answered_within_hours are"
            )
            problems.append(
                f"staffing_rule: {target} for "
                f"{'realtime' if rule.realtime else 'deferrable'} channels (got kind={self.kind})"
            )
        if self.kind == "realtime":
            if self.patience_minutes is None:
                problems.append("a realtime channel needs patience_minutes")
            if self.sla_hours is not None or self.ignore_after_hours is not None:
                problems.append("sla_hours and ignore_after_hours are for deferrable channels")
        else:
            if self.patience_minutes is not None or self.sla_seconds is not None:
                problems.append("patience_minutes and sla_seconds are for realtime channels")
        if self.repeat_channels is not None:
            total = sum(self.repeat_channels.values())
            if abs(total - 1.0) > 1e-9 or any(v < 0 for v in self.repeat_channels.values()):
                problems.append(
                    f"repeat_channels shares must be ≥ 0 and sum to 1 (got sum {total:g})"
                )
        opening = (clock_seconds(self.hours.open), clock_seconds(self.hours.close))
        problems += profile_problems(
            self.intraday_profile,
            self.intraday_profile_minutes,
            opening=opening if self.kind == "realtime" else None,
        )
        values = self.weekday_factors
        if values is not None and (min(values) < 0 or sum(values) <= 0):
            problems.append("weekday_factors must be ≥ 0 with a positive sum")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def sla_threshold_seconds(self) -> float:
        """The service-level threshold in seconds (20 s phone and 1 h deferrable by default)."""
        if self.kind == "realtime":
            return self.sla_seconds if self.sla_seconds is not None else 20.0
        return (self.sla_hours if self.sla_hours is not None else 1.0) * 3600.0

    @property
    def band_edges_seconds(self) -> tuple[float, ...]:
        """Upper edges of the response-value bands but the last, in seconds (empty: no curve)."""
        bands = self.response_value or []
        return tuple(b.within_minutes * 60.0 for b in bands if b.within_minutes is not None)

    @property
    def max_agents(self) -> int:
        """Most agents on queue at any time (a staffing rule: its ``max_agents``, if any, else
        at least one)."""
        if self.staffing_rule is not None:
            cap = self.staffing_rule.max_agents
            return max(cap if cap is not None else 1, self.staffing_rule.min_agents)
        if self.staffing is not None:
            return max((s.agents for s in self.staffing), default=0)
        return self.agents or 0


class ExperienceSpec(_Spec):
    """``[experience]``: what each contact's outcome does to the customer.

    Churn multipliers scale the customer's monthly churn hazard for ``effect_months``. Good
    recovery restores baseline churn and does not beat it (the service-recovery paradox lifts
    satisfaction, not repurchase: de Matos, Henrique & Rossi 2007), so every multiplier is ≥ 1.
    A contact is "fast" when it is answered within its channel's SLA threshold. A channel with a
    ``response_value`` curve values its resolved replies by response-time band instead
    (:mod:`simroi.scenario.response`).

    Retries (``retry_outcome``): an unresolved contact always counts as "unresolved" — the
    effort of coming back — and its repeat contact counts as its own contact. Under "final"
    (the default) an abandoned or ignored customer who retries (``channels.*.retry_share``) is
    treated the same way: the failed contact is charged as "unresolved" (the effort) instead of
    its own class, and the retry counts with whatever outcome it gets. Under "each" the failed
    contact keeps its full class. Word of mouth is not affected: a post, once written, stays.
    """

    effect_months: WholeNumber = Field(12, ge=1, le=120)
    churn_multiplier_resolved_fast: Quantity = 1.0
    churn_multiplier_resolved_slow: Quantity = 1.05
    churn_multiplier_unresolved: Quantity = 1.5
    churn_multiplier_abandoned: Quantity = 1.1
    churn_multiplier_ignored: Quantity = 1.1
    spend_uplift_resolved_fast: Quantity = Field(
        0.0, description="relative spend increase after a fast resolution (e.g. 0.03 = +3%)"
    )
    spend_uplift_channels: list[str] | None = Field(
        None,
        description="channels whose fast answers lift spend (default: channels with a public "
        "share, i.e. social)",
    )
    spend_uplift_months: WholeNumber = Field(6, ge=1, le=120)
    retry_outcome: Literal["final", "each"] = Field(
        "final",
        description="how a customer who retried after an abandoned call or an ignored post is "
        "judged: 'final' (the retry's own outcome, plus the effort of having had to come back, "
        "charged at churn_multiplier_unresolved; CEB: repeat contacts and channel switching drive "
        "disloyalty) or 'each' (the failed contact keeps its full penalty and the retry counts "
        "too)",
    )


class WordOfMouthSpec(_Spec):
    """``[word_of_mouth]``: public posts, their reach, and what impressions do.

    Public social contacts are seen whether or not they are answered; other customers post about
    an experience with the probability for its class (extreme experiences are shared more). A
    post reaches its author's followers (lognormal: median 61, sigma 1.65 from O'Reilly 2013),
    of whom ``impression_rate`` see it; cascades stop after one hop (Goel, Watts & Goldstein 2012).
    """

    post_share_resolved_fast: Quantity = 0.02
    post_share_resolved_slow: Quantity = 0.0
    post_share_unresolved: Quantity = 0.03
    post_share_abandoned: Quantity = 0.02
    post_share_ignored: Quantity = 0.03
    public_answer_positive_share: Quantity = Field(
        0.5, description="share of publicly answered posts that read as positive social proof"
    )
    followers_median: float = Field(61.0, gt=0)
    followers_sigma: float = Field(1.65, gt=0, le=4)
    impression_rate: Quantity = Field(0.03, description="share of followers who see a post")
    customer_share_of_audience: Quantity = Field(
        0.2, description="share of impressions that land on existing customers"
    )
    acquisition_per_positive_impression: Quantity = 0.0
    churn_per_negative_impression: Quantity = 0.0
    lost_prospect_per_negative_impression: Quantity = 0.0


class DeflectionSpec(_Spec):
    """``[deflection]``: public answers and self-service that make future contacts unnecessary."""

    contacts_deflected_per_public_answer: Quantity = Field(
        0.0, description="future contacts avoided per public answer (others read it)"
    )
    self_service_share: Quantity = Field(
        0.0, description="share of contacts resolved by community/self-service content instead"
    )
    channels: list[str] | None = Field(
        None,
        description="channels whose contacts can be deflected (default: those with no "
        "public share, e.g. phone and email)",
    )
    cost_per_self_service_contact: Quantity = 0.10  # Gartner 2019: $0.10 per self-service contact


class ProgramSpec(_Spec):
    """``[program]``: what the program costs besides agent time."""

    setup_cost: Quantity = Field(0.0, description="one-off, at t0, undiscounted")
    training_cost: Quantity = Field(0.0, description="one-off, at t0, undiscounted")
    monthly_tools_cost: Quantity = Field(0.0, description="tools and licences per month")


class EventSpec(_Spec):
    """``[[events]]``: an outage, launch or seasonal peak multiplying volume for some days."""

    name: str = Field(min_length=1)
    start_month: WholeNumber = Field(ge=1, description="1-based month of the horizon")
    days: WholeNumber = Field(ge=1, le=31)
    channels: list[str] = Field(min_length=1)
    volume_multiplier: Quantity


class ObjectiveSpec(_Spec):
    """``[[objectives]]``: a return-on-objectives target; its probability of being met is reported.

    ``metric`` is ``roi``, ``npv``, ``payback_months``, ``sentiment``, ``public_posts``,
    ``impressions``, or ``<channel>.<kpi>`` with a KPI from :data:`CHANNEL_KPIS` (averaged over the
    horizon).
    """

    name: str | None = None
    metric: str
    at_least: float | None = None
    at_most: float | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> Self:
        if (self.at_least is None) == (self.at_most is None):
            raise ValueError("give exactly one of at_least or at_most")
        return self

    @property
    def label(self) -> str:
        """The objective's display name."""
        if self.name:
            return self.name
        op, bound = ("≥", self.at_least) if self.at_least is not None else ("≤", self.at_most)
        return f"{self.metric} {op} {bound:g}"


class CorrelationSpec(_Spec):
    """``[[correlations]]``: a rank-correlation matrix between named uncertain inputs."""

    inputs: list[str] = Field(min_length=2)
    matrix: list[list[float]]


class OrderingSpec(_Spec):
    """``[[orderings]]``: named inputs that hold ``a ≤ b ≤ …`` in every trial.

    The inputs are drawn comonotonically (from the same uniforms, each through its own inverse
    CDF; :mod:`simroi.scenario.sampling`), which keeps every marginal and orders the draws
    whenever the quantile functions are ordered, as the loader checks
    (:mod:`simroi.scenario.rules`).
    """

    inputs: list[str] = Field(min_length=2)
    source: str | None = None
    note: str | None = None


class Scenario(_Spec):
    """A validated scenario. Build it with :func:`simroi.scenario.load.load_scenario`."""

    schema_version: Literal[1]
    scenario: ScenarioMeta
    simulation: SimulationSpec = Field(default_factory=SimulationSpec)
    customers: CustomersSpec
    channels: dict[str, ChannelSpec] = Field(min_length=1)
    experience: ExperienceSpec = Field(default_factory=ExperienceSpec)
    word_of_mouth: WordOfMouthSpec = Field(default_factory=WordOfMouthSpec)
    deflection: DeflectionSpec = Field(default_factory=DeflectionSpec)
    program: ProgramSpec = Field(default_factory=ProgramSpec)
    events: list[EventSpec] = Field(default_factory=list)
    objectives: list[ObjectiveSpec] = Field(default_factory=list)
    correlations: list[CorrelationSpec] = Field(default_factory=list)
    orderings: list[OrderingSpec] = Field(default_factory=list)

    @property
    def deflection_channels(self) -> list[str]:
        """Channels whose contacts public answers and self-service can deflect."""
        if self.deflection.channels is not None:
            return list(self.deflection.channels)
        return [c for c, spec in self.channels.items() if _is_private(spec)]

    @property
    def spend_uplift_channels(self) -> list[str]:
        """Channels whose fast resolutions lift spend (unless their response-time curve does)."""
        if self.experience.spend_uplift_channels is not None:
            return list(self.experience.spend_uplift_channels)
        return [c for c, spec in self.channels.items() if not _is_private(spec)]

    def quantities(self) -> Iterator[tuple[str, Quantity]]:
        """Every numeric input as ``(dotted.key, value)``, in file order."""
        yield from _walk_quantities(self, "")

    def uncertain_inputs(self) -> dict[str, Distribution]:
        """The inputs that are distributions rather than fixed numbers, by dotted key."""
        out: dict[str, Distribution] = {}
        for key, value in self.quantities():
            dist = as_distribution(value)
            if not dist.is_fixed:
                out[key] = dist
        return out


def _is_private(spec: ChannelSpec) -> bool:
    return as_distribution(spec.public_share).mean() == 0.0


def _walk_quantities(model: BaseModel, prefix: str) -> Iterator[tuple[str, Quantity]]:
    for name in type(model).model_fields:
        value = getattr(model, name)
        key = f"{prefix}{name}"
        yield from _walk_value(value, key)


def _walk_value(value: Any, key: str) -> Iterator[tuple[str, Quantity]]:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, int | float):
        yield key, float(value)
    elif isinstance(value, BaseModel) and hasattr(value, "dist"):
        yield key, value  # type: ignore[misc]
    elif isinstance(value, BaseModel):
        yield from _walk_quantities(value, key + ".")
    elif isinstance(value, dict):
        for sub, item in value.items():
            if isinstance(item, BaseModel):
                yield from _walk_value(item, f"{key}.{sub}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, BaseModel) and not hasattr(item, "dist"):
                yield from _walk_quantities(item, f"{key}.{i}.")


class ScenarioFile(Scenario):
    """The file format, for the JSON Schema: a scenario plus an optional inline baseline.

    ``[baseline]`` holds overrides merged into a copy of this file to make the baseline, e.g.
    ``[baseline.channels.social] agents = 0``.
    """

    baseline: dict[str, Any] | None = None


def assumptions(scenario: Scenario) -> list[dict[str, Any]]:
    """The assumptions table: every uncertain input with P5, P50, P95, mean and its source.

    This is the appendix table users show with a business case (``simroi inputs``).
    """
    import numpy as np

    rows = []
    for key, value in scenario.quantities():
        dist = as_distribution(value)
        if dist.is_fixed:
            continue
        p05, p50, p95 = (float(x) for x in dist.ppf(np.array([0.05, 0.5, 0.95])))
        rows.append(
            {
                "input": key,
                "distribution": dist.describe(),
                "p05": p05,
                "p50": p50,
                "p95": p95,
                "mean": float(dist.mean()),
                "source": dist.source or "",
            }
        )
    return rows
