"""The queue engines by name, without importing any of them (the command line starts fast).

Three engines simulate the same FCFS queue with abandonment and shifts:

* ``compiled`` (the default) — :mod:`simroi.queueing.compiled`, the recursion compiled with numba,
  trials in parallel threads;
* ``numpy`` — :mod:`simroi.queueing.engine`, the vectorized recursion: the readable reference.
  The same seed gives the same bits as ``compiled`` (the tests hold them to it);
* ``simpy`` — :mod:`simroi.queueing.reference`, one process per contact: the specification.

``vectorized``, the numpy engine's former name, is still accepted (older result files, checkpoints
and scripts say it). :func:`simroi.queueing.kernels.serve` runs a batch on the engine named.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["ALIASES", "ENGINES", "Engine", "engine_problem", "normalize_engine", "same_numbers"]

#: The queue engines, fastest first.
ENGINES = ("compiled", "numpy", "simpy")
Engine = Literal["compiled", "numpy", "simpy"]
#: Former names still accepted, and the engine each stands for.
ALIASES = {"vectorized": "numpy"}


def normalize_engine(engine: str) -> str:
    """The engine's name as :data:`ENGINES` spells it (``vectorized`` → ``numpy``)."""
    return ALIASES.get(engine, engine)


def engine_problem(engine: object) -> str | None:
    """The rule ``engine`` breaks, naming the argument and the value, or None."""
    if isinstance(engine, str) and normalize_engine(engine) in ENGINES:
        return None
    choices = ", ".join(repr(e) for e in ENGINES)
    return f"`engine` must be one of {choices} (got {engine!r})"


def same_numbers(a: str, b: str) -> bool:
    """Whether engines ``a`` and ``b`` give the same bits for the same seed."""
    family = {"compiled": "recursion", "numpy": "recursion"}
    a, b = normalize_engine(a), normalize_engine(b)
    return a == b or family.get(a, a) == family.get(b, b)
