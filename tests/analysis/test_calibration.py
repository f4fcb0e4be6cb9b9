"""Calibration end to end: files simulated from known parameters → read → fit → written scenario.

The fits' coverage over many seeds is tested beside the fits (``tests/data``); here one seed
checks that every piece is joined right: each fitted input lands under its key, with its source,
and its estimate lies within the fit's own uncertainty of the truth. The bound is the 90 %
interval widened to 99.9 % (half-width × 3.29 / 1.645, the normal ratio), so that with the
dozen inputs checked the test fails by chance about once in a hundred seeds, not once in three.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from calibration_data import (
    CUSTOMERS,
    PHONE_PER_DAY,
    TRUTH,
    WEEKDAY,
    write_contact_logs,
    write_customer_outcomes,
)

from simroi.analysis.calibration import CalibrationResult, calibrate, first_contact_shares
from simroi.data.fit import FittedInput
from simroi.data.read import read_data
from simroi.errors import DataFileError
from simroi.scenario.quantity import as_distribution
from simroi.scenario.spec import Scenario

#: 99.9 % two-sided over 90 % two-sided, for a normal estimator.
WIDEN = 3.2905 / 1.6449


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("data")
    phone, email = write_contact_logs(folder)
    return [phone, email, write_customer_outcomes(folder)]


@pytest.fixture(scope="module")
def result(files: list[Path], tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("out") / "calibrated.toml"
    return calibrate(read_data(files), out, customers=CUSTOMERS)


def test_each_fitted_parameter_lies_within_its_uncertainty_of_the_truth(result) -> None:  # type: ignore[no-untyped-def]
    fitted = {f.scenario_key: f for f in result.fitted}
    assert set(TRUTH) <= set(fitted)
    for key, truth in TRUTH.items():
        fit = fitted[key]
        low, high = fit.interval90
        half = (high - low) / 2 * WIDEN
        assert abs(float(fit.value) - truth) <= half, (key, fit.value, fit.interval90, truth)


def _lookup(program: Scenario, key: str) -> Any:
    node: Any = program
    for part in key.split("."):
        node = node[part] if isinstance(node, dict) else getattr(node, part)
    return node


def test_every_fitted_key_is_written_with_its_source(result) -> None:  # type: ignore[no-untyped-def]
    text = result.written.path.read_text(encoding="utf-8")
    program = result.written.loaded.program
    for fit in result.fitted:
        if isinstance(fit.distribution, dict) and "dist" in fit.distribution:
            value = _lookup(program, fit.scenario_key)
            assert as_distribution(value).source == fit.source_text, fit.scenario_key
        else:
            assert f"# fitted: {fit.source_text}" in text, fit.scenario_key
    # The shape of demand is the data's, at its resolution (15-minute bins of the logs).
    phone = program.channels["phone"]
    assert phone.intraday_profile_minutes == 15 and len(phone.intraday_profile) == 96
    assert phone.hours.days == ["mon", "tue", "wed", "thu", "fri", "sat"]
    assert program.customers.active_customers == CUSTOMERS


def test_the_churn_section_shows_the_counts_behind_each_multiplier(result) -> None:  # type: ignore[no-untyped-def]
    assert result.churn is not None
    by_class = {c.experience: c for c in result.churn.classes}
    assert by_class["none"].customers == 12_000 and by_class["abandoned"].customers == 4_000
    assert "observational" in result.churn.note
    data = result.to_json()
    rows = {r["experience"]: r for r in data["churn"]["classes"]}
    assert rows["abandoned"]["churned"] == by_class["abandoned"].churned
    assert rows["none"]["multiplier"] is None
    json.dumps(data, allow_nan=False)  # plain JSON, no NaN


def test_the_volume_counts_first_contacts_and_says_so(result) -> None:  # type: ignore[no-untyped-def]
    rate = _rate(result, "phone")
    share = result.channels["phone"].first_contact_share
    assert 0 < share < 1
    assert "first contacts" in rate.note
    # Undo the repeat split: the rate of every observed contact is the level simulated.
    observed = PHONE_PER_DAY * WEEKDAY.mean() * 365.25 / CUSTOMERS
    half = (rate.interval90[1] - rate.interval90[0]) / 2 / share * WIDEN
    assert abs(rate.value / share - observed) <= half


def test_first_contacts_solve_the_model_steady_state() -> None:
    # Two observed channels sending half their returns to each other, a third unobserved one
    # sending all of its returns to phone: T = F + M·T by hand.
    back = {"phone": 0.3, "email": 0.4, "social": 0.5}
    routes = {
        "phone": {"phone": 0.5, "email": 0.5},
        "email": {"phone": 0.5, "email": 0.5},
        "social": {"phone": 1.0},
    }
    total_social = 20.0 / (1 - 0.0)  # nothing returns to social
    observed = {"phone": 500.0, "email": 200.0}
    fresh = first_contact_shares(observed, {"social": 20.0}, back, routes)
    expected_phone = 500 - 0.3 * 0.5 * 500 - 0.4 * 0.5 * 200 - 0.5 * total_social
    expected_email = 200 - 0.3 * 0.5 * 500 - 0.4 * 0.5 * 200
    assert fresh["phone"] == pytest.approx(expected_phone)
    assert fresh["email"] == pytest.approx(expected_email)


def test_a_channel_the_scenario_lacks_is_one_line_and_nothing_is_written(
    tmp_path: Path, files: list[Path]
) -> None:
    chat = tmp_path / "chat.csv"
    chat.write_text(files[0].read_text(encoding="utf-8").replace(",phone,", ",chat,"),
                    encoding="utf-8")  # fmt: skip
    out = tmp_path / "calibrated.toml"
    with pytest.raises(DataFileError) as caught:
        calibrate(read_data([chat]), out)
    lines = chat.read_text(encoding="utf-8").splitlines()
    row = next(i for i, line in enumerate(lines, 1) if ",chat," in line)
    assert caught.value.problems == [
        f"{chat} row {row}, column channel: channel 'chat' (contacts) is not in scenario "
        "'default' (its channels: phone, email, social)"
    ]
    assert not out.exists()


def _rate(result: CalibrationResult, channel: str) -> FittedInput:
    key = f"channels.{channel}.contacts_per_customer_per_year"
    return next(f for f in result.fitted if f.scenario_key == key)


def test_without_customers_the_rates_are_against_the_scenario_count(
    tmp_path: Path, files: list[Path]
) -> None:
    plain = calibrate(read_data(files[:1]), tmp_path / "plain.toml")
    base = as_distribution(result_base_customers())
    assert plain.customers == pytest.approx(base.mean())
    assert any("--customers N" in n for n in plain.notes)
    # The count is held at the one the rates are per, so every trial simulates the observed
    # contacts a day (an uncertain count would move the volume with an input the data never saw).
    assert plain.written.loaded.program.customers.active_customers == round(base.mean())
    given = calibrate(read_data(files[:1]), tmp_path / "given.toml",
                      customers=round(plain.customers))  # fmt: skip
    per_day = [float(_rate(r, "phone").value) * r.customers / 365.25 for r in (plain, given)]
    assert per_day[0] == pytest.approx(per_day[1], rel=1e-5)
    assert given.written.loaded.program.customers.active_customers == round(plain.customers)
    assert any("given" in n for n in given.notes)
    # Channels without data keep their rate per customer: their volume follows the count.
    assert any(n.startswith("email, social: no arrivals") for n in given.notes)


def result_base_customers() -> Any:
    from simroi.scenario.load import load_scenario

    return load_scenario(None).program.customers.active_customers


def _busiest_day(logs: list[Path]) -> tuple[int, str]:
    """The most distinct customer ids with a contact on one day in ``logs``, and that day."""
    import csv
    from collections import defaultdict

    by_day: defaultdict[str, set[str]] = defaultdict(set)
    for path in logs:
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                by_day[row["arrived_at"][:10]].add(row["customer_id"])
    day = max(by_day, key=lambda d: len(by_day[d]))
    return len(by_day[day]), day


def test_fewer_customers_than_contact_on_one_day_are_refused(
    tmp_path: Path, files: list[Path]
) -> None:
    """Rates per too few customers make each contact many times a day, and word of mouth and
    churn, which act per customer, run away: everyone with a contact on a day is a customer."""
    from simroi.errors import OptionError

    seen, day = _busiest_day(files[:2])
    data = read_data(files)
    assert data.busiest_customer_day() == (seen, day, ("email.csv", "phone.csv"))
    out = tmp_path / "few.toml"
    with pytest.raises(
        OptionError, match=rf"at least the {seen:,} customers .* on {day} .*\(got 10\)"
    ):
        calibrate(data, out, customers=10)
    with pytest.raises(OptionError, match=rf"\(got {seen - 1:,}\)"):
        calibrate(data, out, customers=seen - 1)
    assert not out.exists()
    assert calibrate(data, out, customers=seen).written.path == out


def test_a_held_count_below_one_day_s_customers_is_noted(tmp_path: Path) -> None:
    from simroi.scenario.load import resolve_scenario_path

    base = resolve_scenario_path(None).read_text(encoding="utf-8")
    line = next(x for x in base.splitlines() if x.startswith("active_customers"))
    scenario = tmp_path / "tiny.toml"
    scenario.write_text(base.replace(line, "active_customers = 3"), encoding="utf-8")
    log = tmp_path / "log.csv"
    log.write_text(
        "arrived_at,channel,outcome,wait_seconds,handle_seconds,customer_id\n"
        + "".join(f"2025-01-06 09:0{i}:00,phone,answered,5,300,C{i}\n" for i in range(5)),
        encoding="utf-8",
    )
    result = calibrate(read_data([log]), tmp_path / "out.toml", into=str(scenario))
    assert result.customers == 3
    assert any(
        n.startswith("customers: 5 customers had a contact on 2025-01-06 alone")
        for n in result.notes
    )
