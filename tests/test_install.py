"""The tests exercise the installed package, not whatever folder pytest was started from."""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

import simroi


def _editable_source() -> Path | None:
    """The source folder of an editable install (``pip install -e``), else None."""
    text = metadata.distribution("simroi").read_text("direct_url.json")
    info = json.loads(text) if text else {}
    if not info.get("dir_info", {}).get("editable"):
        return None
    return Path(info["url"].removeprefix("file://")).resolve()


def test_simroi_is_imported_from_where_pip_installed_it() -> None:
    imported = Path(simroi.__file__).resolve().parent
    source = _editable_source()
    if source is None:  # a regular install, as CI makes: the copy in site-packages
        installed = Path(str(metadata.distribution("simroi").locate_file("simroi"))).resolve()
        assert imported == installed
    else:  # an editable install (development): the source folder it points at
        assert imported == source / "simroi"


def test_the_bundled_scenarios_come_with_the_package() -> None:
    from simroi.scenario.load import bundled_scenarios

    assert {"default", "social-team-2", "social-team-3"} <= set(bundled_scenarios())


def test_every_module_of_the_source_folder_is_installed() -> None:
    # pyproject.toml lists the subpackages; one left out would be missing from the wheel.
    source = Path(__file__).resolve().parents[1] / "simroi"
    installed = Path(simroi.__file__).resolve().parent
    bundled = Path("scenarios")  # installed from the top-level scenarios/ folder
    assert {p.relative_to(source) for p in source.rglob("*.py")} == {
        p.relative_to(installed)
        for p in installed.rglob("*.py")
        if bundled not in p.relative_to(installed).parents
    }
