"""A block's inputs: every number of a scenario per trial, and the per-channel and economics
inputs the model reads from them.

:func:`draw_inputs` gives every numeric input as a (trials,) array (uncertain ones sampled from
streams keyed by their names, so program and baseline draw identical values for inputs they
share); :func:`volume_order` the order in which :mod:`simroi.model.block` simulates the trials.
"""

from __future__ import annotations

import numpy as np

from simroi.model.calendar import intraday_profile, weekday_factors
from simroi.model.contacts import ChannelInputs
from simroi.model.economics import EconomicsInputs, WomReach, monthly_discount_rate
from simroi.model.response import response_values
from simroi.randomness import Streams
from simroi.scenario.profile import draw_shares
from simroi.scenario.quantity import as_distribution
from simroi.scenario.sampling import sample_scenario_inputs
from simroi.scenario.spec import EXPERIENCE_CLASSES, Scenario

__all__ = ["channel_inputs", "draw_inputs", "economics_inputs", "volume_order"]


def draw_inputs(scenario: Scenario, trials: int, streams: Streams) -> dict[str, np.ndarray]:
    """Every numeric input of ``scenario`` as a (trials,) array; uncertain ones sampled.

    Streams are keyed by the input's dotted name, so the program and its baseline draw identical
    values for inputs they share. A channel with ``intraday_profile_concentration`` also gets
    ``channels.<name>.intraday_profile``: each trial's shares of the day, (trials, intervals),
    drawn around :func:`~simroi.model.calendar.intraday_profile` (the shares the model uses: a
    realtime channel's after its opening hours); one with ``weekday_factors_concentration``
    gets ``channels.<name>.weekday_factors``, (trials, 7), around
    :func:`~simroi.model.calendar.weekday_factors` (mean 1 over the week in every trial: the
    shares of the week, times 7). Each is drawn by
    :func:`~simroi.scenario.profile.draw_shares` from its own stream, ``("input", key)``, which
    no other input uses: a scenario without these keys draws exactly what it drew before.
    """
    values = {key: np.full(trials, as_distribution(v).mean()) for key, v in scenario.quantities()}
    values.update(sample_scenario_inputs(scenario, trials, streams=streams).values)
    for name, spec in scenario.channels.items():
        key = f"channels.{name}."
        if spec.intraday_profile_concentration is not None:
            values[key + "intraday_profile"] = draw_shares(
                intraday_profile(spec),
                spec.intraday_profile_concentration,
                trials,
                rng=streams.rng("input", key + "intraday_profile"),
            )
        if spec.weekday_factors_concentration is not None:
            factors = weekday_factors(spec)
            drawn = draw_shares(
                factors / factors.sum(),
                spec.weekday_factors_concentration,
                trials,
                rng=streams.rng("input", key + "weekday_factors"),
            )
            values[key + "weekday_factors"] = 7.0 * drawn
    return values


def channel_inputs(name: str, scenario: Scenario, v: dict[str, np.ndarray]) -> ChannelInputs:
    """Channel ``name``'s inputs from the block's values ``v`` (:func:`draw_inputs`, in the
    block's trial order): per-trial arrays, and the profile and weekday factors — the channel's
    own, shared by the trials, unless ``v`` holds each trial's."""
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
    shares = v.get(p + "intraday_profile")
    weekday = v.get(p + "weekday_factors")
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
        patience_shape=v[p + "patience_shape"],
        intraday_shares=intraday_profile(spec) if shares is None else shares,
        weekday_factors=weekday_factors(spec) if weekday is None else weekday,
    )


def economics_inputs(scenario: Scenario, v: dict[str, np.ndarray]) -> EconomicsInputs:
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
        response_values=response_values(scenario, v),
    )


def volume_order(values: dict[str, np.ndarray]) -> np.ndarray:
    """Trials by their number of customers, largest first (stable): a proxy for volume.

    Customers set every channel's volume and are drawn from their own stream, so any scenario
    that leaves the customers input alone — or changes it monotonically (other low/high) — orders
    its trials alike: compared scenarios and sweep points keep their trials at the same places
    and so share every contact, whatever they change in contact rates, staffing or money.
    """
    return np.argsort(-np.asarray(values["customers.active_customers"], dtype=float), kind="stable")
