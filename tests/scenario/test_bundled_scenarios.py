"""The bundled scenarios as ``simroi scenarios`` lists them: typed rows from the loader."""

from __future__ import annotations

from simroi.scenario.load import bundled_scenarios, describe_bundled_scenarios, load_scenario


def test_one_row_per_bundled_file_with_its_description() -> None:
    rows = describe_bundled_scenarios()
    assert [(r.name, r.path) for r in rows] == list(bundled_scenarios().items())
    for row in rows:
        assert row.description  # every bundled scenario says what it is
        assert row.description == load_scenario(row.name).program.scenario.description
