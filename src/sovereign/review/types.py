"""The tribunal's vocabulary: its roles, verdicts and severities, its settings, and what it reads
(Evidence), judges (Synthesis) and writes (findings, role reviews, rounds, the outcome).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..answer.model import Answer

TRIBUNAL = "TRIBUNAL"
OVERALL = "OVERALL"  # the overall score, beside the roles' scores
VERDICTS = ("PUBLISH", "REVISE", "REJECT")
SEVERITIES = ("info", "minor", "major", "fatal")

# Gaps that leave the question unanswered: saying so does not make the synthesis any better.
UNFIXABLE_BY_DISCLOSURE = frozenset(
    {"no_claims", "no_relevant_claims", "no_verified_claims", "no_statements", "missing_entities"}
)


@dataclass(frozen=True)
class Finding:
    criterion: str
    severity: str  # info | minor | major | fatal
    finding: str
    evidence: tuple[str, ...] = ()
    points: float = 0.0  # what it costs the role's score (0 for info)


@dataclass(frozen=True)
class RoleReview:
    role: str
    round: int
    score: float
    findings: tuple[Finding, ...]
    reviewer: str = "rules"
    prompt_sha256: str | None = None
    ledger_key: str | None = None

    @property
    def fatal(self) -> bool:
        return any(f.severity == "fatal" for f in self.findings)


@dataclass(frozen=True)
class Evidence:
    """What the reviewers look at: the question and the stage outputs, as rows."""

    question: str
    hits: list[dict[str, Any]]  # raw.parquet
    papers: list[dict[str, Any]]  # filtered.parquet (kept or not)
    claims: list[dict[str, Any]]  # claims.parquet
    answer: Answer | None = None  # answer.parquet (None: judged on the claims alone)
    # sections.parquet's texts by (arxiv_id, section_index); None: the abstracts alone
    texts: dict[tuple[str, int], str] | None = None

    @property
    def kept(self) -> list[dict[str, Any]]:
        return [p for p in self.papers if p["kept"]]

    @cached_property
    def _by_id(self) -> dict[str, dict[str, Any]]:
        return {p["arxiv_id"]: p for p in self.papers}

    def paper(self, arxiv_id: str) -> dict[str, Any] | None:
        return self._by_id.get(arxiv_id)

    def section_text(self, arxiv_id: str, section_index: int) -> str | None:
        """The stored text a claim's span points into: its section, or (without full text)
        the paper's abstract."""
        if self.texts is not None:
            return self.texts.get((arxiv_id, section_index))
        paper = self.paper(arxiv_id)
        return paper["abstract"] if paper is not None and section_index == 0 else None


@dataclass(frozen=True)
class Synthesis:
    """What the tribunal reviews: the claims presented and the gaps disclosed."""

    claims: tuple[dict[str, Any], ...]
    disclosed: frozenset[str] = frozenset()  # criteria disclosed in the uncertainties
    answer: Answer | None = None  # the answer section the report leads with

    def answer_claims(self) -> tuple[dict[str, Any], ...]:
        """What answers the question: the answer's sentences (as claim-like rows) when there is
        an answer, else the claims presented."""
        if self.answer is None:
            return self.claims
        return tuple(
            {
                "claim_id": q.claim_id,
                "arxiv_id": q.arxiv_id,
                "claim": q.text,
                "verified": q.verified,
                "relevant": True,  # an answer quotes relevant claims only
            }
            for q in self.answer.quotes
        )

    def answer_papers(self) -> list[str]:
        """The papers whose verified sentences carry the answer."""
        return sorted({c["arxiv_id"] for c in self.answer_claims() if c["verified"]})


@dataclass(frozen=True)
class Round:
    number: int
    reviews: tuple[RoleReview, ...]
    overall: float
    synthesis: Synthesis

    @property
    def fatal(self) -> bool:
        return any(r.fatal for r in self.reviews)


@dataclass(frozen=True)
class Outcome:
    rounds: tuple[Round, ...]
    revision: tuple[str, ...]  # what the revision changed (empty: no revision round)
    verdict: str
    policy: str
    reasons: tuple[str, ...]  # why the policy (fatal findings, the score band)

    @property
    def final(self) -> Round:
        return self.rounds[-1]


Reviewer = Callable[[str, int, tuple[RoleReview, ...], Synthesis], RoleReview]
