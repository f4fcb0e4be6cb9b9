"""A small channel spec for tests that count replies by response band."""

from __future__ import annotations

from simroi.scenario.spec import ChannelSpec


def banded_channel(*edges: float, kind: str = "deferrable") -> ChannelSpec:
    """A channel of ``kind`` whose response_value bands end at ``edges`` minutes (and one band
    beyond); with no edges, no curve."""
    bands = [{"within_minutes": e} for e in edges] + [{}] if edges else None
    realtime = {"patience_minutes": 3.0} if kind == "realtime" else {}
    return ChannelSpec.model_validate(
        {
            "kind": kind,
            "contacts_per_customer_per_year": 1.0,
            "agents": 1,
            "cost_per_agent_hour": 30.0,
            "handle_time_minutes": 5.0,
            "fcr": 0.5,
            "response_value": bands,
            **realtime,
        }
    )
