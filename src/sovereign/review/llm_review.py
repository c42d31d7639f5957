"""The tribunal's optional LLM reviewers: fixed prompts per role, one JSON verdict each.

The prompts are module constants and the brief is built deterministically by the caller, so a
prompt's sha256 (and so its ledger entry) is the same on every run. The model's answer must be
{"score": 0-10, "findings": [{"finding": str, "evidence": [str, ...]}]}; prose or a ```json
fence around it is tolerated, anything else about its shape is not.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import NetworkError
from ..io import canonical_json
from ..net.chat import LLM_SERVICE, ChatClient, find_json_object, prompt_sha256

PROMPT_VERSION = "tribunal-llm-v1"

SKEPTIC = "SKEPTIC"
VALIDATOR = "VALIDATOR"
SYNTHESIZER = "SYNTHESIZER"

_ANSWER_FORMAT = """\
Judge only from the brief; do not use outside knowledge. Answer with one JSON object and \
nothing else, in this form:
{"score": <number from 0 to 10>, "findings": [{"finding": "<one sentence>", \
"evidence": ["<paper id, claim id or quoted span from the brief>", ...]}]}
10 means no problem found; 0 means the answer cannot be trusted. List every problem as its own \
finding with the brief's text that shows it; use an empty findings list if there is none."""

SKEPTIC_PROMPT = f"""\
You are the SKEPTIC of a literature-review tribunal. You are given a research question, the \
papers kept for it, the claims extracted from them, and the findings of deterministic checks. \
Find what is missing or wrong:
- terms of the question and named entities (methods, datasets, models, people) that no kept \
source contains;
- papers or claims of low relevance to the question;
- conclusions that depend on a single paper;
- claims or papers that contradict each other.

{_ANSWER_FORMAT}"""

VALIDATOR_PROMPT = f"""\
You are the VALIDATOR of a literature-review tribunal. You are given a research question, the \
papers kept for it, the claims extracted from them with their source spans, and the findings of \
deterministic checks. Check that:
- every statement is grounded in its source span (the span says it, not something weaker or \
different);
- every reference points to a kept paper;
- each stated confidence is consistent with the evidence behind it.

{_ANSWER_FORMAT}"""

SYNTHESIZER_PROMPT = f"""\
You are the SYNTHESIZER of a literature-review tribunal. You are given a research question, the \
papers kept for it, the verified claims extracted from them, and the findings of deterministic \
checks. Split the question into its parts and decide, for each part, whether it is answered by \
verified claims. A part answered only by unverified claims, or not at all, is a finding.

{_ANSWER_FORMAT}"""

SYSTEM_PROMPTS: dict[str, str] = {
    SKEPTIC: SKEPTIC_PROMPT,
    VALIDATOR: VALIDATOR_PROMPT,
    SYNTHESIZER: SYNTHESIZER_PROMPT,
}

FORMAT_FIX = (
    'the model must answer with JSON {"score": 0-10, "findings": [{"finding": str, '
    '"evidence": [str, ...]}]}; use a model that follows instructions'
)


@dataclass(frozen=True)
class LlmReview:
    score: float
    findings: list[tuple[str, list[str]]]


@dataclass(frozen=True)
class RoleReview:
    role: str
    score: float
    findings: list[tuple[str, list[str]]]
    prompt_sha256: str
    ledger_key: str


def messages_for(role: str, brief: str) -> list[dict[str, str]]:
    """The chat for one role: its fixed system prompt, then the caller's brief."""
    if role not in SYSTEM_PROMPTS:
        raise ValueError(f"unknown tribunal role {role!r}; expected one of {list(SYSTEM_PROMPTS)}")
    if not isinstance(brief, str) or not brief.strip():
        raise ValueError("the brief must be non-empty text")
    return [
        {"role": "system", "content": SYSTEM_PROMPTS[role]},
        {"role": "user", "content": brief},
    ]


def parse_review(text: str, where: str, *, fix: str = FORMAT_FIX) -> LlmReview:
    """The verdict in a model's answer, or NetworkError(where, problem, fix) saying what is off."""

    def bad(problem: str) -> NetworkError:
        return NetworkError(where, problem, fix)

    data = find_json_object(text, "score")
    if data is None:
        start = " ".join(text[:120].split())
        raise bad(f"the answer holds no JSON object with a score: {start!r}")
    score = data["score"]
    if not _is_number(score):
        raise bad(f"the score is {score!r}, not a number from 0 to 10")
    if not 0 <= score <= 10:
        raise bad(f"the score {score!r} is outside 0..10")
    findings = data.get("findings")
    if not isinstance(findings, list):
        raise bad(f"findings is {type(findings).__name__}, not a list")
    return LlmReview(float(score), [_finding(item, i, bad) for i, item in enumerate(findings)])


def review(client: ChatClient, role: str, brief: str) -> RoleReview:
    """One role's verdict on the brief, asked once and replayed from the ledger after that."""
    messages = messages_for(role, brief)
    where = f"{LLM_SERVICE} {role} ({client.model}, prompt {prompt_sha256(messages)[:12]})"
    # A fresh answer is parsed before it is recorded: a bad one is refused, never replayed.
    fresh_fix = f"{FORMAT_FIX}; nothing was recorded, so the next run asks again"
    completion = client.complete(
        messages, accept=lambda text: parse_review(text, where, fix=fresh_fix)
    )
    path = client.ledger.path(LLM_SERVICE, completion.ledger_key)
    # Only a replayed answer can fail here (recorded by an older version, or edited by hand).
    verdict = parse_review(
        completion.text, where, fix=f"{FORMAT_FIX}, then delete {path} to ask again"
    )
    return RoleReview(
        role=role,
        score=verdict.score,
        findings=verdict.findings,
        prompt_sha256=completion.prompt_sha256,
        ledger_key=completion.ledger_key,
    )


def _finding(item: Any, index: int, bad: Callable[[str], NetworkError]) -> tuple[str, list[str]]:
    if not isinstance(item, dict):
        raise bad(f"findings[{index}] is {type(item).__name__}, not an object")
    finding, evidence = item.get("finding"), item.get("evidence")
    if not isinstance(finding, str) or not finding.strip():
        raise bad(f"findings[{index}].finding is not a non-empty string")
    if not isinstance(evidence, list) or not all(isinstance(e, str) for e in evidence):
        raise bad(f"findings[{index}].evidence is not a list of strings")
    return finding, list(evidence)


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def prompts_sha256() -> str:
    """sha256 of the three fixed system prompts (canonical JSON): names the prompt set a record
    was reviewed with, whatever the briefs were."""
    return hashlib.sha256(canonical_json(SYSTEM_PROMPTS).encode("utf-8")).hexdigest()
