"""Where the record comes from and what happened to it since: the Gate 2 verdict (appended as a
correction), the correction record and any retraction, and the provenance (publisher, review
method, versions, ledger and stage-file hashes, methods).
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..contracts import NOTE
from ..review.llm_review import PROMPT_VERSION, prompts_sha256
from .inputs import Inputs

MANIFEST_CONTRACT = "paper-manifest-v1.1"
CORRECTION_CONTRACT = "correction-record-v1"
PROVENANCE_CONTRACT = "source-provenance-v1"
GATE = "Gate 2 — Verification (formal proof or sandbox reproduction)"
QUALITY_GUIDE = (
    "How to read scores, claims, manifests, and evidence links: sovereign docs/method.md, sections "
    "Review and Report and public record"
)


def gate2(corrections: list[dict[str, Any]], stage_files: dict[str, str]) -> dict[str, Any]:
    """The latest Gate 2 verdict, which Gate 2 appends as a correction; else not attempted.

    A verdict holds for the stage files it reproduced: when this record's files differ (a new
    threshold, model or question text since), the record says UNVERIFIED and why."""
    for entry in reversed(corrections):
        if entry["kind"] != "gate2":
            continue
        details = entry.get("details", {})
        verified = details.get("stage_sha256")
        if verified and any(stage_files.get(k) != v for k, v in sorted(verified.items())):
            return {
                "status": "UNVERIFIED",
                "gate": GATE,
                "reason": (
                    f"The latest Gate 2 verdict (correction {entry['seq']}, "
                    f"{details.get('status')} on {entry['date']}) is for earlier outputs; "
                    "run `snakemake gate2` to verify these."
                ),
                "evaluated": None,
                "correction_seq": entry["seq"],
            }
        return {
            "status": details.get("status", "UNVERIFIED"),
            "gate": GATE,
            "reason": entry["summary"],
            "evaluated": details.get("evaluated", entry["date"]),
            "correction_seq": entry["seq"],
        }
    return {
        "status": "UNVERIFIED",
        "gate": GATE,
        "reason": "No sandbox reproduction has been attempted for this record yet.",
        "evaluated": None,
        "correction_seq": None,
    }


def retraction(corrections: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((e for e in corrections if e["kind"] == "retraction"), None)


def correction_record(corrections: list[dict[str, Any]], head: str) -> dict[str, Any]:
    status = "CORRECTED" if corrections else "CURRENT"
    if retraction(corrections):
        status = "RETRACTED"
    return {
        "status": status,
        "count": len(corrections),
        "head_sha256": head,
        "manifest_contract": MANIFEST_CONTRACT,
        "correction_contract": CORRECTION_CONTRACT,
        "corrections": [{k: e[k] for k in ("seq", "date", "kind", "summary")} for e in corrections],
    }


def provenance(inp: Inputs, level: str) -> dict[str, Any]:
    s = inp.settings
    grounded = sum(c["grounded"] for c in inp.claims)
    keys = sorted({h["ledger_key"] for h in inp.hits if h["ledger_key"]})
    refs = sorted({h["source_ref"].rsplit(":", 1)[0] for h in inp.hits if h["source_ref"]})
    method = (
        "Automated multi-reviewer assessment (rule-based tribunal: SKEPTIC, VALIDATOR, SYNTHESIZER)"
    )
    llm = [r for r in inp.summary.reviewers if "llm:" in r]
    if llm:
        method += (
            f" with an LLM reviewer ({', '.join(llm)}; prompts {PROMPT_VERSION}, sha256 "
            f"{prompts_sha256()})"
        )
    return {
        "publisher": s["publisher"],
        "public_provenance": "L3, Claim aggregate record"
        if level == "L2"
        else "L2, Public artifact record",
        "report_artifact": {
            "status": "Available",
            "path": "report.md",
            "sha256": inp.artifacts["report.md"],
        },
        "external_record": s["external_record"] or "Not registered",
        "claim_lineage": f"{grounded} aggregate source-grounded claims",
        "review_method": method,
        "quality_guide": QUALITY_GUIDE,
        "provenance_contract": PROVENANCE_CONTRACT,
        "note": NOTE,
        "versions": inp.versions,
        "ledger": {
            "search_entries": len(keys),
            "search_keys_sha256": hashlib.sha256("\n".join(keys).encode()).hexdigest(),
            "snapshot_files": refs,
        },
        "stage_files": {k: v for k, v in sorted(inp.artifacts.items()) if k != "report.md"},
        "methods": s["methods"],
    }
