"""Bit-for-bit comparison of results: every array inside one, and two compared bit by bit."""

from __future__ import annotations

import dataclasses

import numpy as np


def arrays(value: object, name: str = "") -> dict[str, np.ndarray]:
    """Every array inside a result, by its path (dataclass fields, dict keys, list items)."""
    found: dict[str, np.ndarray] = {}
    if isinstance(value, np.ndarray):
        found[name] = value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            found |= arrays(getattr(value, field.name), f"{name}.{field.name}")
    elif isinstance(value, dict):
        for key, item in value.items():
            found |= arrays(item, f"{name}[{key}]")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found |= arrays(item, f"{name}[{i}]")
    return found


def assert_same_bits(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    """The same arrays under the same paths, float64 compared as their bits (NaN, -0.0)."""
    assert a.keys() == b.keys()
    for key in a:
        x, y = a[key], b[key]
        if x.dtype == np.float64:
            x, y = np.ascontiguousarray(x).view(np.int64), np.ascontiguousarray(y).view(np.int64)
        np.testing.assert_array_equal(x, y, err_msg=key)
