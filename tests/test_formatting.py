"""`simroi.formatting`: one style per unit, numbers shown together with one precision."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from simroi.formatting import fmt, json_ready, money, pct, signed, significant


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
    together = [133_000.0, 3_695.22, -450.0]
    assert [money(x, scale=133_000.0) for x in together] == ["$133k", "$4k", "$0k"]
    assert [money(x, scale=9_000.0) for x in (8_903.98, 142.91)] == ["$8.9k", "$0.1k"]
    assert [fmt(x, "money", scale=12.33) for x in (7.83, 12.33)] == ["$7.83", "$12.33"]
    assert money(2_000_000.0, "EUR", scale=2_000_000.0) == "EUR 2.00M"
    assert money(-0.2, scale=500.0) == "$0"  # rounds to zero at this precision: no sign


def test_percentages_and_differences_use_a_true_minus_and_never_minus_zero() -> None:
    assert pct(-0.1234, 1) == "−12.3%"
    assert pct(-0.00001, 1) == "0.0%"
    assert fmt(0.25, "pct") == "25%"
    assert fmt(-0.004, "pp") == "+0 pp"
    assert signed(-0.0123, "pct") == "−1.2 pp"
    assert signed(0.0, "pct") == "+0.0 pp"
    assert signed(-52_340.0, "money", scale=130_000.0) == "−$52k"
    assert signed(1_762.65, "money", scale=15_000.0) == "+$2k"
    assert signed(-0.3, "money", scale=15_000.0) == "+$0k"
    assert signed(0.123, "num2") == "+0.12"
    assert signed(math.nan, "money") == "—"


def test_plain_numbers_share_their_decimals_and_inputs_keep_four_digits() -> None:
    assert [fmt(x, "num", scale=60.0) for x in (12.34, 2.0, 60.0)] == ["12.3", "2.0", "60.0"]
    assert fmt(12_107.4, "num") == "12,107"
    assert significant(0.018363) == "0.01836"
    assert significant(-4.0954) == "−4.095"
    assert significant(12_345.6) == "12,346" and significant(999.94) == "999.9"
    assert significant(0.018363, 3) == "0.0184"
    assert significant(math.inf) == "—"


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
