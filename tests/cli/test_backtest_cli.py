"""``simroi backtest``: tables, JSON, plots, the replay line, and one-line errors."""

from __future__ import annotations

import datetime as dt
import json
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from observed_days import SMALL, small, synthetic_reports, write_interval_csv

import simroi.analysis.backtest
from simroi.analysis.backtest import DEFAULT_TRIALS, METRICS, backtest
from simroi.cli.app import main
from simroi.cli.backtest import DEFAULT_TRIALS as CLI_DEFAULT_TRIALS
from simroi.data.read import read_data

SETS = [word for override in SMALL for word in ("--set", override)]
PREFIX = "Replay exactly: "


@pytest.fixture(scope="module")
def days_csv(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Seven days of phone and email, an interval report of hourly rows."""
    reports = synthetic_reports(small(), 7, seed=4, channels=("phone", "email"))
    folder = tmp_path_factory.mktemp("data")
    return str(write_interval_csv(reports, folder / "intervals.csv"))


@pytest.fixture(scope="module")
def phone_csv(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Three days of phone alone."""
    reports = synthetic_reports(small(), 3, seed=5, channels=("phone",))
    folder = tmp_path_factory.mktemp("phone")
    return str(write_interval_csv(reports, folder / "phone.csv"))


def _invoke(args: list[str], code: int = 0) -> Result:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == code, result.output
    return result


def test_the_default_trials_are_the_library_default() -> None:
    assert CLI_DEFAULT_TRIALS == DEFAULT_TRIALS


def test_json_is_the_issue_structure_and_the_replay_line_gives_it_again(days_csv: str) -> None:
    """The table run prints a replay line; run with --json it gives the JSON of a --json run
    with the same options, byte for byte."""
    args = ["backtest", "default", days_csv, *SETS, "--trials", "20", "--seed", "6"]
    args += ["--to", "2003-09-05"]
    printed = _invoke(args).output
    replay = next(line for line in printed.splitlines() if line.startswith(PREFIX))
    words = shlex.split(replay.removeprefix(PREFIX))
    assert words[:4] == ["simroi", "backtest", "default", days_csv]
    assert "--to" in words and "2003-09-05" in words
    first = _invoke([*args, "--json"]).output
    again = _invoke([*words[1:], "--json"]).output
    assert again == first
    data = json.loads(first)
    assert data.pop("replay") == replay.removeprefix(PREFIX)  # the JSON alone runs it again
    # The library function gives the same JSON (simroi.analysis.backtest.backtest).
    dataset = read_data([days_csv])
    library = backtest(small(), dataset, trials=20, seed=6, end=dt.date(2003, 9, 5)).to_dict()
    library["scenario"] = data["scenario"]  # the CLI's is the bundled default with --set
    assert json.loads(json.dumps(library, allow_nan=False)) == data
    assert {"scenario", "data", "days", "coverage90"} <= set(data)
    assert data["scenario"]["name"] == "default" and len(data["scenario"]["hash"]) == 64
    assert data["data"][0]["path"] == days_csv
    assert [d["date"] for d in data["days"] if d["channel"] == "phone"] == [
        "2003-09-01",
        "2003-09-02",
        "2003-09-03",
        "2003-09-04",
        "2003-09-05",
    ]
    assert set(data["days"][0]["metrics"]) == set(METRICS)
    assert set(data["coverage90"]) == set(METRICS)


def test_tables_list_the_days_outside_then_the_coverage(days_csv: str) -> None:
    args = ["backtest", "default", days_csv, *SETS, "--trials", "20", "--seed", "6"]
    out = _invoke(args).output
    assert "phone: intervals.csv" in out and "email: intervals.csv" in out
    assert "Coverage of the simulated 90% band" in out
    assert "A well calibrated model covers about 90% of days" in out
    listed = _invoke([*args, "--all-days"]).output
    for day in ("2003-09-01", "2003-09-07"):
        assert day in listed
    assert "no --seed" not in out
    # Email is never abandoned: its abandonment days tell nothing and are not counted.
    (abandonment,) = [line for line in out.splitlines() if line.startswith("│ abandonment")]
    cells = [cell.strip() for cell in abandonment.split("│")]
    assert cells[3] == "n/a" and cells[4].endswith("(+7 n/a)"), cells
    assert "n/a (every trial equal): every simulated trial gives the observed value" in out


def test_a_day_cut_short_is_listed_as_left_out(tmp_path: Path) -> None:
    """An export pulled at 11:45 on its last day: that day is left out, with the reason, in the
    text and in --json."""
    lines = ["interval_start,channel,offered"]
    for day in range(1, 15):
        last = 11 if day == 14 else 19
        lines += [f"2003-09-{day:02d} {h:02d}:00,phone,20" for h in range(8, last + 1)]
    path = tmp_path / "cut.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = ["backtest", "default", str(path), *SETS, "--trials", "20", "--seed", "6"]
    out = _invoke(args).output
    assert "left out 2003-09-14: rows only from 08:00 to 12:00;" in out
    assert "1 day(s) left out: the data covers them only in part." in out
    data = json.loads(_invoke([*args, "--json"]).output)
    assert [s["date"] for s in data["skipped"]] == ["2003-09-14"]
    assert "2003-09-14" not in {d["date"] for d in data["days"]}


def test_plots_are_written_per_channel_and_metric(phone_csv: str, tmp_path: Path) -> None:
    folder = tmp_path / "new" / "plots"
    args = ["backtest", "default", phone_csv, *SETS, "--trials", "20", "--seed", "6"]
    out = _invoke([*args, "--plots", str(folder)]).output
    written = sorted(p.name for p in folder.iterdir())
    assert written == sorted(f"backtest-phone-{m}.png" for m in METRICS)
    assert all((folder / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for name in written)
    assert f"Plots written to {folder} (4 files)" in out


# --- bad input: one line, exit 2, nothing written --------------------------------------------


def _error(args: list[str]) -> str:
    result = _invoke(args, code=2)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert "Traceback" not in result.output
    return lines[0]


def test_a_channel_the_scenario_lacks_names_file_channel_and_channels(tmp_path: Path) -> None:
    path = tmp_path / "chat.csv"
    path.write_text("interval_start,channel,offered\n2003-09-01 08:00,chat,12\n", "utf-8")
    line = _error(["backtest", "default", str(path), "--interval-minutes", "60", "--seed", "1"])
    assert line == (
        f"error: {path} row 2, column channel: channel 'chat' (intervals) is not in scenario "
        "'default' (its channels: phone, email, social)"
    )


def test_from_after_to_and_no_days_in_range(days_csv: str, tmp_path: Path) -> None:
    base = ["backtest", "default", days_csv, "--seed", "1"]
    line = _error([*base, "--from", "2003-09-05", "--to", "2003-09-01"])
    assert line == "error: --from 2003-09-05 is after --to 2003-09-01"
    line = _error([*base, "--from", "2004-01-01"])
    assert line.startswith("error: no observed day from 2004-01-01 to the end in the data (")
    assert "intervals.csv" in line
    plots = tmp_path / "plots"
    _error([*base, "--from", "2004-01-01", "--plots", str(plots)])
    assert not plots.exists() or not any(plots.iterdir())


def test_customer_outcomes_alone_are_not_enough(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(
        "customer_id,experience,months_observed,churned\n1,none,6,0\n2,ignored,6,1\n", "utf-8"
    )
    line = _error(["backtest", "default", str(path), "--seed", "1"])
    assert line.startswith("error: customers.csv: no interval report or contact log")


def test_a_bad_columns_mapping_and_too_few_trials_are_usage_errors(days_csv: str) -> None:
    line = _error(["backtest", "default", days_csv, "--columns", "offered"])
    assert "OURS=THEIRS" in line and "(got 'offered')" in line
    result = _invoke(["backtest", "default", days_csv, "--trials", "5"], code=2)
    assert "--trials" in result.output


def test_help_names_the_metrics_and_the_coverage() -> None:
    out = _invoke(["backtest", "--help"]).output
    for words in ("service level", "abandonment", "mean wait", "90%", "--all-days", "--plots"):
        assert words in out


def test_sample_data_reads_through_with_its_agents_or_from_its_contact_log(
    tmp_path: Path,
) -> None:
    """The files sample-data writes: the 15-minute interval report's agents staff the days;
    its contact log alone gives the same observed metrics from its rows (arrival day, SLA on
    the wait or the response), on the scenario's staff."""
    _invoke(["sample-data", str(tmp_path), "--days", "8", "--customers", "10"])
    args = ["backtest", "default", "--from", "2025-01-13", "--trials", "20", "--seed", "2"]
    both = json.loads(
        _invoke(
            [*args, str(tmp_path / "intervals.csv"), str(tmp_path / "contacts.csv"), "--json"]
        ).output
    )
    assert both["staffing"] == dict.fromkeys(("phone", "email", "social"), "observed agents")
    assert [d["date"] for d in both["days"]] == ["2025-01-13"] * 3
    assert {s["kind"] for s in both["data"]} == {"intervals", "contacts"}
    log = json.loads(_invoke([*args, str(tmp_path / "contacts.csv"), "--json"]).output)
    assert log["staffing"] == dict.fromkeys(("phone", "email", "social"), "scenario")
    # The same contacts, counted from the interval rows and from the log's own rows (the
    # report's mean waits are rounded in the file).
    for from_report, from_log in zip(both["days"], log["days"], strict=True):
        assert set(from_log["metrics"]) == set(METRICS)
        for metric in METRICS:
            assert from_log["metrics"][metric]["observed"] == pytest.approx(
                from_report["metrics"][metric]["observed"], rel=1e-3
            ), metric


def test_a_stray_far_date_is_refused_in_one_line(phone_csv: str, tmp_path: Path) -> None:
    """Found by fuzzing: a day dated 9999-12-31 made backtest simulate every day of 8,000
    years. Now one line names the file, the column and the dates; --to leaves it out."""
    lines = Path(phone_csv).read_text(encoding="utf-8").splitlines()
    # a whole day copied to 9999-12-31 (a lone row would be skipped as a partial day)
    lines += [line.replace("2003-09-01", "9999-12-31") for line in lines if "2003-09-01" in line]
    path = tmp_path / "stray.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    base = ["backtest", "default", str(path), "--seed", "1", "--trials", "20"]
    line = _error(base)
    assert line == (
        f"error: {path}, column interval_start: the dates run 2003-09-01 to 9999-12-31 "
        "(2,920,601 days), more than 3,653 (ten years): a stray date such as 9999-12-31 or "
        "1970-01-01? Fix it, or keep a range with --from and --to"
    )
    _invoke([*base, "--to", "2003-09-03", "--quiet"])


def test_a_billion_agents_on_queue_is_refused_in_one_line(tmp_path: Path) -> None:
    """Found by fuzzing: an agents cell of 1736121600 (a date's epoch seconds in the wrong
    column) made backtest ask numpy for 259 GiB (MemoryError)."""
    path = tmp_path / "agents.csv"
    path.write_text(
        "interval_start,channel,offered,agents\n"
        "2003-09-01 08:00,phone,12,3\n2003-09-01 09:00,phone,12,1736121600\n",
        "utf-8",
    )
    line = _error(["backtest", "default", str(path), "--interval-minutes", "60", "--seed", "1"])
    assert line == (
        "error: agents.csv, column agents, interval 2003-09-01T09:00: must be at most 10,000 "
        "agents on queue to simulate (got 1,736,121,600)"
    )


def test_agents_the_memory_cannot_hold_are_refused_before_simulating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "agents.csv"
    path.write_text(
        "interval_start,channel,offered,agents\n"
        "2003-09-01 08:00,phone,12,3\n2003-09-01 09:00,phone,12,3000\n",
        "utf-8",
    )
    monkeypatch.setattr(simroi.analysis.backtest, "available_memory", lambda: 10 * 2**20)
    monkeypatch.setattr(simroi.analysis.backtest, "simulate_days", _must_not_simulate)
    args = ["backtest", "default", str(path), "--interval-minutes", "60", "--seed", "1"]
    line = _error([*args, "--trials", "20"])
    # 3,000 agents x 20 trials x 15 intervals of a week (2 a day) x 80 bytes = 0.07 GiB
    assert line == (
        "error: agents.csv, column agents: 3,000 agents on queue on 2003-09-01 (phone) need about "
        "0.1 GiB to simulate over 20 trials at once, and 0.0 GiB is available; give fewer "
        "--trials (20 at least) or a smaller simulation.block_size (the trials simulated at "
        "once), or check the agents column"
    )


def _must_not_simulate(*args: object, **kwargs: object) -> None:
    raise AssertionError("simulated before checking the memory")
