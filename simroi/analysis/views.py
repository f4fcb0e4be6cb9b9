"""The views a summary gives of itself: JSON, a few lines of text, an HTML table, a DataFrame.

Every summary of :mod:`simroi.analysis` is a frozen dataclass holding the runs it was computed
from. It shows itself through these helpers, so that they all read alike:

* ``to_dict()`` — the JSON edge: :func:`simroi.formatting.json_ready` turns NaN and infinity
  into ``None`` (JSON has no NaN) and NumPy scalars into Python numbers, the one place that
  happens (a leaf module, so the queue study below this stage uses it too);
* ``__repr__`` — a few lines for a terminal or a doctest, numbers through
  :mod:`simroi.formatting`;
* ``_repr_html_`` — a small HTML table for Jupyter (:func:`simroi.formatting.html_table`);
* ``to_frame()`` — the per-trial samples as a pandas DataFrame (:func:`samples_frame`), when
  pandas is installed (``pip install "simroi[notebook]"``), and a clear ImportError otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from simroi.execution.result import RunResult
from simroi.notebook import pandas

__all__ = ["HEADLINE_SAMPLES", "sample_keys", "samples_frame"]

#: The headline samples, first in every table and frame, in this order.
HEADLINE_SAMPLES = ("roi", "npv", "payback_months", "pv_benefits", "pv_costs")


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
