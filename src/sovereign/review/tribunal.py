"""The review stage: three rule-based reviewers, a revision round and a publication policy.

Each reviewer applies an explicit rubric to the measured stage outputs and itemizes findings, each
naming its evidence (claim ids, paper ids, missing terms) and the points it costs:

- SKEPTIC: what is missing or wrong. 10 minus deductions for question entities and terms no kept
  source contains, claims of low relevance, dependence on one paper, and contradictions. No kept
  source at all, or `entity_fatal_share` (half) or more of the question's named entities, or
  `term_fatal_share` (three in five) or more of its terms, absent from every kept source, is
  *fatal*: score 0.
- VALIDATOR: is every statement grounded and every reference real. 10 minus deductions for claims
  whose text is not their source span, references outside the kept papers, confidence or verified
  flags inconsistent with the evidence, and unverified claims presented as findings.
- SYNTHESIZER: is each part of the question answered. 10 x the mean credit of the question's parts;
  a part's credit is the share of its terms the best verified claim (with its paper's title)
  covers, relative to `answer_coverage`, capped at 1, times the share of the part's named
  entities its paper names; an unverified relevant claim earns half. A mean credit below
  `answered_share` with sources kept is fatal: the sources do not answer the question.

Overall = the weighted mean of the three scores (weights in config), rounded to 0.1; a fatal finding
caps it at `fatal_cap`. Below `revise_below` a revision round drops the unverified claims and
discloses every gap found, and the tribunal reviews the revised synthesis as round 1 (skipped after
a fatal finding: no revision can add a source). A disclosed gap costs `disclosed_factor` of its
points: still a gap, no longer hidden (except gaps that leave the question unanswered or its
subjects absent, UNFIXABLE_BY_DISCLOSURE). The final round's overall score gives the verdict
(PUBLISH at `publish_at`, REVISE at `reject_below`, else REJECT) and the policy maps it to an
action; `ESCALATE_TO_OWNER` is the action whenever a person must look.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from ..errors import InputFileError
from ..filter.model import semantic_threshold as fitted_semantic_threshold
from ..text.normalize import fold
from .coverage import (
    QuestionTerms,
    entity_share,
    missing_entities,
    missing_terms,
    part_coverage,
    question_terms,
)

ROLES = ("SKEPTIC", "VALIDATOR", "SYNTHESIZER")
TRIBUNAL = "TRIBUNAL"
VERDICTS = ("PUBLISH", "REVISE", "REJECT")
SEVERITIES = ("info", "minor", "major", "fatal")
# Gaps that leave the question unanswered: saying so does not make the synthesis any better.
UNFIXABLE_BY_DISCLOSURE = frozenset(
    {"no_claims", "no_relevant_claims", "no_verified_claims", "no_statements", "missing_entities"}
)


@dataclass(frozen=True)
class Settings:
    """The review section of the config (defaults are the schema's)."""

    revise_below: float = 6.5
    publish_at: float = 6.5
    reject_below: float = 5.0
    fatal_cap: float = 1.0
    disclosed_factor: float = 0.5
    answer_coverage: float = 0.5
    entity_fatal_share: float = 0.5
    term_fatal_share: float = 0.6
    answered_share: float = 0.25
    relevance_threshold: float = 0.12
    filter_threshold: float = 0.15
    semantic_threshold: float = field(default_factory=lambda: fitted_semantic_threshold(None))
    weights: dict[str, float] = field(
        default_factory=lambda: {"SKEPTIC": 0.35, "VALIDATOR": 0.25, "SYNTHESIZER": 0.4}
    )
    policy: dict[str, str] = field(
        default_factory=lambda: {
            "PUBLISH": "PUBLISH",
            "REVISE": "ESCALATE_TO_OWNER",
            "REJECT": "ESCALATE_TO_OWNER",
            "fatal": "ESCALATE_TO_OWNER",
        }
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

    @property
    def kept(self) -> list[dict[str, Any]]:
        return [p for p in self.papers if p["kept"]]

    @cached_property
    def _by_id(self) -> dict[str, dict[str, Any]]:
        return {p["arxiv_id"]: p for p in self.papers}

    def paper(self, arxiv_id: str) -> dict[str, Any] | None:
        return self._by_id.get(arxiv_id)


@dataclass(frozen=True)
class Synthesis:
    """What the tribunal reviews: the claims presented and the gaps disclosed."""

    claims: tuple[dict[str, Any], ...]
    disclosed: frozenset[str] = frozenset()  # criteria disclosed in the uncertainties


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


def _paper_text(paper: dict[str, Any]) -> str:
    return f"{paper['title']}\n{paper['abstract']}"


def _round1(value: float) -> float:
    """Round half up to 0.1 (Python's round() is half-even, which surprises readers)."""
    return int(value * 10 + 0.5 + 1e-9) / 10


def _score(deductions: float) -> float:
    return round(max(0.0, 10.0 - deductions), 2)


def _cost(finding: Finding, synthesis: Synthesis, settings: Settings) -> Finding:
    """A disclosed gap costs `disclosed_factor` of its points (a fatal one stays fatal)."""
    if (
        finding.criterion in synthesis.disclosed
        and finding.severity in ("minor", "major")
        and finding.criterion not in UNFIXABLE_BY_DISCLOSURE
    ):
        return replace(
            finding,
            finding=finding.finding + " (disclosed)",
            points=round(finding.points * settings.disclosed_factor, 4),
        )
    return finding


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
    texts = [_paper_text(p) for p in pool]
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
    findings = [_cost(f, syn, s) for f in findings]
    fatal = any(f.severity == "fatal" for f in findings)
    score = 0.0 if fatal else _score(sum(f.points for f in findings))
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
    named = entity_share(entities, fold(_paper_text(paper)) if paper else "")
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
            for c in syn.claims
            if c["verified"]
            and any(_part_credit(c, part, ents, ev, s) >= 1.0 for _, part, ents in _parts(terms))
        }
    )


def _by_relevance(claim: dict[str, Any]) -> tuple[float, str]:
    return (-claim["relevance"], claim["claim_id"])


def _source_findings(ev: Evidence, syn: Synthesis, answering: list[str]) -> list[Finding]:
    out = []
    verified = [c for c in syn.claims if c["verified"]]
    papers = answering or sorted({c["arxiv_id"] for c in verified})
    if len(ev.kept) == 1 or len(papers) == 1:
        only = papers[0] if papers else ev.kept[0]["arxiv_id"]
        out.append(
            Finding(
                "single_source",
                "major",
                f"The synthesis depends on one paper ({only}): "
                + (
                    "every verified claim that answers the question comes from it."
                    if answering
                    else (
                        f"all {len(verified)} verified claims come from it."
                        if papers
                        else "it is the only kept source."
                    )
                ),
                (only,),
                2.0,
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
        "ungrounded": (4.0, [c for c in claims if not _grounded(c, kept)]),
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
    findings = [_cost(f, syn, s) for f in findings]
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
    return RoleReview("VALIDATOR", 0, _score(sum(f.points for f in findings)), tuple(findings))


def _grounded(claim: dict[str, Any], kept: dict[str, dict[str, Any]]) -> bool:
    """Checked again here, not trusted: the claim must be its paper's abstract at its span."""
    paper = kept.get(claim["arxiv_id"])
    if paper is None or not claim["grounded"]:
        return False
    return paper["abstract"][claim["char_start"] : claim["char_end"]] == claim["claim"]


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


def synthesizer(ev: Evidence, terms: QuestionTerms, syn: Synthesis, s: Settings) -> RoleReview:
    findings = []
    credits = []
    parts = _parts(terms)
    for text, part_terms, entities in parts:
        candidates = []
        for claim in syn.claims:
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
    score = round(10.0 * answered, 2)
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


def _shorten(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def overall_score(reviews: tuple[RoleReview, ...], s: Settings) -> float:
    total = sum(s.weights[r.role] for r in reviews)
    value = sum(s.weights[r.role] * r.score for r in reviews) / total
    if any(r.fatal for r in reviews):
        value = min(value, s.fatal_cap)
    return _round1(value)


Reviewer = Callable[[str, int, tuple[RoleReview, ...], Synthesis], RoleReview]


def review_round(
    number: int,
    ev: Evidence,
    terms: QuestionTerms,
    syn: Synthesis,
    s: Settings,
    extra: Reviewer | None = None,
) -> Round:
    reviews = (skeptic(ev, terms, syn, s), validator(ev, syn, s), synthesizer(ev, terms, syn, s))
    reviews = tuple(replace(r, round=number) for r in reviews)
    if extra is not None:  # e.g. an LLM reviewer, which sees the rule-based findings
        reviews = tuple(extra(r.role, number, reviews, syn) for r in reviews)
    return Round(number, reviews, overall_score(reviews, s), syn)


def revise(first: Round) -> tuple[Synthesis, tuple[str, ...]]:
    """The revision: drop unverified claims, disclose every gap the reviewers found."""
    syn = first.synthesis
    dropped = [c["claim_id"] for c in syn.claims if not c["verified"]]
    gaps = sorted(
        {
            f.criterion
            for r in first.reviews
            for f in r.findings
            if f.severity in ("minor", "major") and f.criterion != "unverified_presented"
        }
    )
    changes = []
    if dropped:
        changes.append(f"dropped {len(dropped)} unverified claims: {', '.join(dropped)}")
    if gaps:
        changes.append(f"disclosed in the uncertainties: {', '.join(gaps)}")
    if not changes:
        changes.append("nothing to drop or disclose; reviewed again unchanged")
    kept = tuple(c for c in syn.claims if c["verified"])
    return Synthesis(kept, frozenset(gaps) | syn.disclosed), tuple(changes)


def run_tribunal(ev: Evidence, s: Settings, extra: Reviewer | None = None) -> Outcome:
    terms = question_terms(ev.question)
    start = Synthesis(tuple(sorted(ev.claims, key=lambda c: c["claim_id"])))
    rounds = [review_round(0, ev, terms, start, s, extra)]
    revision: tuple[str, ...] = ()
    if rounds[0].overall < s.revise_below and not rounds[0].fatal:
        revised, revision = revise(rounds[0])
        rounds.append(review_round(1, ev, terms, revised, s, extra))
    final = rounds[-1]
    if final.overall >= s.publish_at:
        verdict = "PUBLISH"
    elif final.overall >= s.reject_below:
        verdict = "REVISE"
    else:
        verdict = "REJECT"
    reasons = [f"final score {final.overall:.1f}/10 gives {verdict}"]
    fatal = [f for r in final.reviews for f in r.findings if f.severity == "fatal"]
    reasons += [f"fatal ({f.criterion}): {f.finding}" for f in fatal]
    policy = s.policy["fatal"] if fatal else s.policy[verdict]
    return Outcome(tuple(rounds), revision, verdict, policy, tuple(reasons))


def outcome_rows(question_id: str, outcome: Outcome) -> list[dict[str, Any]]:
    """reviews.parquet rows: every finding, each role's score, and the tribunal's decisions."""
    rows: list[dict[str, Any]] = []

    def add(number, role, seq, criterion, severity, finding, evidence=(), points=0.0, r=None):
        rows.append(
            {
                "question_id": question_id,
                "round": number,
                "role": role,
                "seq": seq,
                "reviewer": r.reviewer if r else "rules",
                "criterion": criterion,
                "severity": severity,
                "finding": finding,
                "evidence": list(evidence),
                "points": float(points),
                "prompt_sha256": r.prompt_sha256 if r else None,
                "ledger_key": r.ledger_key if r else None,
            }
        )

    for rnd in outcome.rounds:
        for r in rnd.reviews:
            add(rnd.number, r.role, 0, "score", "info", f"{r.role} score", (), r.score, r)
            for seq, f in enumerate(r.findings, start=1):
                add(
                    rnd.number,
                    r.role,
                    seq,
                    f.criterion,
                    f.severity,
                    f.finding,
                    f.evidence,
                    f.points,
                    r,
                )
        add(rnd.number, TRIBUNAL, 0, "overall", "info", OVERALL_RULE, (), rnd.overall)
        if rnd.number == 0 and outcome.revision:
            dropped = [c["claim_id"] for c in rnd.synthesis.claims if not c["verified"]]
            add(0, TRIBUNAL, 1, "revision", "info", "; ".join(outcome.revision), dropped)
    last = outcome.final.number
    add(last, TRIBUNAL, 2, "verdict", "info", outcome.verdict, (), outcome.final.overall)
    add(last, TRIBUNAL, 3, "policy", "info", outcome.policy, outcome.reasons)
    return rows


OVERALL_RULE = (
    "weighted mean of the role scores (weights in config review.weights), rounded half up to "
    "0.1; capped at review.fatal_cap after a fatal finding"
)


@dataclass(frozen=True)
class Summary:
    """The tribunal's outcome as read back from reviews.parquet (for the report and record)."""

    scores: dict[int, dict[str, float]]  # round -> role (and OVERALL) -> score
    findings: dict[int, list[dict[str, Any]]]  # round -> finding rows (seq > 0, not TRIBUNAL)
    revision: str | None
    dropped: list[str]
    verdict: str
    policy: str
    reasons: list[str]
    final_round: int
    final_score: float
    reviewers: list[str]

    @property
    def fatal(self) -> list[dict[str, Any]]:
        return [f for f in self.findings[self.final_round] if f["severity"] == "fatal"]


def summary_from_rows(rows: list[dict[str, Any]], where: str = "reviews.parquet") -> Summary:
    """The tribunal's outcome from its rows; rows that lack a score, verdict or policy are
    refused (InputFileError naming the file), never half-read."""
    summary = _summary(rows)
    problem = None
    if not summary.verdict or not summary.policy:
        problem = "it has no verdict or policy row"
    else:
        for rnd, scores in sorted(summary.scores.items()):
            lacking = [r for r in (*ROLES, "OVERALL") if r not in scores]
            if lacking:
                problem = f"round {rnd} has no score for {', '.join(lacking)}"
                break
    if problem:
        raise InputFileError(
            where,
            f"not a complete tribunal review: {problem}",
            "delete it and run again (the review stage writes it whole)",
        )
    return summary


def _summary(rows: list[dict[str, Any]]) -> Summary:
    scores: dict[int, dict[str, float]] = {}
    findings: dict[int, list[dict[str, Any]]] = {}
    revision, dropped, verdict, policy, reasons = None, [], "", "", []
    final_round, final_score = 0, 0.0
    for row in rows:
        rnd = row["round"]
        scores.setdefault(rnd, {})
        findings.setdefault(rnd, [])
        if row["role"] == TRIBUNAL:
            if row["criterion"] == "overall":
                scores[rnd]["OVERALL"] = row["points"]
            elif row["criterion"] == "revision":
                revision, dropped = row["finding"], list(row["evidence"])
            elif row["criterion"] == "verdict":
                verdict, final_round, final_score = row["finding"], rnd, row["points"]
            elif row["criterion"] == "policy":
                policy, reasons = row["finding"], list(row["evidence"])
        elif row["seq"] == 0:
            scores[rnd][row["role"]] = row["points"]
        else:
            findings[rnd].append(row)
    reviewers = sorted({r["reviewer"] for r in rows if r["role"] != TRIBUNAL})
    return Summary(
        scores,
        findings,
        revision,
        dropped,
        verdict,
        policy,
        reasons,
        final_round,
        final_score,
        reviewers,
    )
