"""`simroi.sensitivity(..., breakeven=True)`: the break-evens in the result and its replay."""

from __future__ import annotations

from pathlib import Path

from breakeven_scenario import write_linear_scenario

import simroi


def test_sensitivity_with_breakeven_stores_the_call_that_replays_it(tmp_path: Path) -> None:
    path = write_linear_scenario(tmp_path)
    t = simroi.sensitivity(
        path, swing=False, breakeven=True, breakeven_top=1, trials=40, seed=2, workers=1
    )
    assert t.breakeven is not None and len(t.breakeven.rows) == 1
    assert t.breakeven.rows[0].input == t.sampling.rows[0].input
    assert t.to_dict()["breakeven"] == [t.breakeven.rows[0].to_dict()]
    command = t.run.provenance.command
    assert command == (
        f"simroi.sensitivity({path!r}, swing=False, top=10, breakeven=True, breakeven_top=1, "
        "trials=40, seed=2, engine='compiled')"
    )
    assert eval(command, {"simroi": simroi}).to_dict() == t.to_dict()
    # A result file keeps the break-evens: load_result gives them back.
    t.save(tmp_path / "t.npz")
    again = simroi.load_result(tmp_path / "t.npz")
    assert again.to_dict() == t.to_dict()  # type: ignore[union-attr]
