"""``staffing_rule``: a channel's agents sized to its forecast, as planners do.

The model that applies the rule is :mod:`simroi.model.staffing`; this is its input, validated
like every section of :mod:`simroi.scenario.spec` (which re-exports it).
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from simroi.limits import MAX_AGENTS
from simroi.scenario.whole import NOT_TEXT_OR_TRUTH

__all__ = ["Agents", "StaffingRuleSpec"]

#: Agents on one channel: a whole number from 0 to :data:`simroi.limits.MAX_AGENTS`.
Agents = Annotated[int, Field(ge=0, le=MAX_AGENTS), NOT_TEXT_OR_TRUTH]


class StaffingRuleSpec(BaseModel):
    """``staffing_rule``: agents sized per trial and month to the forecast load, as planners do.

    Real-time channels: ``target_service_level`` and ``answer_within_seconds`` (the smallest
    agent count whose Erlang A service level meets the target in each hour of the week).
    Deferrable channels: ``target_occupancy`` (agents = ⌈work / (open time × target)⌉), or
    ``target_answered_within_hours`` with ``share`` (Erlang C on the week's work compressed into
    opening hours). ``min_agents`` and ``max_agents`` clip the result. See
    :mod:`simroi.model.staffing`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, allow_inf_nan=False)

    target_service_level: float | None = Field(
        None, gt=0, lt=1, description="realtime: share answered within answer_within_seconds"
    )
    answer_within_seconds: float | None = Field(None, gt=0, le=86_400)
    target_occupancy: float | None = Field(
        None, gt=0, le=1, description="deferrable: share of on-queue time spent handling"
    )
    target_answered_within_hours: float | None = Field(None, gt=0, le=24 * 365)
    share: float | None = Field(
        None, gt=0, lt=1, description="deferrable: share answered within the hours"
    )
    min_agents: Agents = Field(0, description="fewest agents on queue while open")
    max_agents: Agents | None = Field(None, description="most agents on queue at any time")

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        realtime = (self.target_service_level, self.answer_within_seconds)
        backlog = (self.target_answered_within_hours, self.share)
        given = [
            name
            for name, parts in (
                ("target_service_level", realtime),
                ("target_occupancy", (self.target_occupancy,)),
                ("target_answered_within_hours", backlog),
            )
            if any(p is not None for p in parts)
        ]
        if len(given) != 1:
            raise ValueError(
                "give exactly one target: target_service_level with answer_within_seconds, "
                "target_occupancy, or target_answered_within_hours with share "
                f"(got {', '.join(given) or 'none'})"
            )
        if given[0] == "target_service_level" and None in realtime:
            raise ValueError(
                "target_service_level needs answer_within_seconds and vice versa "
                f"(got {self.target_service_level}, {self.answer_within_seconds})"
            )
        if given[0] == "target_answered_within_hours" and None in backlog:
            raise ValueError(
                "target_answered_within_hours needs share and vice versa "
                f"(got {self.target_answered_within_hours}, {self.share})"
            )
        if self.max_agents is not None and self.min_agents > self.max_agents:
            raise ValueError(
                f"min_agents must be ≤ max_agents (got {self.min_agents} > {self.max_agents})"
            )
        return self

    @property
    def realtime(self) -> bool:
        """Whether this is the real-time (service level) rule."""
        return self.target_service_level is not None
