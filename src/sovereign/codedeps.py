"""Which library files a stage runs, so Snakemake can rerun a stage when its code changes.

Snakemake tracks a `script:` by its mtime and ignores the modules it imports. A digest of the
stage's modules (the transitive closure of its `sovereign` imports, read from the source with
`ast`), given to the rule as a param, makes an edit to any of them rerun that stage and what
follows, and nothing else.
"""

from __future__ import annotations

import ast
import hashlib
from functools import cache
from pathlib import Path

PACKAGE = "sovereign"


@cache
def _imports(path: Path) -> frozenset[str]:
    """Names of the package's modules that one module imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:
                found.add(node.module.split(".")[0])
            elif node.level == 1:
                found.update(alias.name for alias in node.names)
            elif node.module and node.module.split(".")[0] == PACKAGE:
                parts = node.module.split(".")
                if len(parts) > 1:
                    found.add(parts[1])
                else:
                    found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == PACKAGE and len(parts) > 1:
                    found.add(parts[1])
    return frozenset(found)


def script_code(script: str | Path, package_dir: str | Path) -> list[str]:
    """Sorted paths of every package module a script imports, directly or not."""
    package_dir = Path(package_dir)
    seen: set[str] = set()
    todo = list(_imports(Path(script)))
    while todo:
        name = todo.pop()
        path = package_dir / f"{name}.py"
        if name in seen or not path.is_file():
            continue
        seen.add(name)
        todo.extend(_imports(path))
    init = package_dir / "__init__.py"
    files = [package_dir / f"{n}.py" for n in seen] + ([init] if init.is_file() else [])
    return sorted(str(f) for f in files)


def code_digest(files: list[str]) -> str:
    """sha256 over the files' names and bytes, in order: changes when any of them does."""
    digest = hashlib.sha256()
    for file in files:
        path = Path(file)
        data = path.read_bytes()
        digest.update(f"{path.name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()
