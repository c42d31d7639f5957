"""VALIDATOR: is every statement grounded and every reference real. 10 minus deductions for claims
whose text is not their source span, references outside the kept papers, confidence or verified
flags inconsistent with the evidence, and unverified claims presented as findings.
"""

from __future__ import annotations

from typing import Any

from .scoring import score_from, with_cost
from .settings import Settings
from .types import Evidence, Finding, RoleReview, Synthesis


def validator(ev: Evidence, syn: Synthesis, s: Settings) -> RoleReview:
    claims = list(syn.claims)
    if not claims:
        finding = Finding(
            "no_statements",
            "major",
            "The synthesis states no claim, so none of it can be grounded in a source.",
            (),
            10.0,
        )
        return RoleReview("VALIDATOR", 0, 0.0, (finding,))
    kept = {p["arxiv_id"]: p for p in ev.kept}
    retrieved = {h["arxiv_id"] for h in ev.hits}
    checks = {
        "ungrounded": (4.0, [c for c in claims if not _grounded(c, kept, ev)]),
        "unknown_reference": (3.0, [c for c in claims if not _references_real(c, kept, retrieved)]),
        "inconsistent_confidence": (2.0, [c for c in claims if not _consistent(c, s)]),
        "unverified_presented": (3.0, [c for c in claims if not c["verified"]]),
    }
    texts = {
        "ungrounded": "claims whose text is not the source span they cite",
        "unknown_reference": "claims citing a paper that is not a kept search result",
        "inconsistent_confidence": "claims whose confidence or verified flag contradicts their "
        "evidence",
        "unverified_presented": "claims presented are not verified",
    }
    findings = []
    for criterion, (weight, bad) in checks.items():
        if not bad:
            continue
        share = len(bad) / len(claims)
        findings.append(
            Finding(
                criterion,
                "major" if criterion != "unverified_presented" or share >= 0.5 else "minor",
                f"{len(bad)} of {len(claims)} {texts[criterion]}.",
                tuple(c["claim_id"] for c in bad),
                round(weight * share, 4),
            )
        )
    findings = [with_cost(f, syn, s) for f in findings]
    if not findings:
        findings.append(
            Finding(
                "all_checked",
                "info",
                f"All {len(claims)} claims are their source spans, cite kept papers and carry "
                "confidence consistent with their evidence.",
                tuple(c["claim_id"] for c in claims),
            )
        )
    return RoleReview("VALIDATOR", 0, score_from(sum(f.points for f in findings)), tuple(findings))


def _grounded(claim: dict[str, Any], kept: dict[str, dict[str, Any]], ev: Evidence) -> bool:
    """Checked again here, not trusted: the claim must be its paper's section at its span."""
    if claim["arxiv_id"] not in kept or not claim["grounded"]:
        return False
    text = ev.section_text(claim["arxiv_id"], int(claim.get("section_index") or 0))
    return text is not None and text[claim["char_start"] : claim["char_end"]] == claim["claim"]


def _references_real(claim: dict[str, Any], kept: dict[str, Any], retrieved: set[str]) -> bool:
    cited = [claim["arxiv_id"], claim["support_arxiv_id"], claim["contradict_arxiv_id"]]
    return all(c in kept and c in retrieved for c in cited if c)


def _consistent(claim: dict[str, Any], s: Settings) -> bool:
    label = claim["evidence_label"]
    should_verify = claim["grounded"] and claim["relevant"] and label != "CONTRADICT"
    return (
        0.0 <= claim["confidence"] <= claim["relevance"] + 1e-9
        and claim["verified"] == should_verify
        # relevance is stored rounded to 6 places; `relevant` was decided before rounding
        and (
            claim["relevant"] == (claim["relevance"] >= s.relevance_threshold)
            or abs(claim["relevance"] - s.relevance_threshold) < 1e-6
        )
        and (label != "SUPPORT" or bool(claim["support_arxiv_id"]))
        and (label != "CONTRADICT" or bool(claim["contradict_arxiv_id"]))
    )
