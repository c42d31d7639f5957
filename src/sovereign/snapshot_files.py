"""Which files make up a snapshot (kept import-light: the Snakefile calls it at parse time)."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import InputFileError

SNAPSHOT_SUFFIXES = (".jsonl", ".json", ".ndjson")


def snapshot_files(path: str | os.PathLike[str]) -> list[Path]:
    """The JSON-lines files of a snapshot, in sorted order; a clear error if there are none."""
    root = Path(path)
    if root.is_file():
        return [root]
    if root.is_dir():
        files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in SNAPSHOT_SUFFIXES)
        if files:
            return files
        raise InputFileError(
            str(root),
            "the snapshot directory holds no .jsonl files",
            "point search.snapshot at an arXiv metadata JSON-lines file or a directory of them",
        )
    raise InputFileError(
        str(root),
        "the snapshot does not exist",
        "point search.snapshot at an arXiv metadata JSON-lines file (e.g. the Kaggle "
        "arxiv-metadata-oai-snapshot.json) or a directory of them",
    )
