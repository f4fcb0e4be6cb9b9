"""The command line's defaults are the library's: each option's default is its constant."""

from __future__ import annotations

from simroi.analysis.breakeven import DEFAULT_BREAKEVEN_TOP, MAX_EVALUATIONS
from simroi.analysis.sensitivity import DEFAULT_SWING_TRIALS, DEFAULT_TOP
from simroi.analysis.sweep import DEFAULT_CONFIDENCE
from simroi.cli.alternatives import sensitivity, sweep


def test_sweep_and_sensitivity_options_default_to_the_library_constants() -> None:
    assert {p.name: p.default for p in sweep.params}["confidence"] == DEFAULT_CONFIDENCE
    defaults = {p.name: p.default for p in sensitivity.params}
    assert defaults["top"] == DEFAULT_TOP
    assert defaults["swing_trials"] == DEFAULT_SWING_TRIALS
    assert defaults["breakeven_top"] == DEFAULT_BREAKEVEN_TOP
    helps = " ".join(getattr(p, "help", "") or "" for p in sensitivity.params)
    assert f"at most {MAX_EVALUATIONS}" in helps
