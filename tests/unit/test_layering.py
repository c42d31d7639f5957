"""The library's layering, read from its own imports: no cycle, nothing imports upward, no stage
package imports another on its own level, and across packages only the modules a package lists
as public (its `__all__`) are imported."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from sovereign.run.codedeps import imports
from support.paths import REPO

PACKAGE = REPO / "src" / "sovereign"

# Bottom to top. A unit is a top-level module or a subpackage of sovereign; each may import only
# from units on lower levels (and itself). The stage packages follow the pipeline.
LEVELS = [
    {"sovereign"},  # the package face: __version__ only
    {"errors", "contracts", "versions", "text"},
    {"schemas", "io"},
    {"net", "run", "encoders", "config"},
    {"search", "filter"},
    # both read the filter's output (its near misses included)
    {"embed", "fulltext"},
    {"claims"},
    {"answer"},
    {"review"},
    {"report"},
    {"gate2"},
    # `python -m sovereign.X` forms kept for old commands: one-line forwards to a stage's main()
    (FORWARDS := {"reproduce", "corrections", "snapshot_index"}),
    # the `sovereign` command: a person's verbs over all of it (and the Snakemake options they
    # read and pass on); `python -m sovereign` forwards
    {"snakemake_args"},
    {"cli"},
    {"__main__"},
]
LEVEL = {unit: i for i, units in enumerate(LEVELS) for unit in units}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


MODULES = _modules()


# What each module imports, read by the same code that computes the stages' rerun digests
GRAPH = {
    name: {target for target in imports(path, PACKAGE.parent) if target in MODULES}
    for name, path in MODULES.items()
}


def test_the_graph_is_the_librarys():
    """A wrong path would make every check below pass on an empty graph."""
    assert len(MODULES) > 60 and sum(len(t) for t in GRAPH.values()) > 150


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "sovereign"


def test_every_unit_has_a_level():
    units = {_unit(m) for m in MODULES if m != "sovereign"}
    assert units - set(LEVEL) == set(), "give each new module or package a level in LEVELS"


def test_no_cycle():
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            raise AssertionError("import cycle: " + " -> ".join(path[path.index(module) :]))
        if module in done:
            return
        for target in sorted(GRAPH.get(module, ())):
            visit(target, [*path, module])
        done.add(module)

    for module in sorted(GRAPH):
        visit(module, [])


def _cross_unit_edges(graph):
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            if _unit(target) != _unit(module):
                yield module, target


def upward_or_sideways(graph: dict[str, set[str]]) -> list[str]:
    return [
        f"{m} ({_unit(m)}, level {LEVEL[_unit(m)]}) imports {t} "
        f"({_unit(t)}, level {LEVEL[_unit(t)]})"
        for m, t in _cross_unit_edges(graph)
        if _unit(m) != "sovereign" and LEVEL[_unit(t)] >= LEVEL[_unit(m)]
    ]


def test_nothing_imports_upward_or_sideways():
    assert upward_or_sideways(GRAPH) == []


def test_an_upward_or_sideways_import_is_seen():
    up = {"sovereign.search.stage": {"sovereign.report.record"}}
    side = {"sovereign.filter.stage": {"sovereign.embed.stage"}}
    down = {"sovereign.report.record": {"sovereign.search.queries"}}
    assert len(upward_or_sideways(up)) == 1
    assert len(upward_or_sideways(side)) == 1
    assert upward_or_sideways(down) == []


def _public(package: str) -> set[str]:
    """The modules a subpackage lists as public in its __init__'s __all__."""
    tree = ast.parse((PACKAGE / package / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return set(ast.literal_eval(node.value))
    raise AssertionError(f"sovereign/{package}/__init__.py has no __all__")


SUBPACKAGES = sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py"))


@pytest.mark.parametrize("package", SUBPACKAGES)
def test_each_package_lists_its_public_modules(package):
    public = _public(package)
    present = {p.stem for p in (PACKAGE / package).glob("*.py") if p.stem != "__init__"}
    assert public <= present, f"__all__ names modules that do not exist: {public - present}"


def test_across_packages_only_public_modules_are_imported():
    bad = []
    for module, target in _cross_unit_edges(GRAPH):
        parts = target.split(".")
        if len(parts) > 2 and parts[2] not in _public(parts[1]):
            bad.append(f"{module} imports {target}, private to sovereign.{parts[1]}")
    assert bad == []


_WORKFLOW_IMPORT = re.compile(r"^\s*from (sovereign(?:\.\w+)*) import ([\w, ]+)", re.M)


def _workflow_imports():
    """(file, module) for every sovereign module the workflow layer imports: the Snakefile,
    rules/*.smk and scripts/*.py."""
    files = [REPO / "Snakefile", *sorted((REPO / "rules").glob("*.smk"))]
    files += sorted((REPO / "scripts").glob("*.py"))
    for path in files:
        for module, names in _WORKFLOW_IMPORT.findall(path.read_text(encoding="utf-8")):
            subs = [f"{module}.{n.split(' as ')[0].strip()}" for n in names.split(",")]
            for target in [s for s in subs if s in MODULES] or [module]:
                yield path.relative_to(REPO).as_posix(), target


def test_the_workflow_layer_imports_only_public_modules():
    seen = list(_workflow_imports())
    assert len(seen) > 30
    bad = [
        f"{where} imports {target}, private to sovereign.{target.split('.')[1]}"
        for where, target in seen
        if len(target.split(".")) > 2 and target.split(".")[2] not in _public(target.split(".")[1])
    ]
    assert bad == []


def test_python_m_forwards_are_one_line_forwards():
    for name in sorted(FORWARDS | {"__main__"}):
        tree = ast.parse((PACKAGE / f"{name}.py").read_text(encoding="utf-8"))
        imports = [n for n in tree.body if isinstance(n, ast.ImportFrom) and n.level]
        assert len(imports) == 1 and [a.name for a in imports[0].names] == ["main"], name
