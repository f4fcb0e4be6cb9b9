"""Loading the compiled kernels before a run: the queue's (:mod:`simroi.queueing.compiled`), a
queue study's (:mod:`simroi.queueing.compiled_study`), a staffing rule's roster table
(:mod:`simroi.queueing.compiled_roster`) and the contact flow's (:mod:`simroi.model.compiled`,
:mod:`simroi.model.compiled_tallies`).

numba is imported only when the compiled engine is asked for, so commands that do not simulate,
and runs on the other engines, never load it.
"""

from __future__ import annotations

from collections.abc import Callable

from simroi.queueing.engines import normalize_engine

__all__ = ["prepare"]


def prepare(engine: str, on_compile: Callable[[], None] | None = None) -> None:
    """Load the compiled kernels before a run (a no-op for the other engines).

    ``on_compile()`` is called first when they are not cached yet and must be compiled (some
    seconds, once per install): the command line says so. Worker processes load the cache the
    first process wrote when they first use a kernel.
    """
    if normalize_engine(engine) != "compiled":
        return
    from simroi.model import compiled, compiled_tallies  # imports numba: compiled runs only
    from simroi.queueing import compiled as queue
    from simroi.queueing import compiled_roster, compiled_study

    kernels = (
        *compiled.KERNELS,
        *compiled_tallies.KERNELS,
        *compiled_study.KERNELS,
        *compiled_roster.KERNELS,
    )
    if on_compile is not None and not (queue.cached() and queue.cached(kernels)):
        on_compile()
    for module in (queue, compiled_study, compiled_roster, compiled, compiled_tallies):
        module.warm_up()
