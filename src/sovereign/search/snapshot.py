"""Reading a local arXiv metadata snapshot (the `snapshot` search backend's source).

A snapshot is a JSON-lines file, or a directory of them, in any dialect `records` reads (the
Kaggle/OAI file, arXiv API field names, daily listings). Records are de-duplicated on the arXiv id
(the highest version wins; otherwise the first in sorted file order). Searches go through
`sovereign.search.snapshot_index`, built once per snapshot.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..errors import InputFileError
from .records import from_json
from .snapshot_files import SnapshotFile, snapshot_files


def parse_line(raw: bytes, where: str) -> dict[str, Any] | None:
    """One snapshot line as a paper (None for a blank line or a record without an arXiv id);
    a line that is not a JSON object is an error naming `where` (file:line)."""
    if not raw.strip():
        return None
    try:
        record = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise InputFileError(
            where,
            f"not UTF-8 text (byte 0x{raw[err.start]:02x} at column {err.start + 1})",
            "re-encode the file as UTF-8",
        ) from None
    except json.JSONDecodeError as err:
        raise InputFileError(
            where,
            f"not a JSON object ({err.msg} at column {err.colno})",
            "repair or remove that line; the snapshot must be JSON lines, one record per line",
        ) from None
    if not isinstance(record, dict):
        # Skipping it would hide a whole file written as one JSON array: the index would be empty.
        kind = "an array" if isinstance(record, list) else "a single value"
        raise InputFileError(
            where,
            f"{kind}, not a JSON record (an object)",
            "write one JSON object per line (JSON lines); a file holding one JSON array of "
            "records converts with `jq -c '.[]' FILE`",
        )
    try:
        return from_json(record)
    except _FIELD_ERRORS as err:
        culprit = _culprit(record)
        named = f"field {culprit!r}" if culprit else "a field"
        raise InputFileError(
            where,
            f"{named} has an unexpected type or value ({err})",
            "repair or remove that record",
        ) from None


_FIELD_ERRORS = (TypeError, ValueError, AttributeError, IndexError)


def _culprit(record: dict[str, Any]) -> str | None:
    """The field whose removal lets the record be read (the error path only: one retry a field)."""
    for key in sorted(record):
        try:
            if from_json({k: v for k, v in record.items() if k != key}) is not None:
                return key
        except _FIELD_ERRORS:
            continue
    return None


def ref_name(file: Path, base: Path) -> str:
    """How a source ref names a snapshot file: relative to the snapshot directory."""
    return file.relative_to(base).as_posix() if file != base else file.name


def snapshot_base(path: str | os.PathLike[str]) -> Path:
    return Path(path) if Path(path).is_dir() else Path(path).parent


def iter_records(files: Iterable[Path], base: Path) -> Iterator[tuple[dict[str, Any], str]]:
    """(paper, "file:line") for every record with an arXiv id; bad JSON is an error naming it."""
    for file in files:
        name = ref_name(file, base)
        for number, raw in enumerate(SnapshotFile(file).lines(), start=1):
            paper = parse_line(raw, f"{file}:{number}")
            if paper is not None:
                yield paper, f"{name}:{number}"


def paper_version(paper: dict[str, Any]) -> int:
    versioned = paper.get("arxiv_id_versioned") or ""
    return int(versioned.rsplit("v", 1)[1]) if "v" in versioned else 0


def load_snapshot(path: str | os.PathLike[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """De-duplicated papers sorted by arXiv id, and where each came from (the whole snapshot in
    memory: for tests and evaluation sets; searches read a SnapshotIndex)."""
    best: dict[str, tuple[dict[str, Any], str]] = {}
    for paper, ref in iter_records(snapshot_files(path), snapshot_base(path)):
        known = best.get(paper["arxiv_id"])
        if known is None or paper_version(paper) > paper_version(known[0]):
            best[paper["arxiv_id"]] = (paper, ref)
    ids = sorted(best)
    return [best[i][0] for i in ids], [best[i][1] for i in ids]
