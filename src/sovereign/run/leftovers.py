"""What a failed or killed run leaves in the results directory, and how it is put right.

Snakemake removes a job's outputs before running it and again when it fails, but it never reruns
a job only because its output is missing while the files made from it exist: it treats the gap
like a deleted temporary file. A rerun that fails half-way (a network fault, a damaged input)
would so leave later stage files from before under a gap, and the next run would say "Nothing to
be done". `gaps` finds each question's first missing stage file under later ones; a failed run
removes those later files (`remove_orphans`, from the workflow's `onerror`), so that the next run
rebuilds the whole chain.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..contracts import SIDE_BY_SIDE, STAGE_FILES


def _chains(
    results: str | os.PathLike[str], question_ids: Iterable[str]
) -> Iterator[tuple[Path, list[Path]]]:
    """(first missing stage file, the later ones present) of each question with a gap. Only a
    question with a results folder can have one: a fresh run of many questions stats no file."""
    begun = set(os.listdir(results)) if os.path.isdir(results) else set()
    for qid in (q for q in question_ids if q in begun):
        paths = [Path(results, qid, name) for name in STAGE_FILES]
        present = [p.exists() for p in paths]
        for i, path in enumerate(paths):
            later = [
                p
                for p, there in zip(paths[i + 1 :], present[i + 1 :], strict=True)
                if there and frozenset({path.name, p.name}) not in SIDE_BY_SIDE
            ]
            if not present[i] and later:
                yield path, later
                break


def gaps(results: str | os.PathLike[str], question_ids: Iterable[str]) -> list[Path]:
    """For each question whose stage files have a gap, the first missing one."""
    return [gap for gap, _later in _chains(results, question_ids)]


def remove_orphans(results: str | os.PathLike[str], question_ids: Iterable[str]) -> list[Path]:
    """Remove the stage files under a gap (made from a file that is gone), so the next run
    rebuilds the chain; returns them."""
    removed = [p for _gap, later in _chains(results, question_ids) for p in later]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def remove_temporary_files(results: str | os.PathLike[str]) -> list[Path]:
    """Remove the `.*.tmp` files killed writers left under `results` (only safe while holding
    the run lock: a live writer's file looks the same); returns them."""
    leftovers = sorted(p for p in Path(results).rglob(".*.tmp") if p.is_file())
    for path in leftovers:
        path.unlink(missing_ok=True)
    return leftovers
