"""Loading the compiled kernels before a run: the queue's (:mod:`simroi.queueing.compiled`), a
queue study's (:mod:`simroi.queueing.compiled_study`), a staffing rule's roster table
(:mod:`simroi.queueing.compiled_roster`), the per-contact draws'
(:mod:`simroi.queueing.compiled_draws`) and the contact flow's (:mod:`simroi.model.compiled`,
:mod:`simroi.model.compiled_tallies`, :mod:`simroi.model.compiled_fates`).

numba is imported only when the compiled engine is asked for, so commands that do not simulate,
and runs on the other engines, never load it.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Callable

from simroi.queueing.engines import normalize_engine

__all__ = ["MODEL_MODULES", "QUEUE_MODULES", "prepare", "use_threads"]


def prepare(
    engine: str, on_compile: Callable[[], None] | None = None, *, queue_only: bool = False
) -> None:
    """Load the compiled kernels before a run (a no-op for the other engines); with
    ``queue_only``, only those a queue study uses (:data:`QUEUE_MODULES`: ``simroi queue``
    starts about 0.05 s sooner).

    ``on_compile()`` is called first when they are not cached yet and must be compiled (some
    seconds, once per install): the command line says so. The compiling is then shared with a
    second process (:data:`COMPILED_ELSEWHERE`, on a machine of two cores or more), which writes
    its kernels to the same on-disk cache while this one compiles the others; this process then
    loads them, or compiles what the other could not cache. Worker processes load the cache the
    first process wrote when they first use a kernel.
    """
    if normalize_engine(engine) != "compiled":
        return
    from simroi.queueing import compiled as queue  # imports numba: compiled runs only

    names = QUEUE_MODULES if queue_only else (*QUEUE_MODULES, *MODEL_MODULES)
    modules = [importlib.import_module(name) for name in names]
    if not all(queue.cached(module.KERNELS) for module in modules):
        if on_compile is not None:
            on_compile()
        helper = _compile_elsewhere([n for n in COMPILED_ELSEWHERE if n in names])
        for module in modules:
            if helper is None or module.__name__ not in COMPILED_ELSEWHERE:
                module.warm_up()
        if helper is not None:
            helper.wait()  # what it could not cache, warm_up below compiles here
    for module in modules:
        module.warm_up()


def use_threads(engine: str, count: int) -> None:
    """Run the compiled kernels this thread calls next on ``count`` threads (capped by numba's
    ``NUMBA_NUM_THREADS``); a no-op for the other engines. The same bits on any count."""
    if normalize_engine(engine) != "compiled":
        return
    from simroi.queueing import compiled as queue  # imports numba: compiled runs only

    queue.use_threads(count)


#: The kernel modules a queue study uses (``simroi queue``: the one-pass day, or the draws, the
#: queue and the day's tallies), and those the model adds (a run of a scenario uses all).
QUEUE_MODULES = (
    "simroi.queueing.compiled",
    "simroi.queueing.compiled_study",
    "simroi.queueing.compiled_draws",
)
MODEL_MODULES = (
    "simroi.queueing.compiled_roster",
    "simroi.model.compiled",
    "simroi.model.compiled_tallies",
    "simroi.model.compiled_fates",
)


#: The kernel modules a second process compiles on a first run: about half the compile time,
#: less that process's start-up (the queue and the contact flow's other kernels stay here).
COMPILED_ELSEWHERE = ("simroi.model.compiled_tallies", "simroi.queueing.compiled_study")

_WARM = (
    "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name).warm_up()"
)


def _compile_elsewhere(names: list[str]) -> subprocess.Popen[bytes] | None:
    """Start a process compiling the modules ``names`` (of :data:`COMPILED_ELSEWHERE`) into the
    cache (None for none, on one core, or where no process can be started).

    It runs in the folder that holds this process's ``simroi`` package, so that it imports that
    package and fills its cache: ``python -c`` puts its working folder first on the path, and
    from a clone's root (where the README installs) it would import the clone's sources instead
    and compile into their cache, leaving this process to compile everything again.
    """
    if not names or (os.cpu_count() or 1) < 2:
        return None  # one core: the two would only take turns
    try:
        return subprocess.Popen(
            [sys.executable, "-c", _WARM, *names],
            cwd=package_root(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except OSError:
        return None


def package_root() -> str:
    """The folder that holds the ``simroi`` package this process imported (this module is
    ``simroi/model/kernels.py`` in it)."""
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
