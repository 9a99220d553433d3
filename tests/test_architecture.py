"""The folder tree is the architecture; these rules keep it so, read from the source."""

from __future__ import annotations

import ast
import itertools
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGES = Path(__file__).parents[1] / "packages"
SOURCES = {
    "ringback.core": PACKAGES / "core" / "src" / "ringback" / "core",
    "ringback.livekit": PACKAGES / "livekit_plugin" / "src" / "ringback" / "livekit",
    "ringback.pipecat": PACKAGES / "pipecat_observer" / "src" / "ringback" / "pipecat",
    "ringback.simulator": PACKAGES / "sip_simulator" / "src" / "ringback" / "simulator",
}
SIMULATOR = "ringback.simulator"
FRAMEWORKS = ("livekit", "pipecat", "ringback.livekit", "ringback.pipecat", "ringback.simulator")


def modules(package: str) -> Iterator[tuple[str, Path]]:
    """Every module of `package` as (dotted name, path)."""
    root = SOURCES[package]
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join((package, *parts)), path


def imports(name: str, path: Path) -> Iterator[str]:
    """The absolute names of the modules `path` imports, relative imports resolved."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                yield node.module or ""
                continue
            base = name.split(".")
            base = base[: len(base) - node.level + (1 if is_package else 0)]
            yield ".".join([*base, *([node.module] if node.module else [])])


def within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def subpackage(module: str) -> str | None:
    """`batch` for `ringback.simulator.batch.runner`; None outside the simulator."""
    if not within(module, SIMULATOR) or module == SIMULATOR:
        return None
    return module.split(".")[2]


def simulator_graph() -> dict[str, dict[str, list[str]]]:
    """Subpackage -> the subpackages it imports -> the files that do."""
    graph: dict[str, dict[str, list[str]]] = {}
    for name, path in modules(SIMULATOR):
        source = subpackage(name)
        if source is None:
            continue
        for imported in imports(name, path):
            target = subpackage(imported)
            if target is not None and target != source:
                graph.setdefault(source, {}).setdefault(target, []).append(path.name)
    return graph


def find_cycle(graph: dict[str, dict[str, list[str]]]) -> list[str] | None:
    """One import cycle (as a path that ends where it starts), or None."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        for target in sorted(graph.get(node, {})):
            found = visit(target, [*path, node])
            if found:
                return found
        done.add(node)
        return None

    for node in sorted(graph):
        found = visit(node, [])
        if found:
            return found
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b": ["x.py"]}, "b": {"c": ["y.py"]}, "c": {"a": ["z.py"]}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b": ["x.py"]}, "b": {}}) is None


def test_simulator_subpackages_import_one_way() -> None:
    graph = simulator_graph()
    cycle = find_cycle(graph)
    if cycle is not None:
        steps = [
            f"{a} -> {b} ({', '.join(sorted(set(graph[a][b])))})"
            for a, b in itertools.pairwise(cycle)
        ]
        pytest.fail("simulator subpackages import each other: " + "; ".join(steps))


def test_the_store_is_the_only_code_that_touches_the_database() -> None:
    outside = [
        f"{name} imports {imported}"
        for package in SOURCES
        for name, path in modules(package)
        for imported in imports(name, path)
        if within(imported, "sqlalchemy") and not within(name, f"{SIMULATOR}.store")
    ]
    assert outside == []


def test_the_store_depends_on_nothing_else_in_the_simulator() -> None:
    assert simulator_graph().get("store", {}) == {}


def test_command_line_code_lives_in_each_packages_cli_layer() -> None:
    outside = [
        f"{name} imports {imported}"
        for package in SOURCES
        for name, path in modules(package)
        for imported in imports(name, path)
        if (within(imported, "typer") or within(imported, "rich"))
        and not within(name, f"{package}.cli")
    ]
    assert outside == []


def test_core_imports_no_framework_and_no_other_ringback_package() -> None:
    found = [
        f"{name} imports {imported}"
        for name, path in modules("ringback.core")
        for imported in imports(name, path)
        if any(within(imported, framework) for framework in FRAMEWORKS)
    ]
    assert found == []


HEAVY = ("livekit", "pipecat", "sqlalchemy", "httpx", "pydantic", "fastapi", "uvicorn", "yaml")


@pytest.mark.parametrize("cli", ["ringback.simulator.cli", "ringback.core.cli.app"])
def test_a_command_line_loads_no_framework_before_a_command_runs(cli: str) -> None:
    """`--help` stays fast (benchmarks/cli_startup.py): each command imports what it needs
    when it runs."""
    code = f"import sys, {cli}\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stderr
