"""The review stage's glue: config to tribunal settings, the optional LLM reviewer, the rows.

The rule-based tribunal (sovereign.review.tribunal) always runs. With `review.llm.url` set, an LLM
reviewer behind an OpenAI-compatible endpoint reads each role's brief (the question, the sources,
the claims presented and the rule-based findings) and answers with a score and findings; the
role's score becomes `(1 - weight) * rules + weight * llm`. Its prompts are fixed and hashed, and
its answers go to the ledger, so a rerun or a Gate 2 replay asks nothing again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ..net.chat import ChatClient
from ..net.http import RetryPolicy
from ..net.ledger import Ledger
from .llm_review import review as llm_review
from .types import Evidence, Finding, Reviewer, RoleReview, Synthesis


def llm_client(config: dict[str, Any], log: Callable[[str], None]) -> ChatClient:
    """The chat client of the config's `review.llm` section (its answers in the ledger)."""
    llm = config["review"]["llm"]
    return ChatClient(
        base_url=llm["url"],
        model=llm["model"],
        ledger=Ledger(config["ledger"]),
        policy=RetryPolicy.from_config(config, "review.llm"),
        offline=bool(llm["offline"]),
        api_key_env=llm["api_key_env"],
        max_tokens=int(llm["max_tokens"]),
        log=log,
    )


def brief(ev: Evidence, syn: Synthesis, rules: RoleReview) -> str:
    """What an LLM reviewer reads: deterministic text, so its prompt hash is stable."""
    lines = [f"Research question: {ev.question}", "", "Kept sources:"]
    lines += [f"- {p['arxiv_id']}: {p['title']}" for p in ev.kept] or ["- (none)"]
    lines += ["", "Claims presented (id | verified | confidence | text):"]
    lines += [
        f"- {c['claim_id']} | {'yes' if c['verified'] else 'no'} | {c['confidence']:.3f} | "
        f"{c['claim']}"
        for c in syn.claims
    ] or ["- (none)"]
    if syn.answer is not None:  # the answer the report leads with: what the reader gets
        lines += ["", "Answer (themes; quoted sentences, then papers cited only):"]
        for theme in syn.answer.themes:
            lines.append(f"- theme {theme.rank + 1}: {theme.label}")
            lines += [
                f"  - {q.claim_id} | {'quoted' if q.shown else 'cited'} | "
                f"{'verified' if q.verified else 'unverified'} | {q.label} | {q.text}"
                for q in theme.quotes
            ]
        if not syn.answer.themes:
            lines.append("- (no relevant sentence: the sources do not answer the question)")
    lines += ["", f"Rule-based {rules.role} findings (score {rules.score:.2f}/10):"]
    lines += [
        f"- [{f.severity}] {f.criterion}: {f.finding} evidence: {', '.join(f.evidence) or '-'}"
        for f in rules.findings
    ] or ["- (none)"]
    return "\n".join(lines) + "\n"


def llm_reviewer(client: ChatClient, ev: Evidence, weight: float) -> Reviewer:
    """A tribunal `extra` reviewer: blends the LLM's score into each rule-based role review."""

    def extra(role: str, number: int, reviews: tuple[RoleReview, ...], syn: Synthesis):
        rules = next(r for r in reviews if r.role == role)
        answer = llm_review(client, role, brief(ev, syn, rules))
        findings = tuple(
            Finding("llm", "info", text, tuple(evidence)) for text, evidence in answer.findings
        )
        # A fatal finding is a fact about the sources: no reviewer's opinion lifts it.
        score = (
            rules.score
            if rules.fatal
            else round((1 - weight) * rules.score + weight * answer.score, 2)
        )
        return replace(
            rules,
            score=score,
            findings=rules.findings + findings,
            reviewer=f"rules+llm:{client.model}",
            prompt_sha256=answer.prompt_sha256,
            ledger_key=answer.ledger_key,
        )

    return extra
