"""SKEPTIC: what is missing or wrong. 10 minus deductions for question entities and terms no kept
source contains, claims of low relevance, dependence on one paper, and contradictions. No kept
source at all, or `entity_fatal_share` (half) or more of the question's named entities, or
`term_fatal_share` (three in five) or more of its terms, absent from every kept source, is
*fatal*: score 0.
"""

from __future__ import annotations

from typing import Any

from .coverage import (
    QuestionTerms,
    missing_entities,
    missing_terms,
)
from .scoring import paper_text, score_from, with_cost
from .settings import Settings
from .synthesizer import answering_papers
from .types import Evidence, Finding, RoleReview, Synthesis


def skeptic(ev: Evidence, terms: QuestionTerms, syn: Synthesis, s: Settings) -> RoleReview:
    kept = ev.kept
    findings: list[Finding] = []
    if not kept:
        best = sorted(ev.papers, key=lambda p: (-p["semantic_score"], p["arxiv_id"]))[:3]
        top = best[0]["semantic_score"] if best else 0.0
        tops = max((p["tfidf_score"] for p in ev.papers), default=0.0)
        findings.append(
            Finding(
                "no_sources",
                "fatal",
                f"No source addresses the question: none of the {len(ev.papers)} retrieved "
                f"papers reaches the TF-IDF threshold {s.filter_threshold:g} (best "
                f"{tops:.3f}) or the semantic threshold {s.semantic_threshold:g} (best "
                f"{top:.3f}).",
                tuple(p["arxiv_id"] for p in best),
                10.0,
            )
        )
    pool = kept or ev.papers  # with no kept source, say what the whole search lacked
    where = "kept source" if kept else "retrieved paper"
    texts = [paper_text(p) for p in pool]
    gone = missing_entities(terms.entities, texts)
    if gone:
        share = len(gone) / len(terms.entities)
        # Half or more of the named subjects absent from every kept source: the sources are
        # about something else (the seeds' failure), whatever else they match.
        fatal = bool(kept) and share >= s.entity_fatal_share
        findings.append(
            Finding(
                "missing_entities",
                "fatal" if fatal else ("major" if share >= 0.5 else "minor"),
                f"{len(gone)} of the question's {len(terms.entities)} named entities appear in "
                f"no {where}: {', '.join(gone)}."
                + (" The sources do not address the question's subject." if fatal else ""),
                tuple(gone),
                10.0 if fatal else round(4.0 * share, 4),
            )
        )
    lacking = missing_terms(terms.terms, texts)
    if lacking:
        share = len(lacking) / len(terms.terms)
        # Most of what the question asks about is in no kept source: they are about something
        # else, however near in meaning the filter found them.
        fatal = bool(kept) and share >= s.term_fatal_share
        findings.append(
            Finding(
                "missing_terms",
                "fatal" if fatal else ("major" if share >= 0.3 else "minor"),
                f"{len(lacking)} of the question's {len(terms.terms)} terms appear in no "
                f"{where}: {', '.join(lacking)}."
                + (" The sources do not address what the question asks." if fatal else ""),
                tuple(lacking),
                10.0 if fatal else round(3.0 * share, 4),
            )
        )
    if kept:
        findings.extend(_relevance_findings(ev, syn, s))
        findings.extend(_source_findings(ev, syn, answering_papers(ev, terms, syn, s)))
    findings = [with_cost(f, syn, s) for f in findings]
    fatal = any(f.severity == "fatal" for f in findings)
    score = 0.0 if fatal else score_from(sum(f.points for f in findings))
    return RoleReview("SKEPTIC", 0, score, tuple(findings))


def _relevance_findings(ev: Evidence, syn: Synthesis, s: Settings) -> list[Finding]:
    claims = list(syn.claims)
    if not ev.claims:
        return [
            Finding(
                "no_claims",
                "major",
                f"The {len(ev.kept)} kept papers yield no checkable claim (no comparison, "
                "measured result, reported finding or relevant statement in their abstracts).",
                tuple(p["arxiv_id"] for p in ev.kept),
                3.0,
            )
        ]
    if not claims and any(c["relevant"] for c in ev.claims):
        dropped = sorted(c["claim_id"] for c in ev.claims if c["relevant"])
        return [
            Finding(
                "no_verified_claims",
                "major",
                f"The relevant claims ({len(dropped)}) are all unverified, so the revised "
                "synthesis presents none of them.",
                tuple(dropped),
                3.0,
            )
        ]
    relevant = [c for c in claims if c["relevant"]]
    if not relevant:
        top = max((c["relevance"] for c in ev.claims), default=0.0)
        return [
            Finding(
                "no_relevant_claims",
                "major",
                f"No claim is relevant to the question: the highest P(relevant) is {top:.3f}, "
                f"below {s.relevance_threshold:g}.",
                tuple(c["claim_id"] for c in sorted(ev.claims, key=_by_relevance)[:3]),
                3.0,
            )
        ]
    weak = [c for c in claims if not c["relevant"]]
    if weak:
        return [
            Finding(
                "low_relevance",
                "minor",
                f"{len(weak)} of {len(claims)} claims fall below the relevance threshold "
                f"{s.relevance_threshold:g}.",
                tuple(c["claim_id"] for c in weak),
                round(1.5 * len(weak) / len(claims), 4),
            )
        ]
    return []


def _by_relevance(claim: dict[str, Any]) -> tuple[float, str]:
    return (-claim["relevance"], claim["claim_id"])


def _source_findings(ev: Evidence, syn: Synthesis, answering: list[str]) -> list[Finding]:
    """One-source dependence (the answer's verified sentences all from one paper, or one kept
    paper at all: capped below publication, see scoring) and contradictions."""
    out = []
    verified = [c for c in syn.answer_claims() if c["verified"]]
    papers = sorted({c["arxiv_id"] for c in verified})
    if len(ev.kept) == 1 or len(papers) == 1:
        only = papers[0] if papers else ev.kept[0]["arxiv_id"]
        out.append(
            Finding(
                "single_source",
                "major",
                f"The synthesis depends on one paper ({only}): "
                + (
                    f"all {len(verified)} verified sentences of the answer come from it."
                    if papers
                    else "it is the only kept source."
                ),
                (only,),
                2.0,
            )
        )
    elif answering and len(answering) == 1:
        out.append(
            Finding(
                "one_paper_answers",
                "minor",
                f"Only one paper ({answering[0]}) answers a part of the question fully on its "
                f"own; the other {len(papers) - 1} add to it.",
                tuple(answering),
                1.0,
            )
        )
    contradicted = sorted(
        (c for c in ev.claims if c["evidence_label"] == "CONTRADICT"), key=lambda c: c["claim_id"]
    )
    if contradicted:
        against = sorted(
            {c["contradict_arxiv_id"] for c in contradicted if c["contradict_arxiv_id"]}
        )
        out.append(
            Finding(
                "contradictions",
                "major" if len(contradicted) > 1 else "minor",
                f"{len(contradicted)} claims are contradicted by another kept paper "
                f"({', '.join(against)}).",
                tuple(c["claim_id"] for c in contradicted) + tuple(against),
                round(min(2.0, 0.5 * len(contradicted)), 4),
            )
        )
    return out
