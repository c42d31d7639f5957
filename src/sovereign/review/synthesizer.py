"""SYNTHESIZER: does the answer answer each part of the question, and from how many papers.

Parts: a part's credit is the share of its terms the best verified sentence of the answer (with
its paper's title) covers, relative to `answer_coverage`, capped at 1, times the share of the
part's named entities its paper names; an unverified relevant sentence earns half. (Without an
answer section, the claims presented are judged the same way.) A mean credit below
`answered_share` with sources kept is fatal: the sources do not answer the question.

Breadth: the independent papers whose verified sentences carry the answer, over
`breadth_papers`, capped at 1. Score = 10 x ((1 - `breadth_weight`) x parts + `breadth_weight`
x breadth): an answer drawn from one or two papers is thinner than one drawn from ten, however
well each part is matched.
"""

from __future__ import annotations

from typing import Any

from ..text.normalize import fold
from .coverage import (
    QuestionTerms,
    entity_share,
    part_coverage,
)
from .scoring import paper_text
from .settings import Settings
from .types import Evidence, Finding, RoleReview, Synthesis


def _part_credit(
    claim: dict[str, Any],
    part: tuple[str, ...],
    entities: tuple[str, ...],
    ev: Evidence,
    s: Settings,
) -> float:
    """How far one claim answers one question part: its term coverage (claim and its paper's
    title) relative to `answer_coverage`, capped at 1, times the share of the part's entities its
    paper names; half for a relevant but unverified claim, nothing for an irrelevant one."""
    if not (claim["verified"] or claim["relevant"]):
        return 0.0
    paper = ev.paper(claim["arxiv_id"])
    title = paper["title"] if paper else ""
    cover = part_coverage(part, f"{title}\n{claim['claim']}")
    named = entity_share(entities, fold(paper_text(paper)) if paper else "")
    return min(1.0, cover / s.answer_coverage) * named * (1.0 if claim["verified"] else 0.5)


def _parts(terms: QuestionTerms) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """(text, terms, entities) of each question part."""
    entities = terms.part_entities or tuple(() for _ in terms.parts)
    return [(text, part, ents) for (text, part), ents in zip(terms.parts, entities, strict=True)]


def answering_papers(ev: Evidence, terms: QuestionTerms, syn: Synthesis, s: Settings) -> list[str]:
    """Papers with a verified claim that fully answers some part of the question on its own."""
    return sorted(
        {
            c["arxiv_id"]
            for c in syn.answer_claims()
            if c["verified"]
            and any(_part_credit(c, part, ents, ev, s) >= 1.0 for _, part, ents in _parts(terms))
        }
    )


def synthesizer(ev: Evidence, terms: QuestionTerms, syn: Synthesis, s: Settings) -> RoleReview:
    findings = []
    credits = []
    parts = _parts(terms)
    for text, part_terms, entities in parts:
        candidates = []
        for claim in syn.answer_claims():
            credit = _part_credit(claim, part_terms, entities, ev, s)
            if claim["verified"] or claim["relevant"]:
                candidates.append((-credit, not claim["verified"], claim["claim_id"]))
        best = None
        if candidates:
            top = min(candidates)  # highest credit, verified first, then claim id: stable
            best = (-top[0], top[2], not top[1])
        credit = best[0] if best else 0.0
        credits.append(credit)
        points = round(10.0 * (1.0 - credit) / len(parts), 4)
        quoted = _shorten(text)
        if best and credit >= 1.0:
            findings.append(
                Finding(
                    "part_answered",
                    "info",
                    f"Answered by a verified claim: {quoted!r}.",
                    (best[1],),
                )
            )
        elif best and credit > 0:
            how = "verified" if best[2] else "relevant but unverified"
            findings.append(
                Finding(
                    "part_partial",
                    "minor" if credit >= 0.5 else "major",
                    f"Only partly answered (credit {credit:.2f}, best a {how} claim): {quoted!r}.",
                    (best[1],),
                    points,
                )
            )
        else:
            findings.append(
                Finding(
                    "part_unanswered",
                    "major",
                    f"No verified or relevant claim answers: {quoted!r}.",
                    part_terms,
                    points,
                )
            )
    answered = sum(credits) / len(credits) if credits else 0.0
    breadth, finding = _breadth(syn, s)
    if s.breadth_weight > 0:  # weight 0: breadth is not judged (nor reported)
        findings.append(finding)
    w = s.breadth_weight
    score = round(10.0 * ((1 - w) * answered + w * breadth), 2)
    if ev.kept and answered < s.answered_share:
        # Sources were kept, but what they say answers too little of the question for the
        # synthesis to count as an answer: grounding and topicality cannot make up for that.
        findings.append(
            Finding(
                "question_unanswered",
                "fatal",
                f"The synthesis answers {answered:.0%} of the question (mean credit of its "
                f"{len(credits)} {'part' if len(credits) == 1 else 'parts'}), below "
                f"{s.answered_share:.0%}: the kept sources do not answer it.",
                tuple(p[0] for p in parts),
                10.0,
            )
        )
    return RoleReview("SYNTHESIZER", 0, score, tuple(findings))


def _breadth(syn: Synthesis, s: Settings) -> tuple[float, Finding]:
    """The breadth credit and its finding: how many papers (and themes) carry the answer."""
    papers = syn.answer_papers()
    credit = min(1.0, len(papers) / s.breadth_papers)
    themes = len(syn.answer.themes) if syn.answer is not None else 0
    where = f" in {themes} {'theme' if themes == 1 else 'themes'}" if themes else ""
    text = (
        f"{len(papers)} independent {'paper carries' if len(papers) == 1 else 'papers carry'} "
        f"the answer with verified sentences{where} (full breadth at {s.breadth_papers})."
    )
    points = round(10.0 * s.breadth_weight * (1.0 - credit), 4)
    if credit >= 1.0:
        return credit, Finding("breadth", "info", text, tuple(papers))
    severity = "minor" if credit >= 0.5 else "major"
    return credit, Finding("thin_answer", severity, text, tuple(papers), points)


def _shorten(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
