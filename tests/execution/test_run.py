"""`simroi run`: the whole model, checked against oracles and properties at fixed seeds."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from simroi.analysis.summary import summarize
from simroi.cli.app import main
from simroi.execution import runner
from simroi.execution.result import RunResult
from simroi.execution.runner import RunOptions, run
from simroi.scenario.load import bundled_scenarios, load_scenario
from simroi.scenario.quantity import as_distribution

# Short horizons and one sampled day a month keep the tests fast; the model is the same.
FAST = ["scenario.horizon_months=4", "simulation.sampled_days_per_month=1"]
SET_FAST = [arg for o in FAST for arg in ("--set", o)]


def quick(
    name: str = "default", *extra: str, trials: int = 120, seed: int = 11, workers: int = 1
) -> RunResult:
    loaded = load_scenario(name, overrides=[*FAST, *extra])
    return run(loaded, RunOptions(trials=trials, seed=seed, workers=workers, block_size=60))


@pytest.mark.parametrize("name", sorted(bundled_scenarios()))
def test_every_bundled_scenario_runs_to_finite_results(name: str) -> None:
    # Eight months so that bundled events (an outage in month 7) fall inside the horizon.
    result = quick(name, "scenario.horizon_months=8", trials=60)
    assert np.isfinite(result.samples["npv"]).all()
    assert np.isfinite(result.samples["pv_costs"]).all()
    assert {values.shape[0] for values in result.samples.values()} == {60}  # (trials, …) each
    summary = summarize(result).to_dict()
    for world in summary["kpis"].values():
        for key, value in world.items():
            if key.endswith((".service_level", ".abandonment")) and value["mean"] is not None:
                assert 0.0 <= value["mean"] <= 1.0, key


@pytest.mark.slow
def test_default_cost_per_phone_call_is_in_the_industry_band() -> None:
    """domain.md §4.4: $5.25-6.69 (ContactBabel) to $8.01 (Gartner) per call; band $5-9."""
    result = run(load_scenario(), RunOptions(trials=200, seed=5, workers=1, block_size=100))
    cost = result.samples["kpi.program.phone.cost_per_contact"]
    assert 5.0 <= float(np.median(cost)) <= 9.0
    occupancy = result.samples["kpi.program.phone.occupancy"]
    assert 0.5 < float(np.median(occupancy)) < 0.95
    abandonment = result.samples["kpi.program.phone.abandonment"]
    assert 0.0 < float(np.median(abandonment)) < 0.15  # practice band 3-8% near target staffing


def _no_service_effects() -> list[str]:
    keys = [
        f"experience.churn_multiplier_{c}"
        for c in ("resolved_slow", "unresolved", "abandoned", "ignored")
    ]
    off = [f"{k}=1.0" for k in keys]
    off += [
        f"word_of_mouth.{k}=0.0"
        for k in (
            "acquisition_per_positive_impression",
            "churn_per_negative_impression",
            "lost_prospect_per_negative_impression",
        )
    ]
    off += [
        "experience.spend_uplift_resolved_fast=0.0",
        "deflection.contacts_deflected_per_public_answer=0.0",
    ]
    # The default's social replies are valued by its response-time curve.
    off += [f"channels.social.response_value.{b}.churn_multiplier=1.0" for b in range(3)]
    off += [f"channels.social.response_value.{b}.spend_uplift=0.0" for b in range(3)]
    off += [f"channels.{c}.variable_cost_per_contact=0.0" for c in ("phone", "email", "social")]
    return off


def test_without_service_effects_program_and_baseline_differ_by_exactly_the_program_costs() -> None:
    loaded = load_scenario(
        overrides=[
            *FAST,
            *_no_service_effects(),
            "channels.social.cost_per_agent_hour=40",
            "channels.social.shrinkage=0.25",
            "scenario.discount_rate=0.1",
            # fixed teams: staffed by rule, the baseline would staff for its ignored posters'
            # calls, a staffing saving of the program (tests/model/test_staffing.py)
            "channels.phone.agents=13",
            "channels.email.agents=5",
        ]
    )
    result = run(loaded, RunOptions(trials=50, seed=3, workers=1))
    s = result.samples
    assert np.all(s["pv_benefits"] == 0.0)
    # One social agent on queue 10:00-20:00 every day: 10 h x 30.4375 days a month.
    hours = 10.0 * 365.25 / 12
    monthly = hours / (1 - 0.25) * 40.0 + 1_500.0
    i = 1.1 ** (1 / 12) - 1
    pv_months = sum(monthly / (1 + i) ** m for m in range(1, 5))
    expected = pv_months + 25_000 + 8_000
    np.testing.assert_allclose(s["pv_costs"], expected, rtol=1e-12)
    np.testing.assert_allclose(s["npv"], -expected, rtol=1e-12)
    np.testing.assert_allclose(s["roi"], -1.0, rtol=1e-12)


def test_same_seed_gives_identical_json() -> None:
    first = json.dumps(summarize(quick(trials=60)).to_dict(), sort_keys=True)
    second = json.dumps(summarize(quick(trials=60)).to_dict(), sort_keys=True)
    assert first == second
    assert json.dumps(summarize(quick(trials=60, seed=12)).to_dict(), sort_keys=True) != first


@pytest.mark.slow
def test_worker_count_does_not_change_results() -> None:
    one = quick(trials=120, workers=1)
    two = quick(trials=120, workers=2)
    assert one.samples.keys() == two.samples.keys()
    for key in one.samples:
        np.testing.assert_array_equal(one.samples[key], two.samples[key], err_msg=key)


MONEY_KEYS = [
    "customers.monthly_margin_per_customer",
    "customers.acquisition_cost_per_customer",
    *(
        f"channels.{c}.{k}"
        for c in ("phone", "email", "social")
        for k in ("cost_per_agent_hour", "variable_cost_per_contact")
    ),
    "program.setup_cost",
    "program.training_cost",
    "program.monthly_tools_cost",
    "deflection.cost_per_self_service_contact",
]


def _scaled(value: object, factor: float) -> str:
    dist = as_distribution(value)  # type: ignore[arg-type]
    fields = dist.model_dump(exclude_none=True)
    for k in ("value", "low", "mode", "high", "mean", "median", "p5", "p95", "p90", "sd"):
        if k in fields:
            fields[k] = fields[k] * factor
    return "{ " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in fields.items()) + " }"


def test_scaling_every_amount_of_money_scales_npv_and_leaves_roi_alone() -> None:
    program = load_scenario().program
    values = dict(program.quantities())
    factor = 3.0
    scaled = [f"{k}={_scaled(values[k], factor)}" for k in MONEY_KEYS]
    base = quick(trials=60)
    big = quick("default", *scaled, trials=60)
    np.testing.assert_allclose(big.samples["npv"], factor * base.samples["npv"], rtol=1e-9)
    np.testing.assert_allclose(big.samples["roi"], base.samples["roi"], rtol=1e-9, atol=1e-12)


def test_a_harsher_penalty_for_ignored_posts_never_lowers_the_programs_npv() -> None:
    # Mild is the top of the unresolved multiplier's range: the default orders unresolved ≤ ignored.
    mild = quick("default", "experience.churn_multiplier_ignored=1.15", trials=80)
    harsh = quick("default", "experience.churn_multiplier_ignored=1.3", trials=80)
    gain = harsh.samples["npv"] - mild.samples["npv"]
    scale = np.abs(mild.samples["npv"]).max()
    assert np.all(gain >= -1e-9 * scale)
    assert gain.mean() > 0


def test_run_json_has_the_documented_fields(tmp_path: Path) -> None:
    out = tmp_path / "r.npz"
    seed = 2**127 + 9  # 128 bits of entropy: more than a 64-bit integer or a double holds
    result = CliRunner().invoke(
        main,
        [
            "run",
            "--trials",
            "40",
            "--seed",
            str(seed),
            "--workers",
            "1",
            *SET_FAST,
            "--json",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    saved = RunResult.load(out)
    assert data["trials"] == 40 == saved.samples["npv"].shape[0]
    assert data["seed"] == str(seed)  # a string, every digit kept
    assert data["scenario"]["name"] == "default"
    # The hash is of the scenario as simulated, with its --set overrides.
    assert data["scenario"]["hash"] == load_scenario(overrides=FAST).content_hash
    assert data["scenario"]["hash"] != load_scenario().content_hash
    for key in ("roi", "npv", "payback_months"):
        assert {"mean", "p05", "p50", "p95"} <= set(data[key])
    npv = saved.samples["npv"]  # checked against numpy here, not against simroi's summary
    shown = [data["npv"][k] for k in ("mean", "p05", "p50", "p95")]
    assert shown == pytest.approx([npv.mean(), *np.percentile(npv, [5, 50, 95])], rel=1e-12)
    positive = float(np.mean(saved.samples["roi"] > 0))  # an undefined (NaN) ROI is not > 0
    assert data["roi"]["prob_positive"] == positive
    assert data["roi"]["prob_positive_mcse"] == pytest.approx(
        np.sqrt(positive * (1 - positive) / 40), abs=1e-15
    )
    assert set(data["objectives"]) == {o.label for o in load_scenario().program.objectives}
    assert {"phone.service_level", "social.service_level"} <= set(data["kpis"]["program"])
    assert data.pop("replay") == saved.provenance.command  # the JSON alone replays the run
    assert json.dumps(summarize(saved).to_dict(), sort_keys=True) == json.dumps(
        data, sort_keys=True
    )


def test_run_prints_tables_and_the_seed_to_replay(tmp_path: Path) -> None:
    out = tmp_path / "r.npz"
    result = CliRunner(env={"COLUMNS": "160"}).invoke(
        main,
        ["run", "--trials", "30", "--workers", "1", "--quiet", *SET_FAST, "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    saved = RunResult.load(out)
    # The seed drawn for this run, printed in words and in the replay command.
    used = re.search(r"this run used seed (\d+)", result.output)
    assert used is not None, result.output
    assert int(used.group(1)) == saved.provenance.seed
    replay = next(line for line in result.output.splitlines() if "Replay exactly:" in line)
    assert f"--seed {saved.provenance.seed} " in f"{replay} " and "--trials 30" in replay
    # P(ROI > 0) is the share of the saved trials with ROI > 0, to the printed 0.1%.
    printed = re.search(r"P\(ROI > 0\) = (\d+(?:\.\d+)?)%", result.output)
    assert printed is not None, result.output
    positive = float(np.mean(saved.samples["roi"] > 0))
    assert float(printed.group(1)) == pytest.approx(100 * positive, abs=0.05)


def test_run_refuses_a_scenario_without_baseline(tmp_path: Path) -> None:
    text = bundled_scenarios()["default"].read_text()
    path = tmp_path / "nobase.toml"
    path.write_text(text[: text.index("[baseline]")])
    result = CliRunner().invoke(main, ["run", str(path), "--trials", "5"])
    assert result.exit_code == 2
    assert "ROI is measured against a baseline" in result.output


def test_run_to_a_missing_directory_fails_before_simulating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def simulate(*args: object, **kwargs: object) -> None:
        pytest.fail("simulated before checking the output directory")

    monkeypatch.setattr(runner, "run", simulate)
    result = CliRunner().invoke(main, ["run", "--out", str(tmp_path / "no" / "r.npz")])
    assert result.exit_code == 2, result.output
    (line,) = result.output.splitlines()
    assert line.startswith("error: ") and f"{tmp_path / 'no'}" in line
    assert "does not exist" in line
