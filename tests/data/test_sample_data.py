"""Sample data (simroi.model.sample_data): the files read back exactly, and they carry the
truth they were simulated from (each figure within a few standard errors at a fixed seed)."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import numpy as np
import pytest

from simroi.data.columns import KINDS
from simroi.data.frames import OUTCOMES, DataSet
from simroi.data.read import read_data
from simroi.model.sample_data import FIRST_DAY, SampleData, simulate_sample_data
from simroi.randomness import Streams
from simroi.scenario.load import load_scenario

DAYS = 21


@pytest.fixture(scope="module")
def sample() -> SampleData:
    scenario = load_scenario(None).program
    return simulate_sample_data(scenario, days=DAYS, customers=4_000, streams=Streams(11, 0))


@pytest.fixture(scope="module")
def folder(sample: SampleData, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    for name, text in sample.files.items():
        (out / name).write_text(text, encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def data(folder: Path) -> DataSet:
    return read_data([folder / n for n in ("intervals.csv", "contacts.csv", "customers.csv")])


def rows(sample: SampleData, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(sample.files[name])))


def number(text: str) -> float:
    return math.nan if text == "" else float(text)


def test_intervals_read_back_exactly(sample: SampleData, data: DataSet) -> None:
    table = rows(sample, "intervals.csv")
    assert set(data.intervals) == {"phone", "email", "social"}
    for channel, report in data.intervals.items():
        mine = [r for r in table if r["channel"] == channel]
        assert report.interval_minutes == 15 and report.rows == len(mine) == DAYS * 96
        starts = np.array([r["interval_start"].replace(" ", "T") for r in mine], "datetime64[s]")
        np.testing.assert_array_equal(report.start, starts)
        for field in (
            "offered",
            "answered",
            "abandoned",
            "answered_within_sla",
            "handle_seconds_mean",
            "wait_seconds_mean",
            "agents",
        ):
            np.testing.assert_array_equal(getattr(report, field), [number(r[field]) for r in mine])


def test_contacts_read_back_exactly(sample: SampleData, data: DataSet) -> None:
    table = rows(sample, "contacts.csv")
    for channel, log in data.contacts.items():
        mine = [r for r in table if r["channel"] == channel]
        assert log.rows == len(mine) == sample.truth["channels"][channel]["contacts"]
        stamps = np.array([r["arrived_at"].replace(" ", "T") for r in mine], "datetime64[s]")
        np.testing.assert_array_equal(log.arrived_at, stamps)
        np.testing.assert_array_equal(log.outcome, [OUTCOMES.index(r["outcome"]) for r in mine])
        np.testing.assert_array_equal(log.wait_seconds, [float(r["wait_seconds"]) for r in mine])
        np.testing.assert_array_equal(
            log.handle_seconds, [number(r["handle_seconds"]) for r in mine]
        )
        np.testing.assert_array_equal(log.resolved, [r["resolved"] == "1" for r in mine])
        np.testing.assert_array_equal(log.public, [r["public"] == "1" for r in mine])
        # Codes: equal ids, equal codes.
        ids = [r["customer_id"] for r in mine]
        assert log.customer_id is not None
        pairs = set(zip(log.customer_id.tolist(), ids, strict=True))
        assert len(pairs) == len(set(ids)) == len(set(log.customer_id.tolist()))


def test_customers_read_back_exactly(sample: SampleData, data: DataSet) -> None:
    table = rows(sample, "customers.csv")
    got = data.customers
    assert got is not None and got.rows == len(table) == 4_000
    np.testing.assert_array_equal(got.experience, [r["experience"] for r in table])
    np.testing.assert_array_equal(got.months_observed, [float(r["months_observed"]) for r in table])
    np.testing.assert_array_equal(got.churned, [r["churned"] == "1" for r in table])
    np.testing.assert_array_equal(got.monthly_margin, [float(r["monthly_margin"]) for r in table])
    assert len(set(got.customer_id.tolist())) == got.rows


def test_each_file_has_every_column_its_kind_of_file_can_have(sample: SampleData) -> None:
    """The sample files show every column the reader knows (data.columns.KINDS), no other:
    the sample lists its columns in its own order, so a column added to the reader and not to
    the sample, or renamed in one only, fails here."""
    for kind in KINDS:
        header = next(csv.reader(io.StringIO(sample.files[f"{kind.name}.csv"])))
        assert sorted(header) == sorted(c.name for c in kind.columns), kind.name


def test_truth_json_is_the_truth(sample: SampleData) -> None:
    assert json.loads(sample.files["truth.json"]) == sample.truth
    assert sample.truth["days"] == DAYS and sample.truth["seed"] == 11


def test_same_seed_same_files() -> None:
    scenario = load_scenario(None).program
    a = simulate_sample_data(scenario, days=2, customers=50, streams=Streams(3, 0))
    b = simulate_sample_data(scenario, days=2, customers=50, streams=Streams(3, 0))
    c = simulate_sample_data(scenario, days=2, customers=50, streams=Streams(4, 0))
    assert a.files == b.files
    assert a.files["contacts.csv"] != c.files["contacts.csv"]


def test_volume_matches_the_truth(sample: SampleData, data: DataSet) -> None:
    """First contacts over the days: Poisson with a gamma busyness (cv c) a day, so the total
    has variance Σ λ_d + λ_d² c²; ``offered`` counts them with the repeats and retries."""
    for channel, report in data.intervals.items():
        t = sample.truth["channels"][channel]
        assert report.offered.sum() == t["contacts"]
        assert t["contacts"] == t["first_contacts"] + t["repeats"] + t["retries"]
        assert t["repeats"] > 0
        lam = t["contacts_per_day"] * np.asarray(t["weekday_factors"])[np.arange(DAYS) % 7]
        sd = math.sqrt(float((lam + lam**2 * t["busyness_cv"] ** 2).sum()))
        assert abs(t["first_contacts"] - lam.sum()) < 3 * sd, channel


def within(got: int, n: int, p: float, extra: float = 0.0) -> bool:
    """``got`` of ``n`` within 3 binomial standard errors of share ``p`` (plus ``extra``)."""
    return abs(got / n - p) <= 3 * math.sqrt(p * (1 - p) / n) + extra + 1e-12


def test_repeats_and_retries_follow_the_scenario(sample: SampleData) -> None:
    """A contact's return is its customer's next contact on a later day, 1–7 days on: every answered
    unresolved one returns (so a share 1 − FCR of the answered), an abandoned or ignored one
    with the retry share, a resolved one never; on the channels ``repeat_channels`` names, in
    its shares. Contacts whose return could fall after the window are left out; a customer
    number drawn twice by chance makes a false return, allowed for as ``chance``."""
    table = rows(sample, "contacts.csv")
    stamps = np.array([r["arrived_at"].replace(" ", "T") for r in table], "datetime64[s]")
    day = (stamps - FIRST_DAY).astype(np.int64) // 86_400
    customer = np.array([r["customer_id"] for r in table])
    channel = np.array([r["channel"] for r in table])
    # Each contact's return: its customer's first contact on a later day, if 1–7 days later.
    code = np.unique(customer, return_inverse=True)[1]
    key = code * (DAYS + 8) + day
    order = np.argsort(key, kind="stable")
    at = np.minimum(np.searchsorted(key[order], key + 1), day.size - 1)
    following = order[at]
    gap = day[following] - day
    back = (code[following] == code) & (gap >= 1) & (gap <= 7)
    eligible = day + 8 <= DAYS
    truth = sample.truth["channels"]
    per_day = sum(t["contacts"] for t in truth.values()) / DAYS
    chance = 8 * per_day / sample.truth["customers"]["active_customers"]
    for name, t in truth.items():
        mine = eligible & (channel == name)
        outcome = np.array([r["outcome"] for r in table])[mine]
        resolved = np.array([r["resolved"] == "1" for r in table])[mine]
        came = back[mine]
        answered = outcome == "answered"
        assert came[answered & ~resolved].all(), name
        assert came[answered & resolved].mean() <= chance, name
        assert within(came[answered].sum(), answered.sum(), 1 - t["fcr"], chance), name
        failed = ~answered
        if failed.sum() > 30:
            assert within(came[failed].sum(), failed.sum(), t["retry_share"], chance), name
        returns = following[np.flatnonzero(mine)[answered & ~resolved]]
        allowed = np.isin(channel[returns], list(t["repeat_channels"]))
        assert (~allowed).mean() <= chance, name
        for target, share in t["repeat_channels"].items():
            assert within((channel[returns] == target).sum(), returns.size, share, chance), name


def test_handle_times_match_the_truth(sample: SampleData, data: DataSet) -> None:
    """The mean handle time of answered contacts (a contact's handle time does not decide
    whether it is answered), within 3 standard errors (lognormal, cv from the truth)."""
    for channel, log in data.contacts.items():
        t = sample.truth["channels"][channel]
        handle = log.handle_seconds[~np.isnan(log.handle_seconds)]
        se = t["handle_mean_seconds"] * t["handle_cv"] / math.sqrt(handle.size)
        assert abs(handle.mean() - t["handle_mean_seconds"]) < 3 * se, channel


def test_resolution_and_public_share_match_the_truth(sample: SampleData, data: DataSet) -> None:
    for channel, log in data.contacts.items():
        t = sample.truth["channels"][channel]
        answered = log.outcome == 0
        assert log.resolved is not None and log.public is not None
        for share, truth in (
            (log.resolved[answered].mean(), t["fcr"]),
            (log.public.mean(), t["public_share"]),
        ):
            n = answered.sum() if truth == t["fcr"] else log.rows
            assert abs(share - truth) <= 3 * math.sqrt(truth * (1 - truth) / n) + 1e-12, channel


def test_churn_matches_the_truth(sample: SampleData, data: DataSet) -> None:
    """Churn hazard by class: churns over months observed estimates the monthly hazard rate
    −log(1 − churn × multiplier), standard error √churns / exposure."""
    truth = sample.truth["customers"]
    got = data.customers
    assert got is not None
    for label in ("none", "resolved_fast"):
        mine = got.experience == label
        events, exposure = got.churned[mine].sum(), got.months_observed[mine].sum()
        rate = -math.log1p(-truth["monthly_churn"] * truth["churn_multipliers"][label])
        assert events > 50
        assert abs(events / exposure - rate) < 3 * math.sqrt(events) / exposure, label
    assert (got.experience == "none").mean() == pytest.approx(0.5)


def test_small_chunks_read_the_same(folder: Path, data: DataSet) -> None:
    names = [folder / n for n in ("intervals.csv", "contacts.csv", "customers.csv")]
    small = read_data(names, chunk_rows=997)
    frames = [
        *((small.intervals[c], data.intervals[c]) for c in data.intervals),
        *((small.contacts[c], data.contacts[c]) for c in data.contacts),
        (small.customers, data.customers),
    ]
    for a, b in frames:
        for key, value in vars(b).items():
            if isinstance(value, np.ndarray):
                np.testing.assert_array_equal(getattr(a, key), value, err_msg=key)
    assert small.sources == data.sources
