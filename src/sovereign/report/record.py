"""The public record of one question (`record.json`): the seeds' fields, each from measured figures.

Every field is derived from the stage files, the tribunal's reviews, the correction file and the
config; nothing is hard-coded per question and nothing comes from the clock. The rules that set
the verification level, the quality tier and the four quality dimensions are stated next to the
values (`rule`), so a reader can check them against the figures (`measured`).
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from typing import Any

from ..contracts import HIGH, LOW, MEDIUM, NOTE, PROVISIONAL, QUARANTINE, RETRACTED, REVIEWED
from ..review.llm_review import PROMPT_VERSION, prompts_sha256
from ..review.rows import Summary
from ..search.queries import expand

RECORD_CONTRACT = "sovereign-record-v1"
MANIFEST_CONTRACT = "paper-manifest-v1.1"
CORRECTION_CONTRACT = "correction-record-v1"
PROVENANCE_CONTRACT = "source-provenance-v1"
GATE = "Gate 2 — Verification (formal proof or sandbox reproduction)"
TITLE_LIMIT = 110
QUALITY_GUIDE = (
    "How to read scores, claims, manifests, and evidence links: sovereign README, sections "
    "Review and Report and public record"
)


def normalize_question(question: str) -> str:
    """The form the record ID hashes: NFKC, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", question).casefold().split())


def record_id(question: str) -> str:
    """`SRCH:` + the first 8 hex digits, upper case, of sha256 of the normalized question."""
    digest = hashlib.sha256(normalize_question(question).encode("utf-8")).hexdigest()
    return "SRCH:" + digest[:8].upper()


def title_of(question: str) -> str:
    """The question, cut at a word boundary to the seeds' 110 characters."""
    text = " ".join(question.split())
    if len(text) <= TITLE_LIMIT:
        return text
    cut = text[: TITLE_LIMIT - 1].rsplit(" ", 1)[0].rstrip(" ,;:")
    return cut + "…"


@dataclass(frozen=True)
class Inputs:
    question_id: str
    question: str
    as_of: str
    hits: list[dict[str, Any]]
    papers: list[dict[str, Any]]
    claims: list[dict[str, Any]]
    summary: Summary
    corrections: list[dict[str, Any]]
    settings: dict[str, Any]  # publisher, external_record, quarantine_below, thresholds, methods
    artifacts: dict[str, str]  # file name -> sha256 (report.md and the stage files)
    versions: dict[str, str]
    corrections_head: str = "0" * 64  # sha256 of the correction file's last line


def query_plan(inp: Inputs) -> list[dict[str, Any]]:
    """The four queries as sent (date limit included), with how many hits each returned."""
    hits = [h["query_index"] for h in inp.hits]
    return [
        {
            "index": q.index,
            "kind": q.kind,
            "query": q.arxiv_query(inp.as_of),
            "hits": hits.count(q.index),
        }
        for q in expand(inp.question)
    ]


def funnel(inp: Inputs) -> dict[str, Any]:
    plan = query_plan(inp)
    return {
        "queries": len(plan),  # sent, whether or not each found anything
        "query_plan": plan,
        "hits": len(inp.hits),
        "deduplicated": len(inp.papers),
        "kept": sum(p["kept"] for p in inp.papers),
        "kept_by_tfidf": sum(p["tfidf_pass"] for p in inp.papers),
        "kept_by_semantic": sum(p["semantic_pass"] for p in inp.papers),
        "claims": len(inp.claims),
        "verified": sum(c["verified"] for c in inp.claims),
        "threshold": inp.settings["filter_threshold"],
        "semantic_threshold": inp.settings["semantic_threshold"],
        "keep_rule": "TF-IDF cosine >= threshold, or sentence-encoder cosine >= semantic_threshold",
    }


def verification(inp: Inputs) -> dict[str, Any]:
    grounded = sum(c["grounded"] for c in inp.claims)
    if grounded:
        return {
            "level": "L2",
            "label": "Source-grounded claims",
            "source_grounded_claims": grounded,
            "claim_record_source": "parsed source sections (arXiv abstracts, sentence spans)",
            "rule": "L2 when at least one claim is grounded in its source span, else L1",
        }
    return {
        "level": "L1",
        "label": "Literature synthesis",
        "source_grounded_claims": 0,
        "claim_record_source": (
            "none (no claim is grounded in its source span)"
            if inp.claims
            else "none (no claim was extracted from the kept sources)"
        ),
        "rule": "L2 when at least one claim is grounded in its source span, else L1",
    }


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


def quality_tier(
    score: float, s: dict[str, Any], retracted: dict[str, Any] | None = None
) -> dict[str, Any]:
    quarantine, publish = s["quarantine_below"], s["publish_at"]
    if retracted:
        tier = RETRACTED
        basis = (
            f"Retracted on {retracted['date']} (correction {retracted['seq']}): "
            f"{retracted['summary']}"
        )
    elif score < quarantine:
        tier = QUARANTINE
        basis = (
            f"Review score is below {quarantine:.1f}; source-level inspection is required "
            "before relying on the synthesis."
        )
    elif score < publish:
        tier = PROVISIONAL
        basis = (
            f"Review score is between {quarantine:.1f} and {publish:.1f}; read the disclosed "
            "uncertainties before relying on the synthesis."
        )
    else:
        tier = REVIEWED
        basis = f"Review score is at least {publish:.1f} after the automated tribunal."
    return {"tier": tier, "basis": basis, "score": score}


def _level(high: bool, medium: bool) -> str:
    return HIGH if high else (MEDIUM if medium else LOW)


def dimensions(inp: Inputs, gate: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The four quality dimensions: a level, the rule that set it and the figures it read."""
    verified = [c for c in inp.claims if c["verified"]]
    verified_papers = len({c["arxiv_id"] for c in verified})
    synth = inp.summary.scores[inp.summary.final_round].get("SYNTHESIZER", 0.0)
    out: dict[str, dict[str, Any]] = {
        "evidence_strength": {
            "level": _level(
                len(verified) >= 3 and verified_papers >= 2 and synth >= 8.0,
                len(verified) >= 1 and synth >= 5.0,
            ),
            "rule": "HIGH: >= 3 verified claims from >= 2 papers and SYNTHESIZER >= 8; "
            "MEDIUM: >= 1 verified claim and SYNTHESIZER >= 5; else LOW",
            "measured": {
                "verified_claims": len(verified),
                "verified_papers": verified_papers,
                "synthesizer_score": synth,
            },
        }
    }
    if inp.claims:
        final = inp.summary.findings[inp.summary.final_round]
        broken = sorted(
            {f["criterion"] for f in final if f["criterion"] in ("ungrounded", "unknown_reference")}
        )
        supported = sum(c["evidence_label"] == "SUPPORT" for c in inp.claims)
        share = supported / len(inp.claims)
        out["citation_grounding"] = {
            "level": _level(not broken and share >= 0.5, not broken),
            "rule": "HIGH: every claim is its cited span in a kept paper and >= 50% have "
            "supporting evidence in another paper; MEDIUM: every claim grounded and every "
            "reference a kept paper; else LOW",
            "measured": {
                "claims": len(inp.claims),
                "grounded": sum(c["grounded"] for c in inp.claims),
                "supported_share": round(share, 4),
                "validator_failures": broken,
            },
        }
    out["uncertainty_disclosure"] = uncertainty_disclosure(inp.summary, None, len(verified))
    replayable = all(h["ledger_key"] or h["source_ref"] for h in inp.hits)
    status = gate["status"]
    out["reproducibility_status"] = {
        "level": _level(status == "VERIFIED", status != "FAILED" and replayable),
        "rule": "HIGH: Gate 2 VERIFIED (byte-identical sandbox replay); MEDIUM: not yet "
        "verified, but every search response is in the ledger or a local snapshot; else LOW",
        "measured": {"gate2_status": status, "search_replayable": replayable},
    }
    return out


def gap_marker(finding: dict[str, Any]) -> str:
    """How report.md names a gap in its Uncertainties section (report_md writes the same)."""
    return f"{finding['role']} ({finding['severity']}, {finding['criterion']})"


def gap_line(finding: dict[str, Any]) -> str:
    """The line report.md's Uncertainties section gives a gap: its marker and its finding."""
    return f"{gap_marker(finding)}: {finding['finding']}"


def uncertainty_disclosure(summary: Summary, report: str | None, verified: int) -> dict[str, Any]:
    """Measured on the report itself: each gap of the final round (minor, major or fatal) must
    be named in its Uncertainties section. Without the report (before it exists) nothing counts
    as disclosed."""
    gaps = [
        f
        for f in summary.findings[summary.final_round]
        if f["severity"] in ("minor", "major", "fatal")
    ]
    section = ""
    if report and "## 4 Uncertainties" in report:
        section = report.split("## 4 Uncertainties", 1)[1].split("\n## ", 1)[0]
    # The marker and the finding itself: two findings of one criterion count separately.
    disclosed = sum(gap_line(g) in section for g in gaps)
    undisclosed = len(gaps) - disclosed
    return {
        "level": _level(verified > 0 and undisclosed == 0, undisclosed == 0),
        "rule": "HIGH: every gap the tribunal found is named in the report's uncertainties and "
        "at least one claim is verified (the uncertainty is bounded); MEDIUM: every gap named "
        "but nothing verified; else LOW",
        "measured": {
            "gaps_found": len(gaps),
            "disclosed": disclosed,
            "undisclosed": undisclosed,
            "verified_claims": verified,
        },
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


def build_record(inp: Inputs) -> dict[str, Any]:
    summary = inp.summary
    verif = verification(inp)
    gate = gate2(inp.corrections, inp.artifacts)
    rounds = [
        {"round": rnd, **{k: v for k, v in sorted(scores.items())}}
        for rnd, scores in sorted(summary.scores.items())
    ]
    return {
        "contract": RECORD_CONTRACT,
        "id": record_id(inp.question),
        "question_id": inp.question_id,
        "title": title_of(inp.question),
        "question": inp.question,
        "submitted": inp.as_of,
        "review": {
            "score": summary.final_score,
            "max_score": 10.0,
            "verdict": summary.verdict,
            "policy": summary.policy,
            "revision_round": summary.final_round,
            "revision": summary.revision,
            "reasons": summary.reasons,
            "rounds": rounds,
        },
        "retrieval": funnel(inp),
        "verification": verif,
        "gate2": gate,
        "quality_tier": quality_tier(
            summary.final_score, inp.settings, retraction(inp.corrections)
        ),
        "quality_dimensions": dimensions(inp, gate),
        "correction_record": correction_record(inp.corrections, inp.corrections_head),
        "provenance": provenance(inp, verif["level"]),
    }
