"""Which files make up a snapshot (kept import-light: the Snakefile calls it at parse time)."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import InputFileError

SNAPSHOT_SUFFIXES = (".jsonl", ".json", ".ndjson")


def snapshot_files(path: str | os.PathLike[str]) -> list[Path]:
    """The JSON-lines files of a snapshot, in sorted order; a clear error if there are none, or
    if they hold no bytes at all (an interrupted download or copy, most often)."""
    root = Path(path)
    if root.is_file():
        if root.stat().st_size == 0:
            raise InputFileError(
                str(root),
                "the snapshot file is empty (0 bytes)",
                "point search.snapshot at an arXiv metadata JSON-lines file, or download or copy "
                "it again",
            )
        return [root]
    if root.is_dir():
        files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in SNAPSHOT_SUFFIXES)
        if not files:
            raise InputFileError(
                str(root),
                "the snapshot directory holds no .jsonl, .json or .ndjson files",
                "point search.snapshot at an arXiv metadata JSON-lines file or a directory of them",
            )
        if all(f.stat().st_size == 0 for f in files):
            raise InputFileError(
                str(root),
                f"all {len(files)} snapshot files in the directory are empty"
                if len(files) > 1
                else f"the directory's one snapshot file, {files[0].name}, is empty",
                "put arXiv metadata JSON-lines files in it, or download or copy them again",
            )
        return files
    raise InputFileError(
        str(root),
        "the snapshot does not exist",
        "point search.snapshot at an arXiv metadata JSON-lines file (e.g. the Kaggle "
        "arxiv-metadata-oai-snapshot.json) or a directory of them",
    )


# The snapshot index (sovereign.search.snapshot_build); named here so the Snakefile can list its
# files without importing numpy at parse time.
INDEX_FORMAT = "sovereign-snapshot-index/1"
INDEX_FILES = (
    "date.npy",
    "norm.npy",
    "paper_span.npy",
    "papers.bin",
    "postings_doc.npy",
    "postings_ptr.npy",
    "postings_tf.npy",
    "term_offsets.npy",
    "terms.bin",
    "text.bin",
    "text_span.npy",
    "index.json",  # last: written once every other file is in place
)


def index_dir(root: str | os.PathLike[str], snapshot: str | os.PathLike[str]) -> str:
    """Where a snapshot's index lives: one directory per snapshot path, so configs that share a
    snapshot share its index and switching snapshots does not rebuild back and forth."""
    import hashlib

    name = Path(snapshot).name or "snapshot"
    key = hashlib.sha256(str(snapshot).encode("utf-8")).hexdigest()[:10]
    return str(Path(root) / f"{name}-{key}")
