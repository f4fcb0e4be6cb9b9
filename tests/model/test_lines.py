"""Money lines that say what they hold: costs are costs, savings are gross savings."""

from __future__ import annotations

import numpy as np

import simroi

SHORT = ["scenario.horizon_months=4", "simulation.sampled_days_per_month=1"]


def _samples(*overrides: str) -> dict[str, np.ndarray]:
    summary = simroi.run(trials=60, seed=11, overrides=[*SHORT, *overrides], workers=1)
    return summary.samples


def test_deflection_savings_are_never_negative_and_contact_costs_are_a_cost_line() -> None:
    s = _samples()
    assert np.all(s["pv.deflection_savings"] >= 0.0)
    assert np.all(s["pv.deflection_savings"] > 0.0)  # public answers deflect phone and email
    np.testing.assert_allclose(s["npv"], s["pv_benefits"] - s["pv_costs"], rtol=1e-12)


def test_without_deflection_the_savings_line_is_zero() -> None:
    s = _samples("deflection.contacts_deflected_per_public_answer=0")
    assert np.all(s["pv.deflection_savings"] == 0.0)
    assert np.all(s["pv.contact_handling"] > 0.0)  # the social desk's contacts cost money


def test_the_retry_rule_changes_nothing_when_every_failure_is_charged_alike() -> None:
    # Moving retried failures to "unresolved" changes nothing when the classes cost the same,
    # and nothing when nobody retries.
    same = [
        "experience.churn_multiplier_unresolved=1.2",
        "experience.churn_multiplier_abandoned=1.2",
        "experience.churn_multiplier_ignored=1.2",
    ]
    final = _samples(*same, "experience.retry_outcome=final")
    each = _samples(*same, "experience.retry_outcome=each")
    np.testing.assert_allclose(final["npv"], each["npv"], rtol=1e-9)
    nobody = [f"channels.{c}.retry_share=0" for c in ("phone", "email", "social")]
    final = _samples(*nobody, "experience.retry_outcome=final")
    each = _samples(*nobody, "experience.retry_outcome=each")
    np.testing.assert_array_equal(final["npv"], each["npv"])


def test_judging_retries_by_their_final_outcome_lowers_the_baseline_penalty() -> None:
    # The baseline ignores every social post; 40 % of posters retry elsewhere. Judged by the
    # final outcome they carry the (smaller) effort penalty instead of the ignored one, so the
    # program's retained margin is smaller than when each failure keeps its full penalty.
    final = _samples("experience.retry_outcome=final")
    each = _samples("experience.retry_outcome=each")
    assert np.mean(final["pv.retained_margin"]) < np.mean(each["pv.retained_margin"])
