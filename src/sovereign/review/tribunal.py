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
action; `ESCALATE_TO_OWNER` is the action whenever a person must look."""

from __future__ import annotations

from dataclasses import replace

from .coverage import (
    QuestionTerms,
    question_terms,
)
from .scoring import overall_score
from .settings import Settings
from .skeptic import skeptic
from .synthesizer import synthesizer
from .types import Evidence, Outcome, Reviewer, Round, Synthesis
from .validator import validator


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
    answer = syn.answer.without_unverified() if syn.answer is not None else None
    return Synthesis(kept, frozenset(gaps) | syn.disclosed, answer), tuple(changes)


def run_tribunal(ev: Evidence, s: Settings, extra: Reviewer | None = None) -> Outcome:
    terms = question_terms(ev.question)
    start = Synthesis(tuple(sorted(ev.claims, key=lambda c: c["claim_id"])), answer=ev.answer)
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
