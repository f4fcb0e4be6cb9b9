"""The house: imports run one way along the data path, with no circles and no giant modules.

``DESIGN.md`` §2 lays ``simroi/`` out as one subpackage per stage of the data path. These tests
read every module's imports (function-level and ``TYPE_CHECKING`` ones included, since a circle
hidden inside a function is still a circle) and fail on an import that goes up the path, on any
import circle between modules, and on a module longer than the house allows. A name taken from
the package root (``from simroi import compare``, or ``simroi.compare`` after ``import simroi``)
counts as an import of the module the root takes it from (``simroi._EXPORTS``), and a module may
take nothing from the root but ``__version__``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import simroi

PACKAGE = Path(simroi.__file__).parent
#: The package root's names and the modules it resolves them from (``simroi.compare`` is
#: ``simroi.api.compare``).
ROOT_EXPORTS: dict[str, str] = simroi._EXPORTS
#: The one name a module may take from the package root.
ROOT_NAMES_ALLOWED = {"__version__"}

#: The stages, lowest first (``scenarios`` is the bundled scenario files, installed as data).
#: A module may import its own subpackage and anything lower; siblings on one level do not import
#: each other. ``simroi/__init__.py`` is the Python API's facade over all of them, and every
#: module may read ``simroi.__version__`` from it.
LAYERS: tuple[tuple[str, ...], ...] = (
    (
        "errors",
        "randomness",
        "limits",
        "weekdays",
        "formatting",
        "estimates",
        "notebook",
        "scenarios",
    ),
    ("scenario", "queueing", "data"),
    ("model",),
    ("execution",),
    ("analysis",),
    ("report",),
    ("exports",),
    ("cli", "api"),
)
MAX_LINES = 600


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _root_names(name: str, path: Path) -> list[str]:
    """The names ``name`` takes from the package root: ``from simroi import X`` (or the relative
    equivalent) and ``simroi.X`` after ``import simroi``, where X is not a subpackage or module."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found, aliases = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package[: len(package) - node.level + 1], *filter(None, [base])])
            if base == "simroi":
                found += [a.name for a in node.names if f"simroi.{a.name}" not in MODULES]
        elif isinstance(node, ast.Import):
            # `import simroi` and `import simroi.x.y` both bind the name `simroi`.
            aliases |= {
                a.asname or "simroi"
                for a in node.names
                if a.name == "simroi" or (a.name.startswith("simroi.") and a.asname is None)
            }
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and f"simroi.{node.attr}" not in MODULES
        ):
            found.append(node.attr)
    return found


def _imports(name: str, path: Path) -> set[str]:
    """The simroi modules that ``name`` imports, anywhere in its body.

    A name taken from the package root counts as an import of the module it comes from
    (``simroi.compare`` is ``simroi.api``); ``__version__``, or a name the root does not export,
    leaves the root itself as the target.
    """
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package[: len(package) - node.level + 1], *filter(None, [base])])
            candidates = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for candidate in candidates:
            while candidate and candidate not in MODULES:
                candidate = candidate.rpartition(".")[0]
            if candidate and candidate != name:
                targets.add(candidate)
    if name != "simroi":
        for root_name in _root_names(name, path):
            target = ROOT_EXPORTS.get(root_name, "simroi")
            if target != name:
                targets.add(target)
    return targets


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _stage(module: str) -> tuple[int, str] | None:
    """(level, stage) of a module, or None for the package root (the API facade)."""
    parts = module.split(".")
    if len(parts) == 1:
        return None
    for level, stages in enumerate(LAYERS):
        if parts[1] in stages:
            return level, parts[1]
    raise AssertionError(f"{module} is in no stage of LAYERS: add its subpackage there")


def test_every_module_belongs_to_a_stage() -> None:
    for module in MODULES:
        _stage(module)


def test_imports_run_one_way_along_the_data_path() -> None:
    upward = []
    for module, targets in GRAPH.items():
        here = _stage(module)
        if here is None:
            continue
        for target in targets:
            there = _stage(target)
            if there is None:
                continue  # simroi.__version__ (the root imports nothing at load time)
            if there[1] != here[1] and there[0] >= here[0]:
                upward.append(f"{module} imports {target}")
    assert upward == []


def test_modules_take_only_the_version_from_the_package_root() -> None:
    # The root is the Python API's facade for users; inside the package a name is imported from
    # the module that defines it, so the checks above see where each import really goes.
    taken = [
        f"{module} takes {root_name!r} from simroi"
        for module, path in MODULES.items()
        if module != "simroi"
        for root_name in _root_names(module, path)
        if root_name not in ROOT_NAMES_ALLOWED
    ]
    assert taken == []


def test_every_name_the_root_exports_resolves_to_a_module() -> None:
    assert set(ROOT_EXPORTS.values()) <= set(MODULES)


def test_the_package_root_imports_no_stage_when_loaded() -> None:
    # The facade resolves its names lazily, so reading __version__ never imports a stage.
    tree = ast.parse(MODULES["simroi"].read_text(encoding="utf-8"))
    top = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    assert all(not (getattr(n, "module", "") or "").startswith("simroi") for n in top)


def _circles() -> list[list[str]]:
    graph = {m: {t for t in ts if t != "simroi"} for m, ts in GRAPH.items() if m != "simroi"}
    circles, state = [], dict.fromkeys(graph, 0)  # 0 new, 1 on the path, 2 done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            if state[target] == 1:
                circles.append([*path[path.index(target) :], target])
            elif state[target] == 0:
                visit(target, [*path, target])
        state[module] = 2

    for module in graph:
        if state[module] == 0:
            visit(module, [module])
    return circles


def test_no_import_circles_even_inside_functions() -> None:
    assert _circles() == []


def test_the_simpy_reference_does_not_import_the_optimized_engine() -> None:
    assert "simroi.queueing.engine" not in GRAPH["simroi.queueing.reference"]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_longer_than_the_house_allows(module: str) -> None:
    lines = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines"


def test_the_checks_see_a_planted_upward_import_and_circle(tmp_path: Path) -> None:
    # The checks themselves must be able to fail: feed them a module that breaks both rules.
    fake = tmp_path / "engine.py"
    fake.write_text("def f():\n    from simroi.cli.app import main\n", encoding="utf-8")
    targets = _imports("simroi.queueing.engine", fake)
    assert "simroi.cli.app" in targets
    assert _stage("simroi.cli.app")[0] > _stage("simroi.queueing.engine")[0]  # type: ignore[index]
    GRAPH["simroi.fake_a"] = {"simroi.fake_b"}
    GRAPH["simroi.fake_b"] = {"simroi.fake_a"}
    try:
        assert any("simroi.fake_a" in circle for circle in _circles())
    finally:
        del GRAPH["simroi.fake_a"], GRAPH["simroi.fake_b"]


@pytest.mark.parametrize(
    "source",
    [
        "from simroi import compare\n",
        "def f():\n    from simroi import compare\n",
        "import simroi\n\ndef f():\n    return simroi.compare\n",
        "import simroi.errors\n\ndef f():\n    return simroi.compare\n",
        "from .. import compare\n",
    ],
)
def test_the_checks_see_an_upward_import_through_the_package_root(
    tmp_path: Path, source: str
) -> None:
    # `compare` lives in simroi.api, the top of the house: taken through the root it is still an
    # upward import from the queue engine, and a name other than __version__ from the root.
    fake = tmp_path / "engine.py"
    fake.write_text(source, encoding="utf-8")
    assert "simroi.api" in _imports("simroi.queueing.engine", fake)
    assert _root_names("simroi.queueing.engine", fake) == ["compare"]
    assert _stage("simroi.api")[0] > _stage("simroi.queueing.engine")[0]  # type: ignore[index]


def test_the_version_through_the_package_root_stays_allowed(tmp_path: Path) -> None:
    fake = tmp_path / "runner.py"
    fake.write_text("from simroi import __version__\nimport simroi\nv = simroi.__version__\n")
    assert _imports("simroi.execution.runner", fake) == {"simroi"}
    assert set(_root_names("simroi.execution.runner", fake)) <= ROOT_NAMES_ALLOWED
