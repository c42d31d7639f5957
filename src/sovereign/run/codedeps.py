"""Which library files a stage runs, so Snakemake can rerun a stage when its code changes.

Snakemake tracks a `script:` by its mtime and ignores the modules it imports. A digest of the
stage's modules (the transitive closure of its `sovereign` imports, read from the source with
`ast`), given to the rule as a param, makes an edit to any of them rerun that stage and what
follows, and nothing else.

Imports are resolved as Python resolves them: `from ..text import fold` by its level against the
importing module's dotted name, a name to `x/y.py` or `x/y/__init__.py`, `from pkg import mod`
to the module when `mod` is one, and every package `__init__.py` on the way (Python runs them).
"""

from __future__ import annotations

import ast
import hashlib
from functools import cache
from pathlib import Path

PACKAGE = "sovereign"


def _dotted(path: Path, root: Path) -> tuple[str, bool]:
    """The dotted module name of a file under `root` (the directory holding the package), and
    whether it is a package's `__init__.py`."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def _file(root: Path, module: str) -> Path | None:
    """`x/y.py` or `x/y/__init__.py` under `root`, whichever exists."""
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imports(path: Path, root: Path | None) -> frozenset[str]:
    """Dotted names one file imports from the package, absolute or relative, at any depth (a
    function's lazy import too): each module, and `module.name` for every name taken from it
    (the module itself when that name is one). `root` is the directory holding the package, or
    None for a file outside it (a script), whose imports are all absolute. Read once per version
    of the file (a long-lived process sees an edit)."""
    stat = path.stat()
    return _parsed_imports(path, root, stat.st_mtime_ns, stat.st_size)


@cache
def _parsed_imports(path: Path, root: Path | None, _mtime: int, _size: int) -> frozenset[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    if root is not None:
        name, is_package = _dotted(path, root)
        package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                if root is None:
                    continue
                parts = package.split(".")
                base = parts[: len(parts) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] != PACKAGE:
                continue
            found.add(module)
            # `from pkg import mod` imports the module too, when it is one
            found.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == PACKAGE)
    return frozenset(found)


def _with_parents(module: str) -> list[str]:
    """`a.b.c` -> `a`, `a.b`, `a.b.c`: importing a module runs each package `__init__` above it."""
    parts = module.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def script_code(script: str | Path, package_dir: str | Path) -> list[str]:
    """Sorted paths of every package file a script imports, directly or not (`package_dir` is
    the package's own directory, e.g. src/sovereign)."""
    root = Path(package_dir).parent
    seen: set[Path] = set()
    todo = sorted(imports(Path(script), None))
    while todo:
        for module in _with_parents(todo.pop()):
            path = _file(root, module)
            if path is None or path in seen:
                continue
            seen.add(path)
            todo.extend(sorted(imports(path, root)))
    return sorted(str(f) for f in seen)


def code_digest(files: list[str], root: str | Path | None = None) -> str:
    """sha256 over the files' names and bytes, in order: changes when any of them does. Names
    are relative to `root` (so `search/stage.py` and `embed/stage.py` differ), else the bare
    file name."""
    digest = hashlib.sha256()
    for file in files:
        path = Path(file)
        name = path.relative_to(root).as_posix() if root is not None else path.name
        data = path.read_bytes()
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()
