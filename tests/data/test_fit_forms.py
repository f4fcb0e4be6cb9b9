"""Every fitted input is written in a form the scenario loader accepts, with its interval.

``simroi.data.fit`` repeats the loader's ranges (``data`` may not import ``scenario``); these
tests put every fit's ``distribution`` into a scenario and validate it the loader's way, so the
two cannot drift apart, and check that each written distribution's 5 and 95 % quantiles are the
fit's ``interval90`` wherever the key's range does not truncate it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from data.test_fit_arrivals import simulate
from data.test_fit_outcomes import _log, _outcomes
from data.test_fit_service import contacts
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from simroi.data.fit import LIMITS, FittedInput, normal_form
from simroi.data.fit_arrivals import contacts_per_customer_per_year, fit_arrivals
from simroi.data.fit_outcomes import fit_churn_multipliers, fit_fcr
from simroi.data.fit_service import fit_handle_time, fit_patience
from simroi.estimates import Z_ONE_SIDED_95
from simroi.scenario.quantity import Quantity, as_distribution
from simroi.scenario.rules import scenario_problems
from simroi.scenario.spec import Scenario


def _scenario(phone: dict[str, Any], experience: dict[str, Any]) -> Scenario:
    raw = {
        "schema_version": 1,
        "scenario": {"name": "fitted"},
        "customers": {
            "active_customers": 50_000,
            "monthly_margin_per_customer": 20.0,
            "monthly_churn": 0.02,
        },
        "channels": {
            "phone": {
                "kind": "realtime",
                "agents": 10,
                "cost_per_agent_hour": 30.0,
                "contacts_per_customer_per_year": 2.0,
                "handle_time_minutes": 6.0,
                "patience_minutes": 3.0,
                "fcr": 0.7,
                **phone,
            }
        },
        "experience": experience,
    }
    return Scenario.model_validate(raw)


def _fitted_phone() -> list[FittedInput]:
    rng = np.random.default_rng(301)
    arrivals = fit_arrivals(simulate(rng, weeks=8), rng=rng)
    log = contacts(rng, n=2000)
    handle = fit_handle_time(log)
    patience = fit_patience(log)
    resolved = rng.random(log.rows) < 0.7
    fcr = fit_fcr(_log("phone", np.arange(log.rows), log.outcome, resolved=resolved))
    fitted = [
        *arrivals.inputs(),
        contacts_per_customer_per_year(arrivals.volume, 50_000, source=log.source, channel="phone"),
        *handle.inputs(),
        *patience.inputs(),
        fcr,
    ]
    assert all(isinstance(f, FittedInput) for f in fitted)
    return fitted  # type: ignore[return-value]


def _fitted_churn() -> list[FittedInput]:
    rng = np.random.default_rng(302)
    data = _outcomes(
        rng,
        {
            "none": (4000, 1.0),
            "ignored": (1500, 1.6),  # well above 1
            "unresolved": (800, 1.05),  # straddles 1
            "resolved_fast": (800, 0.5),  # below 1
        },
    )
    fitted = fit_churn_multipliers(data).inputs()
    assert all(isinstance(f, FittedInput) for f in fitted)
    return fitted  # type: ignore[return-value]


def test_every_fitted_phone_input_validates_as_a_scenario() -> None:
    fitted = _fitted_phone()
    # hours, busyness, profile and weekdays with their concentrations, volume, handle mean and
    # cv, patience x3, fcr
    assert len({f.key for f in fitted}) == len(fitted) == 13
    scenario = _scenario({f.key: f.distribution for f in fitted}, {})
    assert scenario_problems(scenario, "fitted.toml", is_baseline=False) == []
    phone = scenario.channels["phone"]
    assert phone.hours.days == ["mon", "tue", "wed", "thu", "fri", "sat"]
    assert phone.patience_dist == "exponential"


def test_every_fitted_churn_multiplier_validates_as_a_scenario() -> None:
    fitted = _fitted_churn()
    assert len(fitted) == 3
    experience = {f.key.removeprefix("experience."): f.distribution for f in fitted}
    scenario = _scenario({}, experience)
    assert scenario_problems(scenario, "fitted.toml", is_baseline=False) == []


def test_written_distributions_carry_the_fitted_interval() -> None:
    quantity: TypeAdapter[Any] = TypeAdapter(Quantity)
    checked = 0
    for fit in [*_fitted_phone(), *_fitted_churn()]:
        form = fit.distribution
        if not fit.is_uncertain:
            # plain settings: profiles, hours, families, a fixed shape or multiplier
            assert not isinstance(form, dict) or "dist" not in form
            continue
        low, high = fit.interval90
        if form["dist"] == "normal":
            # the parent normal's 5 and 95 % quantiles; the key's range may cut them, and the
            # note must then say so
            p05, p95 = (form["mean"] + z * form["sd"] for z in (-Z_ONE_SIDED_95, Z_ONE_SIDED_95))
            if low < form.get("low", -np.inf):
                assert "truncated" in fit.note, fit.scenario_key
        else:
            p05, p95 = as_distribution(quantity.validate_python(form)).ppf(np.array([0.05, 0.95]))
        assert p05 == pytest.approx(low, rel=1e-6, abs=1e-9), fit.scenario_key
        assert p95 == pytest.approx(high, rel=1e-6, abs=1e-9), fit.scenario_key
        checked += 1
    assert checked >= 8


def test_normal_form_matches_its_ends_and_respects_the_limits() -> None:
    form = normal_form(2.0, 4.0, (1e-6, np.inf))
    assert form["mean"] == 3.0 and form["low"] == 1e-6 and "high" not in form
    assert form["sd"] == pytest.approx(1.0 / Z_ONE_SIDED_95)


@settings(max_examples=60, deadline=None)
@given(
    key=st.sampled_from(sorted(LIMITS)),
    where=st.floats(1e-3, 0.999),
    rel_sd=st.floats(1e-3, 0.5),
)
def test_a_written_normal_never_reaches_outside_its_keys_range(
    key: str, where: float, rel_sd: float
) -> None:
    # the loader recomputes a truncated normal's support through scipy, which can land an ulp
    # outside the written bound: normal_form moves the bound just enough
    lo, hi = LIMITS[key]
    mean = lo + where * (min(hi, lo + 50.0) - lo)
    low, high = mean * (1 - rel_sd), mean * (1 + rel_sd)
    form = normal_form(low, high, (lo, hi))
    dist = as_distribution(TypeAdapter(Quantity).validate_python(form))
    end_low, end_high = dist.ppf(np.array([0.0, 1.0]))
    assert lo <= end_low and end_high <= hi
    assert form.get("low", lo) == pytest.approx(lo, abs=1e-12 * (1 + mean))
