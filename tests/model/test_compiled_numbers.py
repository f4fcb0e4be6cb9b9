"""The compiled contact numbers are numpy's, and the kernels' wrappers refuse what would overrun.

:func:`simroi.model.compiled.contact_numbers` writes the handle times, patience and marks of the
worlds that share per-contact inputs into the month's interleaved tables; here each kind against
the numpy expression it replaces (:mod:`simroi.model.contacts`), for both worlds or one, and the
public marks left alone when not drawn.
numba does not check indices, so every wrapper checks the shapes it is given: a mistake is a
one-line error, never a write outside an array.
"""

from __future__ import annotations

import numpy as np
import pytest

from simroi.model.compiled import contact_numbers
from simroi.model.compiled_fates import book_fates
from simroi.model.compiled_tallies import tally_month
from simroi.model.draws import lognormal_parameters
from simroi.queueing.compiled_roster import day_grid
from simroi.queueing.compiled_study import day_tallies
from simroi.queueing.roster import rise_and_fall

ROWS, TRIALS, WORLDS = 9, 6, 2
PIECES = [(0, 4, 6), (4, 9, 3)]


def _inputs(seed: int) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    rng = np.random.default_rng(seed)
    draws = (
        rng.standard_normal((ROWS, TRIALS)),
        rng.standard_exponential((ROWS, TRIALS)),
        rng.random((ROWS, TRIALS)),
        rng.random((ROWS, TRIALS)),
    )
    mean, cv = rng.uniform(100, 900, TRIALS), rng.uniform(0.3, 1.5, TRIALS)
    mu, sigma = lognormal_parameters(mean, cv)
    per_trial = (mu, sigma, rng.uniform(30, 300, TRIALS), rng.random(TRIALS), rng.random(TRIALS))
    return draws, per_trial


def _tables() -> tuple[np.ndarray, ...]:
    width = TRIALS * WORLDS
    return (
        np.full((ROWS, width), -1.0),
        np.full((ROWS, width), -1.0),
        np.zeros((ROWS, width), dtype=bool),
        np.zeros((ROWS, width), dtype=bool),
    )


def _bits(x: np.ndarray) -> np.ndarray:
    return x.view(np.int64) if x.dtype == np.float64 else x


@pytest.mark.parametrize("patience_kind", ["mean_times", "mean"])
@pytest.mark.parametrize("public", [True, False])
@pytest.mark.parametrize("targets", [(0, 1), (1,)])
def test_each_kind_is_the_numpy_expression_in_every_world_that_shares_it(
    patience_kind: str, public: bool, targets: tuple[int, ...]
) -> None:
    draws, per_trial = _inputs(7)
    z, z_patience, u_resolve, u_public = draws
    mu, sigma, patience_mean, fcr, share = per_trial
    tables = _tables()
    handle, patience, resolved, public_mark = tables
    kinds = ("scale_and_shift", patience_kind, public)
    contact_numbers(PIECES, (targets, WORLDS), kinds, draws, per_trial, tables)
    for world in set(range(WORLDS)) - set(targets):  # a world of other inputs: left alone
        assert (handle[:, world::WORLDS] == -1.0).all()
        assert not resolved[:, world::WORLDS].any()
    for lo, hi, n in PIECES:
        for world in targets:
            here = (slice(lo, hi), slice(world, world + WORLDS * n, WORLDS))
            expected = np.multiply(sigma[:n], z[lo:hi, :n])
            expected += mu[:n]
            np.testing.assert_array_equal(_bits(handle[here]), _bits(expected))
            waits = (
                patience_mean[:n] * z_patience[lo:hi, :n]
                if patience_kind == "mean_times"
                else np.broadcast_to(patience_mean[:n], (hi - lo, n))
            )
            np.testing.assert_array_equal(_bits(patience[here]), _bits(np.ascontiguousarray(waits)))
            np.testing.assert_array_equal(resolved[here], u_resolve[lo:hi, :n] < fcr[:n])
            drawn = u_public[lo:hi, :n] < share[:n]
            np.testing.assert_array_equal(public_mark[here], drawn if public else False)
    # Cells outside the pieces are untouched (trials 3-5 of rows 4-8).
    assert (handle[4:, WORLDS * 3 :] == -1.0).all()


def test_the_wrappers_refuse_pieces_and_shapes_that_would_overrun() -> None:
    draws, per_trial = _inputs(1)
    kinds = ("mean_times", "mean_times", True)
    with pytest.raises(ValueError, match="beyond the tables"):
        contact_numbers([(0, ROWS + 1, TRIALS)], ((0,), WORLDS), kinds, draws, per_trial, _tables())
    for targets in ((2,), (-1, 0), ()):
        with pytest.raises(ValueError, match="beyond the tables"):
            contact_numbers(PIECES, (targets, WORLDS), kinds, draws, per_trial, _tables())
    starts = np.array([[0.0, 3600.0]])
    rises, falls = rise_and_fall(np.array([[[1, 3]]], dtype=np.int64))
    with pytest.raises(ValueError, match="within 2 levels"):
        day_grid(starts, starts + 3600.0, rises, falls, 2)
    day = np.zeros((4, 3))
    with pytest.raises(ValueError, match="share a shape"):
        day_tallies(day, day[:3], day, np.array([1, 2, 3]), (0.0, 3600.0, 20.0, 1))
    with pytest.raises(ValueError, match="between 0 and the contacts"):
        day_tallies(day, day, day, np.array([1, 5, 3]), (0.0, 3600.0, 20.0, 1))


def test_the_month_wrappers_refuse_pieces_beyond_the_month() -> None:
    """A month of 2 rows, 1 column and 1 day: pieces reaching further, marks of other shapes
    and per-day or per-column arrays of the wrong length are refused before any kernel runs."""
    one = np.array([[10.0], [20.0]])
    on = np.ones_like(one, dtype=bool)
    marks = (one, one, one, on, on, on)
    ends, weight = np.array([86_400.0]), np.ones((1, 1))
    beyond = ([[0, 4000, 0, 1, 0]], [[0, 2, 0, 3, 0]], [[0, 2, 1, 1, 0]], [[0, 2, 0, 1, 1]],
              [[2, 1, 0, 1, 0]], [[-1, 2, 0, 1, 0]])  # fmt: skip
    for pieces in beyond:
        with pytest.raises(ValueError, match="beyond the month"):
            tally_month(np.array(pieces), ends, weight, *marks, sla=20.0, realtime=True,
                        edges=np.array([60.0]), bands=2)  # fmt: skip
        with pytest.raises(ValueError, match="beyond the month"):
            book_fates(np.array(pieces), marks, ends, weight, month_end=0.0, realtime=False,
                       sla=20.0, patience_s=np.ones(1))  # fmt: skip
    with pytest.raises(ValueError, match="must share"):
        book_fates(np.array([[0, 2, 0, 1, 0]]), (one, one[:1], one, on, on, on), ends, weight,
                   month_end=0.0, realtime=False, sla=20.0, patience_s=np.ones(1))  # fmt: skip
    for pieces in ([[0, 2, 0, 1, 0, 0]], [0, 2, 0, 1, 0], np.zeros((5, 1))):  # not (pieces, 5)
        with pytest.raises(ValueError, match=r"must be \(pieces, 5\)"):
            tally_month(np.array(pieces, dtype=np.int64), ends, weight, *marks, sla=20.0,
                        realtime=True, edges=np.array([60.0]), bands=2)  # fmt: skip
    with pytest.raises(ValueError, match="one per day"):
        tally_month(np.array([[0, 2, 0, 1, 0]]), np.zeros(2), weight, *marks, sla=20.0,
                    realtime=True, edges=np.array([60.0]), bands=2)  # fmt: skip
    with pytest.raises(ValueError, match="must match"):
        book_fates(np.array([[0, 2, 0, 1, 0]]), marks, ends, weight, month_end=0.0,
                   realtime=False, sla=20.0, patience_s=np.ones(3))  # fmt: skip
    # The month itself passes.
    services, waiting = book_fates(np.array([[0, 2, 0, 1, 0]]), marks, ends, weight,
                                   month_end=0.0, realtime=False, sla=20.0,
                                   patience_s=np.ones(1))  # fmt: skip
    assert services[0].size == 0 and waiting[0].tolist() == [0, 0]
