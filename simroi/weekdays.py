"""The seven days of the week, as scenario files, data files and reports name them.

Monday first: a day's position in :data:`WEEKDAYS` is :meth:`datetime.date.weekday`, and simroi's
clock starts on a Monday at 00:00. Written once, below both the scenario language and the
reading of a user's data, so a fitted scenario names its open days as a written one does.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["WEEKDAYS", "Weekday"]

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = get_args(Weekday)
