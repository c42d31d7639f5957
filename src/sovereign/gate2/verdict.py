"""A Gate 2 verdict: its form (the bundle it is about, the stage files it reproduced, the scope,
the evaluation time: the one clock reading Gate 2 is meant to record) and its record, appended
to the question's correction file once per identity and status so the record shows it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import InputFileError
from ..report.corrections import append_correction, read_corrections
from ..report.record import record_id
from .bundle import identity_outputs, sha256

VERDICT_CONTRACT = "sovereign-gate2-verdict-v1"
# What a re-run reproduces: an arXiv search (live or replayed) is replayed from the bundled
# responses, its raw stage among the outputs; a snapshot search, or a bundle built before search
# was re-run, carries its raw stage frozen.
SCOPE_WITH_SEARCH = "every stage, search included (replayed from the bundled arXiv responses)"
SCOPE_FROZEN_SEARCH = "every stage after search (the raw stage is frozen in the bundle)"


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def scope(manifest: dict[str, Any]) -> str:
    """What the verdict is about, from the manifest: the search is said reproduced only when the
    raw stage is an output and not also carried frozen (where it would only be copied back)."""
    outputs = manifest.get("outputs") if isinstance(manifest.get("outputs"), dict) else {}
    members = manifest.get("members") if isinstance(manifest.get("members"), dict) else {}
    frozen = any(n.startswith("work/results/") and n.endswith("/raw.parquet") for n in members)
    return SCOPE_WITH_SEARCH if "raw.parquet" in outputs and not frozen else SCOPE_FROZEN_SEARCH


def verdict_of(manifest: dict[str, Any], bundle: bytes, **fields: Any) -> dict[str, Any]:
    question = manifest.get("question") if isinstance(manifest.get("question"), dict) else {}
    outputs = manifest.get("outputs") if isinstance(manifest.get("outputs"), dict) else {}
    return {
        "contract": VERDICT_CONTRACT,
        "question_id": question.get("question_id"),
        "record_id": record_id(question["question"]) if question.get("question") else None,
        "bundle_sha256": sha256(bundle),
        "identity": manifest.get("identity"),
        "stage_sha256": identity_outputs(outputs),
        "scope": scope(manifest),
        "files": [],
        **fields,
    }


def record_verdict(verdict: dict[str, Any], corrections: Path) -> dict[str, Any] | None:
    """Append the verdict as a gate2 correction, unless the latest one already says it for the
    same identity (so re-verifying an unchanged question adds nothing)."""
    qid, stem = verdict["question_id"], Path(corrections).stem
    if stem != qid:
        raise InputFileError(
            str(corrections),
            f"the verdict is for question {qid!r}, not {stem!r}",
            f"append it to corrections/{qid}.jsonl",
        )
    for entry in reversed(read_corrections(corrections)):
        if entry["kind"] == "gate2":
            details = entry.get("details", {})
            if (details.get("status"), details.get("identity")) == (
                verdict["status"],
                verdict["identity"],
            ):
                return None
            break
    return append_correction(
        corrections,
        date=verdict["evaluated"][:10],
        kind="gate2",
        summary=f"Gate 2 sandbox reproduction: {verdict['status']}. {verdict['reason']}",
        details={
            "status": verdict["status"],
            "evaluated": verdict["evaluated"],
            "identity": verdict["identity"],
            "bundle_sha256": verdict["bundle_sha256"],
            "stage_sha256": verdict["stage_sha256"],
        },
    )
