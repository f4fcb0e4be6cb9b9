"""The views a summary gives of itself: JSON, a few lines of text, an HTML table, a DataFrame.

Every summary of :mod:`simroi.analysis` is a frozen dataclass holding the runs it was computed
from. It shows itself through these helpers, so that they all read alike:

* ``to_dict()`` — the JSON edge: :func:`json_ready` turns NaN and infinity into ``None`` (JSON
  has no NaN) and NumPy scalars into Python numbers, the one place that happens;
* ``__repr__`` — a few lines for a terminal or a doctest, numbers through
  :mod:`simroi.formatting`;
* ``_repr_html_`` — a small HTML table for Jupyter (:func:`html_table`);
* ``to_frame()`` — the per-trial samples as a pandas DataFrame (:func:`samples_frame`), when
  pandas is installed (``pip install "simroi[notebook]"``), and a clear ImportError otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from simroi.execution.result import RunResult
from simroi.notebook import pandas

__all__ = ["json_ready", "sample_keys", "samples_frame"]

#: The headline samples, first in every table and frame, in this order.
HEADLINE_SAMPLES = ("roi", "npv", "payback_months", "pv_benefits", "pv_costs")


def json_ready(value: Any) -> Any:
    """``value`` with NaN and infinities as ``None``, NumPy scalars and tuples as JSON types.

    Dictionaries keep their order (keys become strings); ints and bools stay what they are.
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_ready(value.tolist())
    if isinstance(value, np.generic):
        return json_ready(value.item())
    return value


def sample_keys(result: RunResult) -> list[str]:
    """Sample names in reading order: headline, benefit and cost lines, KPIs, inputs."""
    rest = sorted(k for k in result.samples if k not in HEADLINE_SAMPLES)
    order = {"pv.": 0, "kpi.": 1, "input.": 2}
    rest.sort(key=lambda k: next((v for p, v in order.items() if k.startswith(p)), 3))
    return [k for k in HEADLINE_SAMPLES if k in result.samples] + rest


def samples_frame(runs: Mapping[str, RunResult] | RunResult, level: str = "run") -> Any:
    """The per-trial samples as a pandas DataFrame, one column per sample.

    Parameters
    ----------
    runs : one run (a row per trial, indexed by ``trial``), or runs by label (rows indexed by
        ``(level, trial)``, the runs in the order given)
    level : the name of the first index level when there are several runs

    Raises
    ------
    ImportError
        When pandas is not installed, naming the extra that installs it.
    """
    pd = pandas()

    def frame(result: RunResult) -> Any:
        data = {key: np.asarray(result.samples[key]) for key in sample_keys(result)}
        index = pd.RangeIndex(result.trials, name="trial")
        return pd.DataFrame(data, index=index)

    if isinstance(runs, RunResult):
        return frame(runs)
    return pd.concat({label: frame(r) for label, r in runs.items()}, names=[level, "trial"])
