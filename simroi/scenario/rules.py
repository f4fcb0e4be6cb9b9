"""The rules a scenario must meet beyond its types: ranges and rules that span sections.

Pydantic checks each value's type and the rules of its own section (:mod:`simroi.scenario.spec`);
:func:`scenario_problems` then checks a validated :class:`~simroi.scenario.spec.Scenario` as a
whole: every input's range (an uncertain input's whole support, so that no trial can draw an
impossible value), channel names used elsewhere, events within the horizon, objectives naming a
known metric, correlations between uncertain inputs with a valid matrix, and orderings whose
ranges allow the order in every trial (:mod:`simroi.scenario.ordering`). Each problem is one
line naming the file, the key, the rule and the value, as the loader reports them.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterator

import numpy as np

from simroi.errors import ScenarioError
from simroi.formatting import counted, kpi_label
from simroi.scenario.correlation import validate_correlation
from simroi.scenario.ordering import first_crossing
from simroi.scenario.quantity import as_distribution
from simroi.scenario.spec import CHANNEL_KPIS, RESULT_METRICS, Scenario

__all__ = ["MAX_MAGNITUDE", "input_limits", "scenario_problems"]


def scenario_problems(scenario: Scenario, source: str, *, is_baseline: bool) -> list[str]:
    """Every broken rule of ``scenario`` (from the file ``source``), one line each.

    ``is_baseline`` allows what only a baseline may do (a realtime channel with volume and no
    agents: the world without the program).
    """
    return [
        *_range_problems(scenario, source),
        *_cross_problems(scenario, source, is_baseline=is_baseline),
        *_ordering_problems(scenario, source),
    ]


# (key pattern, lower, upper, rule text). "*" matches one channel name.
_RANGES: tuple[tuple[str, float, float, str], ...] = (
    ("scenario.discount_rate", 0.0, 1.0, "an annual rate in [0, 1]"),
    ("customers.active_customers", 1.0, math.inf, "at least 1 customer"),
    ("customers.monthly_margin_per_customer", -math.inf, math.inf, "a number"),
    ("customers.monthly_churn", 0.0, 1.0, "a probability in [0, 1]"),
    ("customers.prospects", 0.0, math.inf, "≥ 0"),
    ("customers.acquisition_cost_per_customer", 0.0, math.inf, "≥ 0"),
    ("channels.*.contacts_per_customer_per_year", 0.0, math.inf, "≥ 0"),
    ("channels.*.shrinkage", 0.0, 0.9, "a share in [0, 0.9]"),
    ("channels.*.cost_per_agent_hour", 0.0, math.inf, "≥ 0"),
    ("channels.*.handle_time_minutes", 1e-6, math.inf, "> 0"),
    ("channels.*.handle_time_cv", 1e-6, 10.0, "in (0, 10]"),
    ("channels.*.patience_minutes", 1e-6, math.inf, "> 0"),
    ("channels.*.patience_shape", 0.01, 20.0, "in [0.01, 20] (a Weibull shape or lognormal "
     "sigma)"),
    ("channels.*.ignore_after_hours", 1e-6, math.inf, "> 0"),
    ("channels.*.concurrency_speedup_alpha", 0.0, 1.0, "in [0, 1]"),
    ("channels.*.fcr", 0.0, 1.0, "a probability in [0, 1]"),
    ("channels.*.public_share", 0.0, 1.0, "a probability in [0, 1]"),
    ("channels.*.variable_cost_per_contact", 0.0, math.inf, "≥ 0"),
    ("channels.*.retry_share", 0.0, 1.0, "a probability in [0, 1]"),
    ("channels.*.busyness_cv", 0.0, 2.0, "in [0, 2]"),
    ("channels.*.response_value.*.churn_multiplier", 1.0, 100.0, "≥ 1 (good recovery restores "
     "baseline churn, it does not beat it: de Matos et al. 2007)"),
    ("channels.*.response_value.*.spend_uplift", 0.0, 10.0, "≥ 0"),
    ("channels.*.response_value.*.positive_share", 0.0, 1.0, "a probability in [0, 1]"),
    ("experience.churn_multiplier_*", 1.0, 100.0, "≥ 1 (good recovery restores baseline churn, "
     "it does not beat it: de Matos et al. 2007)"),
    ("experience.spend_uplift_resolved_fast", 0.0, 10.0, "≥ 0"),
    ("word_of_mouth.post_share_*", 0.0, 1.0, "a probability in [0, 1]"),
    ("word_of_mouth.public_answer_positive_share", 0.0, 1.0, "a probability in [0, 1]"),
    ("word_of_mouth.impression_rate", 0.0, 1.0, "a probability in [0, 1]"),
    ("word_of_mouth.customer_share_of_audience", 0.0, 1.0, "a probability in [0, 1]"),
    ("word_of_mouth.acquisition_per_positive_impression", 0.0, 1.0, "a probability in [0, 1]"),
    ("word_of_mouth.churn_per_negative_impression", 0.0, 1.0, "a probability in [0, 1]"),
    ("word_of_mouth.lost_prospect_per_negative_impression", 0.0, 1.0, "a probability in [0, 1]"),
    ("deflection.contacts_deflected_per_public_answer", 0.0, 100.0, "in [0, 100]"),
    ("deflection.self_service_share", 0.0, 0.95, "a share in [0, 0.95]"),
    ("deflection.cost_per_self_service_contact", 0.0, math.inf, "≥ 0"),
    ("program.*", 0.0, math.inf, "≥ 0"),
    ("events.*.volume_multiplier", 0.0, 1000.0, "in [0, 1000]"),
)  # fmt: skip


def _matches(pattern: str, key: str) -> bool:
    pp, kp = pattern.split("."), key.split(".")
    if len(pp) != len(kp):
        return False
    for p, k in zip(pp, kp, strict=True):
        if p == "*":
            continue
        if p.endswith("*") and k.startswith(p[:-1]):
            continue
        if p != k:
            return False
    return True


def input_limits(key: str) -> tuple[float, float]:
    """The physical limits ``(lower, upper)`` of the input ``key`` (``channels.social.fcr`` →
    ``(0.0, 1.0)``): the range rule every value of it must meet, within ±:data:`MAX_MAGNITUDE`.

    A key no range rule names is limited by the magnitude alone.
    """
    for pattern, lo, hi, _ in _RANGES:
        if _matches(pattern, key):
            return max(lo, -MAX_MAGNITUDE), min(hi, MAX_MAGNITUDE)
    return -MAX_MAGNITUDE, MAX_MAGNITUDE


#: Largest magnitude of any input (its P0.1 and P99.9 for an uncertain one): ample for money in
#: any currency and for head counts, and far enough from float overflow for the model's products.
MAX_MAGNITUDE = 1e15


def _range_problems(scenario: Scenario, source: str) -> Iterator[str]:
    for key, value in scenario.quantities():
        extremes = as_distribution(value).ppf(np.array([0.001, 0.999]))
        if float(np.max(np.abs(extremes))) > MAX_MAGNITUDE:
            got = f"{value:g}" if isinstance(value, float) else as_distribution(value).describe()
            yield f"{source}: {key}: must be at most {MAX_MAGNITUDE:g} in magnitude (got {got})"
            continue
        for pattern, lo, hi, rule in _RANGES:
            if not _matches(pattern, key):
                continue
            dist = as_distribution(value)
            low, high = (float(x) for x in dist.ppf(np.array([0.0, 1.0])))
            if low < lo or high > hi:
                got = f"{value:g}" if isinstance(value, float) else f"{dist.describe()}, "
                if not isinstance(value, float):
                    got += f"support [{low:g}, {high:g}]"
                yield f"{source}: {key}: must be {rule} (got {got})"
            break


def _cross_problems(scenario: Scenario, source: str, *, is_baseline: bool) -> Iterator[str]:
    names = set(scenario.channels)
    listed = ", ".join(sorted(names))
    for name, channel in scenario.channels.items():
        for target in channel.repeat_channels or {}:
            if target not in names:
                yield (
                    f"{source}: channels.{name}.repeat_channels: no channel {target!r} "
                    f"(channels: {listed})"
                )
        volume = as_distribution(channel.contacts_per_customer_per_year).mean()
        if (
            channel.kind == "realtime"
            and channel.max_agents == 0
            and volume > 0
            and not is_baseline
        ):
            yield (
                f"{source}: channels.{name}.agents: a realtime channel with volume needs agents "
                f"> 0 (got 0); zero agents is allowed in a baseline, or set "
                f"contacts_per_customer_per_year = 0"
            )
    for key, channels in (
        ("deflection.channels", scenario.deflection.channels or []),
        ("experience.spend_uplift_channels", scenario.experience.spend_uplift_channels or []),
    ):
        for channel_name in channels:
            if channel_name not in names:
                yield f"{source}: {key}: no channel {channel_name!r} (channels: {listed})"
    for i, event in enumerate(scenario.events):
        for channel_name in event.channels:
            if channel_name not in names:
                yield (
                    f"{source}: events.{i}.channels: no channel {channel_name!r} "
                    f"(channels: {listed})"
                )
        if event.start_month > scenario.scenario.horizon_months:
            yield (
                f"{source}: events.{i}.start_month: must be within the horizon of "
                f"{counted(scenario.scenario.horizon_months, 'month')} (got "
                f"{event.start_month})"
            )
    for i, objective in enumerate(scenario.objectives):
        metric = objective.metric
        channel_name, _, kpi = metric.partition(".")
        ok = metric in RESULT_METRICS or (channel_name in names and kpi in CHANNEL_KPIS)
        if not ok:
            valid = [*RESULT_METRICS, *(f"{c}.{k}" for c in sorted(names) for k in CHANNEL_KPIS)]
            hint = difflib.get_close_matches(metric, valid, n=1)
            extra = f"; did you mean {hint[0]!r}?" if hint else ""
            yield f"{source}: objectives.{i}.metric: unknown metric {metric!r}{extra}"
            continue
        # A share, shown as a percentage wherever it is shown; net sentiment may be negative.
        low = -1.0 if metric == "sentiment" else 0.0
        if kpi_label(metric)[1] == "pct":
            bound, value = (
                ("at_least", objective.at_least)
                if objective.at_least is not None
                else ("at_most", objective.at_most)
            )
            if value is not None and not low <= value <= 1:
                yield (
                    f"{source}: objectives.{i}.{bound}: {metric} is a share, so the bound must be "
                    f"in [{low:g}, 1] (got {value:g}; write 0.8 for 80%)"
                )
    uncertain = scenario.uncertain_inputs()
    for i, corr in enumerate(scenario.correlations):
        for input_name in corr.inputs:
            if input_name not in uncertain:
                hint = difflib.get_close_matches(input_name, list(uncertain), n=1)
                extra = f"; did you mean {hint[0]!r}?" if hint else ""
                yield (
                    f"{source}: correlations.{i}.inputs: {input_name!r} is not an uncertain "
                    f"input of this scenario{extra}"
                )
        ragged = [j for j, row in enumerate(corr.matrix) if len(row) != len(corr.matrix)]
        if ragged:
            j = ragged[0]
            yield (
                f"{source}: correlations.{i}.matrix: must be square, one row and column per "
                f"input (got {len(corr.matrix)} rows, row {j + 1} with {len(corr.matrix[j])} "
                "values)"
            )
            continue
        try:
            validate_correlation(corr.inputs, np.asarray(corr.matrix, dtype=float))
        except ScenarioError as exc:
            for problem in exc.problems:
                yield f"{source}: correlations.{i}.matrix: {problem}"
        except ValueError as exc:
            yield f"{source}: correlations.{i}.matrix: {exc}"
    first_in: dict[str, int] = {}
    for i, corr in enumerate(scenario.correlations):
        for input_name in dict.fromkeys(corr.inputs):
            if first_in.setdefault(input_name, i) != i:
                yield (
                    f"{source}: correlations.{i}.inputs: {input_name!r} is also in "
                    f"correlations.{first_in[input_name]}; an input may be in one "
                    "[[correlations]] table only (give all its pairs in one matrix)"
                )


def _ordering_problems(scenario: Scenario, source: str) -> Iterator[str]:
    """Each ``[[orderings]]`` group: known numeric inputs, in no other ordering nor correlation,
    with ranges that keep the order in every trial (quantiles ordered, see
    :func:`~simroi.scenario.ordering.first_crossing`)."""
    quantities = dict(scenario.quantities())
    correlated = {name for group in scenario.correlations for name in group.inputs}
    seen: dict[str, int] = {}
    for i, group in enumerate(scenario.orderings):
        where = f"{source}: orderings.{i}.inputs"
        known = True
        for name in group.inputs:
            if name not in quantities:
                known = False
                hint = difflib.get_close_matches(name, list(quantities), n=1)
                extra = f"; did you mean {hint[0]!r}?" if hint else ""
                yield f"{where}: {name!r} is not a numeric input of this scenario{extra}"
            elif seen.get(name) == i:
                known = False
                yield f"{where}: {name!r} is listed twice"
            elif name in seen:
                known = False
                yield (
                    f"{where}: {name!r} is in orderings.{seen[name]} too; an input may be in "
                    f"one ordering only (put all its inputs in one list, in order)"
                )
            elif name in correlated:
                known = False
                yield (
                    f"{where}: {name!r} is also in [[correlations]]; ordered inputs are drawn "
                    f"comonotone (rank correlation 1 within the ordering), so they cannot take "
                    f"another correlation"
                )
            seen.setdefault(name, i)
        if not known:
            continue
        for a, b in zip(group.inputs, group.inputs[1:], strict=False):
            crossing = first_crossing(quantities[a], quantities[b])
            if crossing is not None:
                short_a, short_b = a.rpartition(".")[2], b.rpartition(".")[2]
                if short_a == short_b:  # channels.email.fcr and channels.phone.fcr
                    short_a, short_b = a, b
                earlier, later = _distinct(crossing.earlier, crossing.later)
                yield (
                    f"{where}: {a} must be ≤ {b} in every trial, but at probability "
                    f"{crossing.probability:.6g} {short_a}'s quantile {earlier} "
                    f"exceeds {short_b}'s {later}: give ranges in that order"
                )


def _distinct(a: float, b: float) -> tuple[str, str]:
    """``a`` and ``b`` with the fewest significant digits (at least 6) that tell them apart."""
    for digits in range(6, 18):
        text_a, text_b = f"{a:.{digits}g}", f"{b:.{digits}g}"
        if text_a != text_b:
            break
    return text_a, text_b
