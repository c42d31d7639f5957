"""Which sentences an answer may quote: the claims that are relevant to the question and grounded
in their paper's text, as `Quote`s with their spans (a quote is always its span's exact text)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..text.normalize import stems
from ..text.question import asked_words

# What a paper found outranks what it sets out or restates, at equal relevance and a little below.
FINDING_KINDS = frozenset({"comparison", "measurement", "finding"})
FINDING_BONUS = 0.15
# A sentence in the question's own words is what a reader checks first: up to this much more
# (all the question's content words present), so "The model is open for the community" does not
# lead a theme because the relevance model leaned on its paper.
ON_QUESTION_BONUS = 0.3


@dataclass(frozen=True)
class Quote:
    claim_id: str
    arxiv_id: str
    sentence_index: int
    char_start: int  # span into its section's stored text (sections.parquet)
    char_end: int
    text: str
    relevance: float
    verified: bool
    label: str  # the verifier's SUPPORT | CONTRADICT | NEUTRAL for the claim's best evidence
    kind: str = "statement"  # the claim's kind: comparison | measurement | finding | statement
    related_arxiv_id: str | None = None  # the kept paper that supports or contradicts it
    related_text: str | None = None  # that paper's sentence
    shown: bool = True  # quoted in full; False: cited only (the paper's strongest sentence)
    section_index: int = 0  # 0: the abstract
    section_path: str = "Abstract"

    @property
    def strength(self) -> tuple:
        """Sort key, strongest first: verified, then relevance, a reported result (comparison,
        measurement, finding) counting FINDING_BONUS more than a statement, then the id."""
        bonus = FINDING_BONUS if self.kind in FINDING_KINDS else 0.0
        return (not self.verified, -round(self.relevance + bonus, 9), self.claim_id)


def ranking(question: str) -> Callable[[Quote], tuple]:
    """The sort key a question gives its quotes, strongest first: verified, then relevance plus
    FINDING_BONUS for a reported result plus ON_QUESTION_BONUS x the share of the question's
    content words (stemmed) the sentence holds, then the claim id (stable)."""
    asked = asked_words(question)

    def key(q: Quote) -> tuple:
        words = stems(q.text)
        share = len(asked & words) / len(asked) if asked else 0.0
        bonus = FINDING_BONUS if q.kind in FINDING_KINDS else 0.0
        return (
            not q.verified,
            -round(q.relevance + bonus + ON_QUESTION_BONUS * share, 9),
            q.claim_id,
        )

    return key


def quote_from_claim(claim: dict[str, Any]) -> Quote:
    label = claim["evidence_label"]
    related = {
        "SUPPORT": (claim.get("support_arxiv_id"), claim.get("support_text")),
        "CONTRADICT": (claim.get("contradict_arxiv_id"), claim.get("contradict_text")),
    }.get(label, (None, None))
    return Quote(
        claim_id=claim["claim_id"],
        arxiv_id=claim["arxiv_id"],
        sentence_index=int(claim.get("sentence_index", claim["claim_id"].rpartition("#")[2])),
        char_start=int(claim["char_start"]),
        char_end=int(claim["char_end"]),
        text=claim["claim"],
        relevance=float(claim["relevance"]),
        verified=bool(claim["verified"]),
        label=label,
        kind=claim.get("claim_kind", "statement"),
        section_index=int(claim.get("section_index") or 0),
        section_path=claim.get("section_path") or "Abstract",
        related_arxiv_id=related[0],
        related_text=related[1],
    )


def answer_quotes(
    claims: list[dict[str, Any]],
    papers: list[dict[str, Any]],
    texts: dict[tuple[str, int], str] | None = None,
) -> list[Quote]:
    """The claims an answer may quote, in text order: relevant, and grounded (checked again: the
    kept paper's section at the span is the claim's text; `texts` are the sections by (arXiv id,
    section index), by default the abstracts alone). A contradicted claim stays: the answer says
    it is contradicted, and by whom."""
    kept = {p["arxiv_id"] for p in papers if p["kept"]}
    texts = texts if texts is not None else abstract_texts(papers)
    out = []
    order = sorted(
        claims, key=lambda c: (c["arxiv_id"], c.get("sentence_index", 0), c["char_start"])
    )
    for claim in order:
        text = texts.get((claim["arxiv_id"], int(claim.get("section_index") or 0)))
        if not (claim["relevant"] and claim["grounded"]) or claim["arxiv_id"] not in kept:
            continue
        if text is None or text[claim["char_start"] : claim["char_end"]] != claim["claim"]:
            continue
        out.append(quote_from_claim(claim))
    return out


def abstract_texts(papers: list[dict[str, Any]]) -> dict[tuple[str, int], str]:
    """Each kept paper's abstract as its only section (no full text)."""
    return {(p["arxiv_id"], 0): p["abstract"] for p in papers if p["kept"]}
