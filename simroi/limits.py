"""The largest inputs simroi takes, wherever they are given: a scenario file, ``--set``,
``simroi queue`` or the Python API. Written once, so a scenario and a queue study stop at the
same place."""

from __future__ import annotations

__all__ = ["MAX_AGENTS", "MAX_BLOCK_SIZE", "MAX_TRIALS"]

#: Agents on one channel or in one queue study: generous for any single contact centre, and small
#: enough that the queue state (agent slots × trials in a block) fits in memory.
MAX_AGENTS = 10_000
#: Trials in one run or one queue study.
MAX_TRIALS = 10_000_000
#: Trials in one block of a run (its memory grows with the block, not with the run).
MAX_BLOCK_SIZE = 100_000
