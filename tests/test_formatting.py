"""`simroi.formatting`: one style per unit, numbers shown together with one precision."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from simroi.formatting import (
    MONEY_UNITS,
    chance,
    counted,
    fmt,
    interval_cells,
    interval_text,
    json_ready,
    money,
    money_number_format,
    num_decimals,
    pct,
    signed,
    significant,
    stated_pct,
)


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (1_234_567.0, "$1.23M"),
        (250_400.0, "$250k"),
        (8_149.0, "$8.1k"),
        (-950.0, "−$950"),
        (6.4, "$6.40"),
        (0.0, "$0"),
        (-0.2, "−$0.20"),
        (math.nan, "—"),
        (None, "—"),
    ],
)
def test_money_is_compact_with_cents_below_a_hundred(x: float, text: str) -> None:
    assert money(x) == text


def test_amounts_shown_together_share_the_unit_and_precision_of_the_largest() -> None:
    # The terminal once printed "$3,695.22" beside "$133k": with one scale they read alike.
    assert [money(x, scale=133_000.0) for x in (133_000.0, 52_340.0, 12_000.0)] == [
        "$133k",
        "$52k",
        "$12k",
    ]
    assert [money(x, scale=9_000.0) for x in (8_903.98, 1_200.0)] == ["$8.9k", "$1.2k"]
    assert [fmt(x, "money", scale=12.33) for x in (7.83, 12.33)] == ["$7.83", "$12.33"]
    assert money(2_000_000.0, "EUR", scale=2_000_000.0) == "EUR 2.00M"
    assert money(0.0, scale=65_000.0) == "$0"


def test_a_nonzero_amount_keeps_two_significant_digits_beside_larger_ones() -> None:
    # A 3-month run printed every benefit line as "$0k" beside $49k of agent cost, and −$481 as
    # "$0k": an amount the shared unit would round away takes the coarsest unit that keeps two
    # significant digits.
    shown = [money(x, scale=56_000.0) for x in (49_000.0, 3_695.22, 1_976.0, -481.0, 56.84)]
    assert shown == ["$49k", "$3.7k", "$2.0k", "−$481", "$57"]
    assert money(142.91, scale=9_000.0) == "$143"  # not "$0.1k"
    assert money(99.96, scale=65_000.0) == "$100"  # not "$0.1k"
    assert money(-0.2, scale=500.0) == "−$0.20"  # not "$0"
    assert money(12_345.0, scale=2_500_000.0) == "$12k"  # not "$0.01M"
    # Exact only in whole units: a training cost of exactly $10k beside $2.19M read "$0.01M".
    assert money(10_000.0, scale=2_190_000.0) == "$10k"
    assert money(3_000_000.0, scale=2e9) == "$3.00M"
    # A round amount shown exactly keeps the shared unit: axis ticks read $5k beside $10k.
    assert [money(x, scale=10_000.0) for x in (0.0, 5_000.0, 10_000.0)] == ["$0", "$5k", "$10k"]
    assert money(9_960.0, scale=65_000.0) == "$10k"  # two digits, "10"
    assert money(0.004, scale=100.0) == "$0.00"  # under a cent: nothing to keep


def test_chart_number_formats_follow_the_money_units_of_the_tables() -> None:
    # The deck's axes switched to millions at $500k with one decimal while the tables switch at
    # $1M with two: "$0.6M" on the axis beside "$600k" in the table.
    assert money(600_000.0) == "$600k"
    assert money_number_format([600_000.0, -20_000.0], "USD") == '"$"#,##0,"k";−"$"#,##0,"k"'
    assert money_number_format([1_500_000.0], "USD") == '"$"#,##0.00,,"M";−"$"#,##0.00,,"M"'
    assert money_number_format([2e9], "EUR") == '"EUR "#,##0.00,,,"B";−"EUR "#,##0.00,,,"B"'
    assert money_number_format([8_149.0], "USD") == '"$"#,##0.0,"k";−"$"#,##0.0,"k"'
    assert money_number_format([950.0], "USD") == '"$"#,##0;−"$"#,##0'
    assert money_number_format([6.4, math.nan], "USD") == '"$"#,##0.00;−"$"#,##0.00'
    assert money_number_format([], "USD") == '"$"#,##0;−"$"#,##0'
    for low, *_ in MONEY_UNITS:  # one table: money() switches unit where the format does
        if low:
            assert money(low) != money(low * 0.999)


def test_percentages_and_differences_use_a_true_minus_and_never_minus_zero() -> None:
    assert pct(-0.1234, 1) == "−12.3%"
    assert pct(-1e-9, 1) == "0.0%"
    assert pct(-0.0, 0) == "0%"
    assert fmt(0.25, "pct") == "25%"
    assert fmt(1e-9, "pp") == "+0 pp"
    assert signed(-1e-9, "pct") == "+0.0 pp"
    assert signed(-0.0123, "pct") == "−1.2 pp"
    assert signed(0.0, "pct") == "+0.0 pp"
    assert signed(-52_340.0, "money", scale=130_000.0) == "−$52k"
    assert signed(1_762.65, "money", scale=15_000.0) == "+$1.8k"
    assert signed(-0.3, "money", scale=15_000.0) == "−$0.30"
    assert signed(0.0, "money", scale=15_000.0) == "+$0"
    assert signed(0.123, "num2") == "+0.12"
    assert signed(math.nan, "money") == "—"


def test_a_share_that_is_not_zero_never_shows_as_zero() -> None:
    # An ROI of −0.07 % is a loss: Markdown and slides (no decimals) said "0%" where the
    # terminal (one decimal) said "−0.1%".
    assert pct(-0.0007) == "−0.1%"
    assert pct(-0.0007, 1) == "−0.1%"
    assert pct(0.00049) == "0.05%"
    assert pct(-0.00004) == "−0.004%"
    assert fmt(-0.0007, "pct") == "−0.1%"
    assert fmt(-0.004, "pp") == "−0.4 pp"
    assert signed(0.0004, "pct") == "+0.04 pp"
    # Nor does one short of all: the baseline's social ignored share of 99.9 % read "100%".
    assert pct(0.999) == "99.9%"
    assert pct(0.99996, 1) == "99.996%"
    assert pct(1.0) == "100%" and pct(-1.0) == "−100%"
    assert pct(1.004) == "100%" and pct(-1.0003) == "−100%"  # past 100 % nothing is short of it


def test_plain_numbers_share_their_decimals_and_inputs_keep_four_digits() -> None:
    assert [fmt(x, "num", scale=60.0) for x in (12.34, 2.0, 60.0)] == ["12.3", "2.0", "60.0"]
    assert fmt(12_107.4, "num") == "12,107"
    assert fmt(21_253.2218, "num2") == "21,253.22"  # the queue table printed "21253.22"
    assert fmt(-1_234.5, "num2") == "−1,234.50"
    assert [num_decimals(m) for m in (0.0, 5.0, 12.0, 100.0)] == [0, 2, 1, 0]
    assert significant(0.018363) == "0.01836"
    assert significant(-4.0954) == "−4.095"
    assert significant(12_345.6) == "12,346" and significant(999.94) == "999.9"
    assert significant(0.018363, 3) == "0.0184"
    assert significant(math.inf) == "—"


def test_stated_shares_keep_the_digits_they_were_given() -> None:
    # A target of 0.925 printed as "92.5%", not rounded to "92%" nor "92.500000%".
    assert [stated_pct(x) for x in (0.8, 0.925, 0.07, 1.0)] == ["80%", "92.5%", "7%", "100%"]
    assert stated_pct(math.nan) == "—"


def test_every_interval_reads_centre_then_low_to_high_in_brackets() -> None:
    assert interval_text("−$12k", "$30k", "$8.1k") == "$8.1k [−$12k–$30k]"
    assert interval_text("5%", "9%") == "[5%–9%]"


def test_json_has_no_nan_and_no_numpy_types() -> None:
    data = {
        "ci95": (math.nan, math.inf),
        "mean": np.float64(0.25),
        "n": np.int64(3),
        "arr": np.array([1.0, np.nan]),
        1: True,
    }
    cleaned = json_ready(data)
    assert cleaned == {"ci95": [None, None], "mean": 0.25, "n": 3, "arr": [1.0, None], "1": True}
    assert type(cleaned["n"]) is int and type(cleaned["mean"]) is float
    json.dumps(cleaned, allow_nan=False)


@pytest.mark.parametrize(
    ("p", "digits", "shown"),
    [
        (0.005, 0, "<1%"),  # one trial in 200: possible, not 0 %
        (0.0004, 1, "<0.1%"),
        (0.004, 1, "0.4%"),
        (0.995, 0, ">99%"),
        (0.9996, 1, ">99.9%"),
        (0.0, 0, "0%"),  # no trial at all: 0 % is the truth
        (1.0, 1, "100.0%"),
        (0.5, 0, "50%"),
        (float("nan"), 0, "—"),
    ],
)
def test_a_chance_never_rounds_a_possibility_away(p: float, digits: int, shown: str) -> None:
    assert chance(p, digits) == shown


def test_a_count_of_one_takes_the_singular() -> None:
    assert counted(1, "trial") == "1 trial"
    assert counted(0, "trial") == "0 trials"
    assert counted(1000, "trial") == "1,000 trials"


@pytest.mark.parametrize(
    ("values", "shown"),
    [
        ([0.0077, 0.0070, 0.0085], ["0.0077", "0.0070", "0.0085"]),  # 28 s in hours: was 0.01
        ([0.05, 0.04], ["0.050", "0.040"]),
        ([0.5, 0.25], ["0.50", "0.25"]),
        ([12.75, 12.6], ["12.8", "12.6"]),
    ],
)
def test_small_plain_numbers_keep_two_significant_digits(
    values: list[float], shown: list[str]
) -> None:
    assert interval_cells(values, "num") == shown
    assert num_decimals(1e-12) == 6  # at most
