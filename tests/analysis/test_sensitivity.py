"""`simroi sensitivity`: both tornados find the one input that drives ROI, and name their method."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from simroi.analysis.sensitivity import (
    SWING_METHOD,
    SensitivityError,
    input_label,
    run_sensitivity,
    sampling_tornado,
    summarize_sensitivity,
)
from simroi.cli.app import main
from simroi.execution.result import RunResult
from simroi.execution.runner import RunOptions

FAST = ("scenario.horizon_months=3", "simulation.sampled_days_per_month=1")

# One social channel, every number fixed except the driver (substituted below) and three decoys
# that cannot touch the money: prospects and the impression rate only matter when impressions
# win or lose customers (all per-impression effects are 0 here), and the cost of a self-service
# contact only when there is self-service (share 0). The decoys sort before and after the
# program keys, so neither file order nor alphabetical order can put the driver on top.
SYNTHETIC = """
schema_version = 1

[scenario]
name = "one-driver"
horizon_months = 3
discount_rate = 0.10

[simulation]
trials = 300
block_size = 300
sampled_days_per_month = 1

[customers]
active_customers = 20_000
monthly_margin_per_customer = 8
monthly_churn = 0.02
prospects = { dist = "uniform", low = 1_000, high = 1_000_000 }

[channels.social]
kind = "deferrable"
contacts_per_customer_per_year = 0.5
hours = { open = "08:00", close = "20:00" }
agents = 1
cost_per_agent_hour = 35
handle_time_minutes = 5
sla_hours = 1
ignore_after_hours = 24
fcr = 0.6
public_share = 0.5

[experience]
churn_multiplier_resolved_slow = 1.0
churn_multiplier_unresolved = 1.0
churn_multiplier_ignored = 1.3

[word_of_mouth]
impression_rate = { dist = "uniform", low = 0.01, high = 0.05 }

[deflection]
cost_per_self_service_contact = { dist = "uniform", low = 0.05, high = 5 }

[program]
setup_cost = SETUP
monthly_tools_cost = TOOLS

[[objectives]]
metric = "roi"
at_least = 0.0

[baseline]
program = { setup_cost = 0, monthly_tools_cost = 0 }

[baseline.channels.social]
agents = 0
"""
DECOYS = (
    "customers.prospects",
    "word_of_mouth.impression_rate",
    "deflection.cost_per_self_service_contact",
)
WIDE = '{ dist = "uniform", low = 0, high = 40_000 }'


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner(env={"COLUMNS": "200"}).invoke(main, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize("driver", ["program.monthly_tools_cost", "program.setup_cost"])
def test_the_only_input_that_drives_roi_tops_both_tornados(tmp_path: Path, driver: str) -> None:
    text = SYNTHETIC.replace("TOOLS", WIDE if driver.endswith("tools_cost") else "1_500")
    text = text.replace("SETUP", WIDE if driver.endswith("setup_cost") else "10_000")
    path = tmp_path / "one-driver.toml"
    path.write_text(text)
    result = run_sensitivity(
        str(path), RunOptions(trials=300, seed=17, workers=1), top=4, swing_trials=40
    )
    sensitivity = result.meta["sensitivity"]
    assert sensitivity["top"] == 4  # the inputs shown, which the exports show too
    rows = {r["input"]: r for r in sensitivity["rows"]}
    assert set(rows) == {driver, *DECOYS}
    n = result.trials
    se = math.sqrt(1.06 / (n - 3))  # of atanh(ρ) with no effect (Fieller–Hartley–Pearson)
    assert sensitivity["rows"][0]["input"] == driver
    # More cost, lower ROI: a strong negative rank correlation and a bar in that direction.
    assert rows[driver]["coefficient"] < -0.5
    assert rows[driver]["low"] > rows[driver]["high"]
    assert rows[driver]["first_order_index"] > 0.3
    for decoy in DECOYS:
        assert abs(rows[decoy]["coefficient"]) < 4 * se, decoy
    swing = sensitivity["swing"]
    assert swing["method"].startswith(SWING_METHOD)
    assert swing["rows"][0]["input"] == driver
    assert swing["rows"][0]["low"] > swing["rows"][0]["high"]
    # Common random numbers: a decoy at its P10 or its P90 gives exactly the same trials.
    for row in swing["rows"][1:]:
        assert row["low"] == row["high"] == swing["base"], row["input"]


def test_sampling_tornado_carries_input_correlations_and_the_swing_does_not(
    tmp_path: Path,
) -> None:
    # The agent cost drives ROI; prospects has no effect but is rank-correlated 0.8 with it.
    text = SYNTHETIC.replace("TOOLS", "1_500").replace("SETUP", "10_000")
    text = text.replace(
        "cost_per_agent_hour = 35",
        'cost_per_agent_hour = { dist = "uniform", low = 20, high = 80 }',
    )
    text = text.replace(
        "[baseline]\n",
        "[[correlations]]\n"
        'inputs = ["channels.social.cost_per_agent_hour", "customers.prospects"]\n'
        "matrix = [[1.0, 0.8], [0.8, 1.0]]\n\n[baseline]\n",
    )
    path = tmp_path / "correlated.toml"
    path.write_text(text)
    result = run_sensitivity(
        str(path), RunOptions(trials=300, seed=17, workers=1), top=2, swing_trials=40
    )
    sensitivity = result.meta["sensitivity"]
    rows = {r["input"]: r for r in sensitivity["rows"]}
    driver, passenger = rows["channels.social.cost_per_agent_hour"], rows["customers.prospects"]
    assert [r["input"] for r in sensitivity["rows"][:2]] == [driver["input"], passenger["input"]]
    # Through the correlation the passenger moves with ROI (about 0.8 × the driver's ρ) ...
    se = math.sqrt(1.06 / (result.trials - 3))
    assert passenger["coefficient"] == pytest.approx(0.8 * driver["coefficient"], abs=4 * se)
    # ... while, fixed one at a time, it changes nothing at all: the swing ignores correlations.
    swing = {r["input"]: r for r in sensitivity["swing"]["rows"]}
    assert swing["customers.prospects"]["low"] == swing["customers.prospects"]["high"]
    assert swing[driver["input"]]["low"] > swing[driver["input"]]["high"]


def _result_with(samples: dict[str, np.ndarray], synthetic_run: RunResult) -> RunResult:
    return RunResult(synthetic_run.provenance, samples, None, synthetic_run.meta)


def test_decile_bars_and_rank_correlation_on_a_known_relation(synthetic_run: RunResult) -> None:
    n = 1000
    x = np.random.default_rng(3).permutation(np.arange(n, dtype=float))
    noise = np.random.default_rng(4).random(n)
    samples = {"roi": x / n, "npv": x, "input.a.b_c": x, "input.z": noise}
    tornado = sampling_tornado(_result_with(samples, synthetic_run))
    assert tornado.output == "roi"
    top, other = tornado.rows
    assert (top.input, top.label, top.coefficient) == ("a.b_c", "b c", pytest.approx(1.0))
    # Bottom decile of x is 0..99 (mean ROI 0.0495), the top is 900..999 (0.9495).
    assert (top.low, top.high) == (pytest.approx(0.0495), pytest.approx(0.9495))
    assert top.first_order_index == pytest.approx(0.99, abs=0.005)
    assert abs(other.coefficient or 0.0) < 4 * math.sqrt(1.06 / (n - 3))
    assert "Spearman rank correlation" in tornado.method and "respects input correlations" in (
        tornado.method
    )


def test_npv_replaces_roi_where_roi_is_undefined(synthetic_run: RunResult) -> None:
    x = np.arange(20, dtype=float)
    roi = x.copy()
    roi[3] = np.nan
    samples = {"roi": roi, "npv": -x, "input.k": x}
    tornado = sampling_tornado(_result_with(samples, synthetic_run))
    assert tornado.output == "npv"
    assert "ROI is undefined in 5.0% of trials" in tornado.method
    assert tornado.rows[0].coefficient == pytest.approx(-1.0)
    with pytest.raises(SensitivityError, match="at least 10 trials"):
        sampling_tornado(
            _result_with({"roi": x[:5], "npv": x[:5], "input.k": x[:5]}, synthetic_run)
        )


def test_input_labels_read_like_the_key() -> None:
    assert input_label("channels.social.handle_time_minutes") == "social: handle time minutes"
    assert input_label("customers.monthly_churn") == "monthly churn"
    assert input_label("events.0.volume_multiplier") == "event 0: volume multiplier"


def test_sensitivity_cli_json_and_out_in_the_shape_export_reads(tmp_path: Path) -> None:
    out = tmp_path / "sens.npz"
    code, text = invoke(
        "sensitivity",
        "default",
        "--set",
        FAST[0],
        "--set",
        FAST[1],
        "--trials",
        "60",
        "--seed",
        "2",
        "--workers",
        "1",
        "--top",
        "2",
        "--swing-trials",
        "20",
        "--json",
        "--out",
        str(out),
    )
    assert code == 0, text
    data = json.loads(text)
    assert data["seed"] == "2" and data["output"] == "roi"
    assert data["method"].startswith("Spearman rank correlation of each input with ROI across 60")
    assert len(data["rows"]) == len(load_default_inputs())
    for row in data["rows"]:
        assert {"input", "label", "low", "high", "coefficient", "first_order_index"} <= set(row)
    assert [r["input"] for r in data["swing"]["rows"]] != []
    assert {r["input"] for r in data["swing"]["rows"]} == {r["input"] for r in data["rows"][:2]}
    saved = RunResult.load(out)
    assert saved.kind == "run" and saved.trials == 60
    stored = saved.meta["sensitivity"]
    assert stored["rows"] == data["rows"] and stored["swing"] == data["swing"]
    assert stored["swing"]["method"].startswith(SWING_METHOD)


def load_default_inputs() -> dict[str, object]:
    from simroi.scenario.load import load_scenario

    return dict(load_scenario("default", overrides=FAST).program.uncertain_inputs())


def test_sensitivity_table_names_both_methods_and_no_swing_skips_it() -> None:
    code, text = invoke(
        "sensitivity",
        "--set",
        FAST[0],
        "--set",
        FAST[1],
        "--trials",
        "30",
        "--seed",
        "6",
        "--workers",
        "1",
        "--top",
        "3",
        "--no-swing",
        "--quiet",
    )
    assert code == 0, text
    assert "Method: Spearman rank correlation" in text
    assert "swing" not in text.split("Replay exactly")[0].lower()
    assert "simroi sensitivity --seed 6 --trials 30 --top 3 --no-swing" in text
    code, text = invoke("sensitivity", "--top", "0")
    assert code == 2 and "Traceback" not in text


def test_the_sensitivity_result_reads_back_the_stored_tornados_exactly(
    synthetic_run_with_sensitivity: RunResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = synthetic_run_with_sensitivity
    stored = result.meta["sensitivity"]
    summary = summarize_sensitivity(result)
    assert summary.sampling.rows[0].input == stored["rows"][0]["input"]
    assert summary.swing is not None and len(summary.swing.rows) == len(stored["swing"]["rows"])
    # The JSON of `simroi sensitivity --json`: the run's header, then the stored tables as stored
    # (no break-evens were asked for: null, as a swing not run is).
    expected = {
        "kind": "sensitivity",
        "seed": str(result.provenance.seed),
        "trials": result.trials,
        "scenario": result.provenance.scenario_name,
        "source": result.provenance.scenario_source,
        "currency": "USD",
        **stored,
        "breakeven": None,
        "breakeven_method": None,
    }
    assert json.dumps(summary.to_dict()) == json.dumps(expected)
    assert [r["input"] for r in summary.to_dict(top=2)["rows"]] == [
        r["input"] for r in stored["rows"][:2]
    ]
    lines = repr(summary).splitlines()
    assert lines[0].startswith("SensitivityResult: what drives the ROI of social-care: 400")
    assert "swing tornado of 2 inputs" in lines[-1]
    assert summary._repr_html_().count("<tr>") == 1 + len(stored["rows"])
    assert summary.samples is result.samples
    pytest.importorskip("pandas")
    assert summary.to_frame().shape == (400, len(result.samples))
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"simroi\[notebook\]"):
        summary.to_frame()


def test_a_run_without_tornados_is_not_a_sensitivity_result(synthetic_run: RunResult) -> None:
    with pytest.raises(SensitivityError, match="holds no sensitivity analysis"):
        summarize_sensitivity(synthetic_run)
