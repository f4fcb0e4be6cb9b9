"""Which queue engine serves a batch of contacts (:mod:`simroi.queueing.engines` names them).

numba is imported only by :func:`serve` on a compiled batch (and by
:func:`simroi.model.kernels.prepare`), so commands that do not simulate never load it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from simroi.queueing.engine import serve_fcfs
from simroi.queueing.engines import engine_problem, normalize_engine
from simroi.queueing.roster import TrialShiftPattern
from simroi.queueing.shifts import QueueState, ShiftPattern

__all__ = ["serve"]


def serve(
    engine: str,
    arrival_s: np.ndarray,
    handle_s: np.ndarray,
    patience_s: np.ndarray,
    present: np.ndarray,
    shifts: ShiftPattern | TrialShiftPattern,
    state: QueueState,
    *,
    moves: Sequence[tuple[int, float]] = (),
    active: Sequence[tuple[int, int, int]] | None = None,
) -> tuple[np.ndarray, QueueState]:
    """:func:`simroi.queueing.engine.serve_fcfs` on the engine named ``engine`` (see there for
    the arguments; ``moves`` and ``active`` change no result, and the simpy engine needs none)."""
    engine = normalize_engine(engine)
    queue = (arrival_s, handle_s, patience_s, present, shifts, state)
    if engine == "simpy":
        from simroi.queueing.reference import serve_fcfs_simpy

        return serve_fcfs_simpy(*queue)
    if engine == "compiled":
        from simroi.queueing.compiled import serve_fcfs_compiled

        return serve_fcfs_compiled(*queue, moves=moves, active=active)
    if engine == "numpy":
        return serve_fcfs(*queue, moves=moves, active=active)
    raise ValueError(engine_problem(engine))
