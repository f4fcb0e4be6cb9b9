"""The achieved correlations shown beside the requested ones come from fixed streams chosen by
the library (``CHECK_STREAMS``), not by each front end."""

from __future__ import annotations

import json

from click.testing import CliRunner

from simroi.cli.app import main
from simroi.randomness import Streams
from simroi.scenario.load import load_scenario
from simroi.scenario.sampling import CHECK_STREAMS, achieved_correlations

CORRELATED = (
    'correlations=[{ inputs = ["customers.monthly_churn", '
    '"customers.monthly_margin_per_customer"], matrix = [[1, -0.5], [-0.5, 1]] }]'
)


def test_the_default_streams_are_fixed_and_are_what_simroi_inputs_shows() -> None:
    program = load_scenario(overrides=[CORRELATED]).program
    assert Streams(0, 0) == CHECK_STREAMS
    found = achieved_correlations(program)
    assert len(found) == 1 and found == achieved_correlations(program)
    assert found == achieved_correlations(program, streams=Streams(0, 0))
    assert found != achieved_correlations(program, streams=Streams(1, 0))  # the streams decide
    out = CliRunner().invoke(main, ["inputs", "--set", CORRELATED, "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["correlations"] == [c.to_json() for c in found]
