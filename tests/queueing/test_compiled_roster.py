"""A staffing rule's per-day span table is the same, bit for bit, from the compiled kernel.

:func:`simroi.queueing.compiled_roster.day_grid` against :func:`simroi.queueing.roster.day_grid`
on random rosters of daily shifts (the rosters staffing rules make), and trial by trial through
the engine's lookups; the whole model on the compiled engine uses it
(``tests/model/test_compiled_model.py``).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from queueing.test_roster import shift_rosters

from simroi.queueing import compiled_roster, roster
from simroi.queueing.roster import TrialShiftPattern, rise_and_fall


@settings(max_examples=80, deadline=None)
@given(shift_rosters(), st.lists(st.integers(0, 3 * 7 * 24 * 4), min_size=1, max_size=20))
def test_the_compiled_day_table_is_numpys(
    pattern: TrialShiftPattern, quarter_hours: list[int]
) -> None:
    numpy_table = roster._day_table(
        pattern.interval_starts, pattern.interval_ends, pattern.agents, roster.day_grid
    )
    compiled_table = roster._day_table(
        pattern.interval_starts, pattern.interval_ends, pattern.agents, compiled_roster.day_grid
    )
    assert numpy_table is not None and compiled_table is not None
    np.testing.assert_array_equal(
        numpy_table["grid"].view(np.int64), compiled_table["grid"].view(np.int64)
    )
    # Through the lookups the engine makes, on a roster whose table the kernel built.
    twin = TrialShiftPattern(
        pattern.interval_starts, pattern.interval_ends, pattern.agents, pattern.slots_per_agent
    )
    twin.span_table(compiled_roster.day_grid)
    t = np.array(quarter_hours, dtype=float) * 900.0
    for k in range(pattern.servers):
        for trial in range(pattern.trials):
            at = (np.full(t.size, k), np.full(t.size, trial), t)
            for got, expected in zip(twin.trial_spans(*at), pattern.trial_spans(*at), strict=True):
                np.testing.assert_array_equal(got.view(np.int64), expected.view(np.int64))


def test_levels_that_never_work_and_days_without_agents_are_empty_rows() -> None:
    starts = np.array([[8 * 3600.0, 9 * 3600.0], [86_400.0 + 8 * 3600.0, 86_400.0 + 9 * 3600.0]])
    agents = np.array([[[0, 0], [1, 2]], [[0, 0], [0, 0]]], dtype=np.int64)  # (trials, days, m)
    rises, falls = rise_and_fall(agents)
    grid = compiled_roster.day_grid(starts, starts + 3600.0, rises, falls, 2)
    expected = roster.day_grid(starts, starts + 3600.0, rises, falls, 2)
    np.testing.assert_array_equal(grid.view(np.int64), expected.view(np.int64))
    assert (grid[:, 1, :, 0] == np.inf).all() and (grid[:, 1, :, 2] == -1.0).all()
