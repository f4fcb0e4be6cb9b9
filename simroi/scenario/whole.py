"""Whole numbers in scenario files: agents, months, trials, days.

A count is an integer, or a float with no fraction (``36.0``, as a spreadsheet may write it).
``true`` and ``"4"`` are not counts: pydantic's lax mode would read them as 1 and 4, so an
``agents = true`` (meant for another key) would run with one agent, silently.
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from pydantic import BeforeValidator

__all__ = ["NOT_TEXT_OR_TRUTH", "WholeNumber"]


def _not_text_or_truth(value: Any) -> Any:
    if isinstance(value, bool | np.bool_):
        raise ValueError("must be a whole number, not true or false")
    if isinstance(value, str | bytes):
        raise ValueError("must be a whole number, not text")
    return value


#: Refuses booleans and text; placed after a type's own bounds (``Annotated[int, Field(ge=0),
#: NOT_TEXT_OR_TRUTH]``), so the JSON schema keeps them as ``minimum`` and ``maximum``.
NOT_TEXT_OR_TRUTH = BeforeValidator(_not_text_or_truth)
#: An ``int`` field that refuses booleans and text (its bounds are the field's own).
WholeNumber = Annotated[int, NOT_TEXT_OR_TRUTH]
