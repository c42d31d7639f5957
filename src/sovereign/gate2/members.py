"""The workflow's code as a bundle carries it: which files, and their digest.

Everything the re-run needs from the checkout and nothing else: the Snakefile, rules and scripts,
the library (every subpackage), its models, the config schemas, envs, the default profile and the
pinned requirements; no caches, no hidden files, no editor backups, no file behind a link, so a
bundle is the same from any checkout of the same commit. Light (stdlib and the code digest): the
Snakefile's top level reads the digest (the `gate2_bundle` rule's code param) without importing the
bundle's machinery.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from ..run.codedeps import code_digest as files_digest

CODE_GLOBS = (
    "Snakefile",
    "rules/*.smk",
    "scripts/*.py",
    # the library, every subpackage included
    "src/sovereign/**/*.py",
    "src/sovereign/models/**/*",
    "config/schemas/*",
    "envs/*",
    "profiles/default/*",
    "pyproject.toml",
    "requirements.lock",
)
_BACKUP_SUFFIXES = ("~", ".orig", ".rej", ".swp", ".bak", ".pyc")


def _wanted(path: Path, root: Path) -> bool:
    parts = path.relative_to(root).parts
    if any(part.startswith(".") or part == "__pycache__" for part in parts):
        return False
    if path.name.endswith(_BACKUP_SUFFIXES):
        return False
    # a file behind a link (or inside a linked directory) is not the checkout's own
    return path.is_file() and not any(
        p.is_symlink() for p in [path, *path.parents] if p != root and root in p.parents
    )


def code_files(workflow_dir: Path) -> list[Path]:
    """The files a bundle carries as `workflow/<path>`, sorted by that path."""
    root = Path(workflow_dir)
    found = {p for pattern in CODE_GLOBS for p in root.glob(pattern) if _wanted(p, root)}
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def code_members(workflow_dir: Path) -> dict[str, bytes]:
    """The workflow's code as bundle members `workflow/<path>`, sorted."""
    root = Path(workflow_dir)
    return {f"workflow/{p.relative_to(root).as_posix()}": p.read_bytes() for p in code_files(root)}


@cache
def code_digest(workflow_dir: Path) -> str:
    """sha256 over every member's name and bytes: a bundle is rebuilt when any file it would
    carry changes (an edit to a rule, a module the bundle script never imports, a model)."""
    root = Path(workflow_dir)
    return files_digest([str(p) for p in code_files(root)], root)
