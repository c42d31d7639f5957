"""The record's quality: its tier (reviewed, provisional, quarantine candidate, retracted), the four
quality dimensions with their rules and measured figures, and how openly the report discloses
the tribunal's gaps.
"""

from __future__ import annotations

from typing import Any

from ..contracts import HIGH, LOW, MEDIUM, PROVISIONAL, QUARANTINE, RETRACTED, REVIEWED
from ..review.rows import Summary
from .inputs import Inputs


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
    """How report.md names a gap in its Uncertainties section (report.markdown writes the same)."""
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
