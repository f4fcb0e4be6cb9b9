"""Optional notebook support: pandas, imported only when a result is turned into a DataFrame.

simroi does not depend on pandas; ``pip install "simroi[notebook]"`` adds it. Every
``to_frame()`` asks for it here, so a missing pandas is one clear error everywhere.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["NOTEBOOK_HINT", "pandas"]

NOTEBOOK_HINT = 'to_frame() needs pandas: pip install "simroi[notebook]"'


def pandas() -> Any:
    """The pandas module, or an ImportError that says how to install it."""
    try:
        return importlib.import_module("pandas")
    except ImportError:
        raise ImportError(NOTEBOOK_HINT) from None
