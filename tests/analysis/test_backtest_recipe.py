"""README's recipe, end to end: one world, calibrate on its first weeks, backtest its last week.

Unlike ``test_backtest.py``'s coverage test (each observed day from its own trial of the scenario
itself), here every day comes from one world — ``simroi sample-data``'s single draw of the
inputs, simulated by its own code — and the scenario checked is what ``simroi calibrate`` fitted
to the weeks before: the whole chain a user runs.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest

from simroi.analysis.backtest import METRICS, backtest
from simroi.analysis.calibration import calibrate
from simroi.data.read import read_data
from simroi.model.sample_data import FIRST_DAY, simulate_sample_data
from simroi.randomness import Streams
from simroi.scenario.load import load_scenario

SEEDS = (1, 2, 3, 4)
DAYS = 42  # calibrate on weeks 1-5, backtest week 6
TRIALS = 200


def _one_world(seed: int, folder: Path) -> dict[str, np.ndarray]:
    """Calibrate on the first five weeks of sample-data seed ``seed``, backtest the sixth;
    ``inside`` of each metric over the (day, channel) pairs whose trials differ."""
    sample = simulate_sample_data(
        load_scenario().program, days=DAYS, customers=2_000, streams=Streams(seed, 0)
    )
    paths = []
    for name in ("intervals.csv", "contacts.csv"):
        path = folder / name
        path.write_text(sample.files[name], encoding="utf-8")
        paths.append(path)
    data = read_data(paths)
    first = FIRST_DAY.astype("datetime64[D]").astype(dt.date)
    held_out = first + dt.timedelta(days=DAYS - 7)
    # Without --customers: the rate is per the scenario's customer count, held fixed.
    fitted = calibrate(
        data.between(None, held_out - dt.timedelta(days=1)), folder / "calibrated.toml"
    )
    result = backtest(fitted.written.loaded, data, trials=TRIALS, seed=seed, start=held_out)
    assert result.skipped == ()
    assert result.date.size == 7 * 3
    return {m: result.inside[m][np.isfinite(result.inside[m])] for m in METRICS}


@pytest.mark.slow
def test_calibrate_then_backtest_a_held_out_week_covers_about_90_percent(tmp_path: Path) -> None:
    """Pooled over four worlds, each metric's held-out (day, channel) pairs fall inside the
    simulated 90 % band about 90 % of the time.

    Tolerance: 3.5 standard errors, as the scenario's own coverage test: the binomial spread of
    the n pairs, sqrt(0.9 · 0.1 / n), and the band's own error (each end estimated from TRIALS
    simulated days, sqrt(0.05 · 0.95 / TRIALS) in probability), added in quadrature. The pairs of
    one world share its calibration error (a fitted rate off by its standard error, about 2 %
    of a day's volume against the day-to-day spread of 13-17 %), a small correlation the
    tolerance does not add. Days where every trial is equal (email never abandoned) tell
    nothing and are not pairs; phone abandonment alone is observed that way, 28 pairs.
    """
    pooled: dict[str, list[np.ndarray]] = {m: [] for m in METRICS}
    for seed in SEEDS:
        folder = tmp_path / f"seed{seed}"
        folder.mkdir()
        for m, inside in _one_world(seed, folder).items():
            pooled[m].append(inside)
    for m in METRICS:
        inside = np.concatenate(pooled[m])
        n = inside.size
        assert n >= 7 * len(SEEDS), (m, n)
        se = math.sqrt(0.9 * 0.1 / n + 2 * 0.05 * 0.95 / TRIALS)
        coverage = float(inside.mean())
        assert abs(coverage - 0.9) < 3.5 * se, (m, coverage, n, 3.5 * se)
