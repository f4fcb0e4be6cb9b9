"""Loading the compiled kernels before a run: the queue's (:mod:`simroi.queueing.compiled`), a
queue study's (:mod:`simroi.queueing.compiled_study`), a staffing rule's roster table
(:mod:`simroi.queueing.compiled_roster`), the per-contact draws'
(:mod:`simroi.queueing.compiled_draws`) and the contact flow's (:mod:`simroi.model.compiled`,
:mod:`simroi.model.compiled_tallies`, :mod:`simroi.model.compiled_fates`).

numba is imported only when the compiled engine is asked for, so commands that do not simulate,
and runs on the other engines, never load it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

from simroi.queueing.engines import normalize_engine

__all__ = ["prepare"]


def prepare(engine: str, on_compile: Callable[[], None] | None = None) -> None:
    """Load the compiled kernels before a run (a no-op for the other engines).

    ``on_compile()`` is called first when they are not cached yet and must be compiled (some
    seconds, once per install): the command line says so. The compiling is then shared with a
    second process (:data:`COMPILED_ELSEWHERE`, on a machine of two cores or more), which writes
    its kernels to the same on-disk cache while this one compiles the others; this process then
    loads them, or compiles what the other could not cache. Worker processes load the cache the
    first process wrote when they first use a kernel.
    """
    if normalize_engine(engine) != "compiled":
        return
    from simroi.model import compiled, compiled_fates, compiled_tallies  # numba: compiled runs
    from simroi.queueing import compiled as queue
    from simroi.queueing import compiled_draws, compiled_roster, compiled_study

    modules = (
        queue, compiled_study, compiled_roster, compiled_draws, compiled, compiled_tallies,
        compiled_fates,
    )  # fmt: skip
    if not all(queue.cached(module.KERNELS) for module in modules):
        if on_compile is not None:
            on_compile()
        helper = _compile_elsewhere()
        for module in modules:
            if helper is None or module.__name__ not in COMPILED_ELSEWHERE:
                module.warm_up()
        if helper is not None:
            helper.wait()  # what it could not cache, warm_up below compiles here
    for module in modules:
        module.warm_up()


#: The kernel modules a second process compiles on a first run: about half the compile time,
#: less that process's start-up (the queue and the contact flow's other kernels stay here).
COMPILED_ELSEWHERE = ("simroi.model.compiled_tallies", "simroi.queueing.compiled_study")

_WARM = (
    "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name).warm_up()"
)


def _compile_elsewhere() -> subprocess.Popen[bytes] | None:
    """Start a process compiling :data:`COMPILED_ELSEWHERE` into the cache (None on one core,
    or where no process can be started).

    It runs in the folder that holds this process's ``simroi`` package, so that it imports that
    package and fills its cache: ``python -c`` puts its working folder first on the path, and
    from a clone's root (where the README installs) it would import the clone's sources instead
    and compile into their cache, leaving this process to compile everything again.
    """
    if (os.cpu_count() or 1) < 2:
        return None  # one core: the two would only take turns
    try:
        return subprocess.Popen(
            [sys.executable, "-c", _WARM, *COMPILED_ELSEWHERE],
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
