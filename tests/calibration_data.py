"""Data files simulated from known parameters, for the calibration tests.

A phone contact log (realtime: Poisson arrivals over opening hours by weekday, exponential
waits offered, exponential patience, so an answered call's wait is a censored patience), an
email contact log (deferrable: answered or ignored), and customer outcomes (exponential churn
with a known hazard per experience class). :data:`TRUTH` holds the parameters simulated from, in
the scenario's units; tests compare the fitted inputs with them.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from simroi.randomness import Streams

#: The parameters the files are simulated from, by full scenario key.
TRUTH: dict[str, float] = {
    "channels.phone.handle_time_minutes": 6.0,
    "channels.phone.handle_time_cv": 0.9,
    "channels.phone.patience_minutes": 3.0,
    "channels.phone.fcr": 0.7,
    "channels.email.handle_time_minutes": 5.0,
    "channels.email.fcr": 0.6,
    "experience.churn_multiplier_abandoned": 1.5,
}
#: Phone calls a day at the weekday factor 1, and the weekday factors (Monday first).
PHONE_PER_DAY = 300.0
WEEKDAY = np.array([1.2, 1.1, 1.0, 1.0, 0.9, 0.8, 0.0])  # closed on Sunday
EMAIL_PER_DAY = 80.0
MEAN_WAIT_MINUTES = 1.0
DAYS = 35
FIRST_DAY = np.datetime64("2026-01-05")  # a Monday
CUSTOMERS = 20_000
BASE_HAZARD = 0.02  # monthly churn of customers without a contact


def _times(day: int, count: int, open_h: float, close_h: float, rng: np.random.Generator) -> list:
    start = (FIRST_DAY + np.timedelta64(day, "D")).astype("datetime64[s]")
    offsets = np.sort(rng.uniform(open_h * 3600, close_h * 3600, count)).astype(np.int64)
    return [str(start + np.timedelta64(int(s), "s")).replace("T", " ") for s in offsets]


def _lognormal(mean: float, cv: float, size: int, rng: np.random.Generator) -> np.ndarray:
    sigma = np.sqrt(np.log1p(cv**2))
    return rng.lognormal(np.log(mean) - sigma**2 / 2, sigma, size)


def write_contact_logs(folder: Path, *, seed: int = 7) -> tuple[Path, Path]:
    """``phone.csv`` and ``email.csv`` in ``folder``; returns their paths."""
    streams = Streams(seed, 0)
    rng = streams.rng("phone")
    phone = folder / "phone.csv"
    with phone.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["arrived_at", "channel", "outcome", "wait_seconds", "handle_seconds",
                      "resolved", "customer_id"])  # fmt: skip
        for day in range(DAYS):
            n = rng.poisson(PHONE_PER_DAY * WEEKDAY[day % 7])
            if n == 0:
                continue
            times = _times(day, n, 8, 20, rng)
            wait = rng.exponential(MEAN_WAIT_MINUTES * 60, n)
            patience = rng.exponential(TRUTH["channels.phone.patience_minutes"] * 60, n)
            handle_s = _lognormal(TRUTH["channels.phone.handle_time_minutes"] * 60,
                                  TRUTH["channels.phone.handle_time_cv"], n, rng)  # fmt: skip
            resolved = rng.random(n) < TRUTH["channels.phone.fcr"]
            ids = rng.integers(0, CUSTOMERS, n)
            for i in range(n):
                if patience[i] < wait[i]:
                    row = [times[i], "phone", "abandoned", f"{patience[i]:.0f}", "", "", ids[i]]
                else:
                    row = [times[i], "phone", "answered", f"{wait[i]:.0f}",
                           f"{handle_s[i]:.0f}", int(resolved[i]), ids[i]]  # fmt: skip
                out.writerow(row)
    rng = streams.rng("email")
    email = folder / "email.csv"
    with email.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["arrived_at", "channel", "outcome", "wait_seconds", "handle_seconds",
                      "resolved", "customer_id"])  # fmt: skip
        for day in range(DAYS):
            n = rng.poisson(EMAIL_PER_DAY)
            times = _times(day, n, 0, 24, rng)
            handle_s = _lognormal(TRUTH["channels.email.handle_time_minutes"] * 60, 0.8, n, rng)
            resolved = rng.random(n) < TRUTH["channels.email.fcr"]
            ignored = rng.random(n) < 0.05
            ids = rng.integers(0, CUSTOMERS, n)
            for i in range(n):
                wait = rng.exponential(6 * 3600)
                if ignored[i]:
                    row = [times[i], "email", "ignored", f"{24 * 3600}", "", "", ids[i]]
                else:
                    row = [times[i], "email", "answered", f"{wait:.0f}", f"{handle_s[i]:.0f}",
                           int(resolved[i]), ids[i]]  # fmt: skip
                out.writerow(row)
    return phone, email


def write_customer_outcomes(folder: Path, *, seed: int = 7) -> Path:
    """``customers.csv``: exponential churn over up to 12 months, hazard by class."""
    rng = Streams(seed, 0).rng("customers")
    classes = {"none": 1.0, "abandoned": TRUTH["experience.churn_multiplier_abandoned"]}
    path = folder / "customers.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["customer_id", "experience", "months_observed", "churned"])
        cid = 0
        for name, multiplier, count in (("none", 1.0, 12_000), ("abandoned", None, 4_000)):
            hazard = BASE_HAZARD * (multiplier if multiplier is not None else classes[name])
            life = rng.exponential(1 / hazard, count)
            for t in life:
                cid += 1
                churned = t < 12.0
                out.writerow([f"c{cid}", name, f"{max(min(t, 12.0), 1e-4):.6f}", int(churned)])
    return path
