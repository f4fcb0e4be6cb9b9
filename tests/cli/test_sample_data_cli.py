"""``simroi sample-data``: writes the four files, each whole or not at all, never over existing ones
without --force; bad input exits 2 with one line and no traceback."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from simroi.cli.app import main
from simroi.data.read import read_data
from simroi.exports.sample_files import SAMPLE_FILES


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.stdout, result.stderr


def test_writes_the_files_and_they_read(tmp_path: Path) -> None:
    target = tmp_path / "new" / "data"
    code, out, err = run("sample-data", str(target), "--days", "3", "--customers", "40")
    assert code == 0, err
    assert sorted(p.name for p in target.iterdir()) == sorted(SAMPLE_FILES)
    assert f"wrote {target / 'intervals.csv'} (864 rows)" in out
    assert "seed 1" in out
    data = read_data([target / n for n in SAMPLE_FILES if n.endswith(".csv")])
    assert data.channels == ("email", "phone", "social")
    assert data.customers is not None and data.customers.rows == 40


def test_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    (tmp_path / "contacts.csv").write_text("mine\n")
    code, out, err = run("sample-data", str(tmp_path), "--days", "2", "--customers", "10")
    assert code == 2 and out == ""
    assert err == (
        f"error: {tmp_path / 'contacts.csv'}: already exist (use --force to overwrite)\n"
    )
    assert (tmp_path / "contacts.csv").read_text() == "mine\n"
    assert not (tmp_path / "intervals.csv").exists()
    code, _, err = run("sample-data", str(tmp_path), "--days", "2", "--customers", "10", "--force")
    assert code == 0, err
    assert (tmp_path / "contacts.csv").read_text().startswith("arrived_at,channel,outcome")


def test_seed_changes_the_files(tmp_path: Path) -> None:
    for seed in ("5", "6"):
        assert run("sample-data", str(tmp_path / seed), "--days", "2", "--seed", seed)[0] == 0
    a, b = ((tmp_path / s / "contacts.csv").read_text() for s in ("5", "6"))
    assert a != b


def test_unknown_scenario_exits_2(tmp_path: Path) -> None:
    code, _, err = run("sample-data", str(tmp_path), "--scenario", "no-such-scenario")
    assert code == 2 and err.startswith("error: ") and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_directory_under_a_file_exits_2(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("x")
    target = tmp_path / "taken" / "data"
    code, _, err = run("sample-data", str(target), "--days", "1", "--customers", "4")
    assert code == 2
    assert err == f"error: {target}: cannot make the directory (Not a directory)\n"


def test_bad_days_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = run("sample-data", str(tmp_path), "--days", "0")
    assert code == 2 and "Invalid value for '--days'" in err


def test_help_says_what_it_writes() -> None:
    code, out, _ = run("sample-data", "--help")
    assert code == 0
    for text in ("--force", "--seed", "--days", "--scenario", "truth.json", "intervals.csv"):
        assert text in out
