"""numpy's ziggurat tables, for the compiled standard normal and exponential draws.

numpy draws its standard normals and exponentials by the ziggurat method, from tables it keeps
in C only (``numpy/random/src/distributions/ziggurat_constants.h``). The compiled draws
(:mod:`simroi.queueing.compiled_draws`) need the same tables to give numpy's numbers bit for
bit. numba keeps a copy in a private module, which a numba release may move or drop; simroi
ships its own in ``ziggurat.txt`` (every bit kept: integers in hexadecimal, floats as
``float.hex``), read once here. ``tests/queueing/test_compiled_draws.py`` holds the draws to
numpy's bits.
"""

from __future__ import annotations

from importlib import resources

import numpy as np

__all__ = [
    "fe_double",
    "fi_double",
    "ke_double",
    "ki_double",
    "we_double",
    "wi_double",
    "ziggurat_exp_r",
    "ziggurat_nor_inv_r",
    "ziggurat_nor_r",
]


def _tables() -> dict[str, list[str]]:
    """Each line of ``ziggurat.txt`` but the comments: its name and its values, as text."""
    text = resources.files(__package__).joinpath("ziggurat.txt").read_text(encoding="ascii")
    lines = (line.split() for line in text.splitlines() if line and not line.startswith("#"))
    return {name: values for name, *values in lines}


def _integers(values: list[str]) -> np.ndarray:
    return np.array([int(v, 16) for v in values], dtype=np.uint64)


def _floats(values: list[str]) -> np.ndarray:
    return np.array([float.fromhex(v) for v in values], dtype=np.float64)


_TEXT = _tables()
#: The normal's ziggurat: 256 layers (``ki`` thresholds on the 52-bit draw, ``wi`` widths,
#: ``fi`` the density at each layer's edge), its tail's start ``r`` and 1 / r.
ki_double = _integers(_TEXT["ki_double"])
wi_double = _floats(_TEXT["wi_double"])
fi_double = _floats(_TEXT["fi_double"])
ziggurat_nor_r = float.fromhex(_TEXT["ziggurat_nor_r"][0])
ziggurat_nor_inv_r = float.fromhex(_TEXT["ziggurat_nor_inv_r"][0])
#: The exponential's ziggurat, alike, and its tail's start.
ke_double = _integers(_TEXT["ke_double"])
we_double = _floats(_TEXT["we_double"])
fe_double = _floats(_TEXT["fe_double"])
ziggurat_exp_r = float.fromhex(_TEXT["ziggurat_exp_r"][0])
