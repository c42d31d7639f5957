"""The optional writer model: the answer's quotes restated in prose, every sentence checked.

An OpenAI-compatible chat model (config `answer.writer`) reads the question and the answer's
quotes, theme by theme, each as `[<claim id>] <text>`, under a fixed system prompt
(`SYSTEM_PROMPT`, `PROMPT_VERSION`), and answers with JSON
`{"sentences": [{"text": "...", "cites": ["<claim id>", ...]}]}`; a ```json fence or prose
around the one object is tolerated, any other shape is a NetworkError (a fresh malformed answer is
never recorded, so the next run asks again). Its answers go to the ledger (service `llm-writer`),
so a rerun or a Gate 2 replay sends nothing.

Each sentence is then checked against the quotes it cites, and only a sentence that passes is
shown (`KEPT`); the others stay in answer.parquet with why they were dropped:
- `UNCITED`: it cites nothing;
- `INVENTED`: it cites an id that is none of the answer's quotes;
- `UNSUPPORTED`: (a) it states a number (3.2, 45%) its cited quotes do not contain, or (b) fewer
  than `answer.writer.min_overlap` of its content-word stems occur in its cited quotes, or (c)
  the evidence verifier (sovereign.claims.verifier) finds NEUTRAL the most probable label for
  every (sentence, cited quote) pair: none of the evidence bears on it.

The verifier serves only as "bears on it or not": it is weak at telling SUPPORT from CONTRADICT
on paraphrases (test macro-F1 about 0.49 over its five sets; a faithful restatement of a quote
can come out CONTRADICT), so its SUPPORT / CONTRADICT split is shown in a kept sentence's detail
but decides nothing, and the lexical checks (numbers, content overlap) carry the rest. The check
is deterministic: the same answer and sentences give the same statuses and details.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..claims.verifier import LABELS, NEUTRAL, feature_matrix, load_verifier_model
from ..errors import NetworkError
from ..net.chat import WRITER_SERVICE, ChatClient, Messages, find_json_object, prompt_sha256
from ..net.http import RetryPolicy
from ..net.ledger import Ledger
from ..text.normalize import collapse_whitespace, search_words, stem, stems
from ..text.question import STOPWORDS
from .model import INVENTED, KEPT, UNCITED, UNSUPPORTED, WRITER_STATUSES, Answer, WriterSentence
from .settings import Settings

WRITER_SETTING = "answer.writer"
WRITER_WHO = "the writer model"
PROMPT_VERSION = "answer-writer-v1"

SYSTEM_PROMPT = """\
You write the short prose answer at the top of a literature review. You are given a research \
question and evidence: sentences quoted verbatim from papers, grouped under theme headings, each \
line starting with the sentence's id in square brackets.
Answer the question in a few sentences that only restate the evidence:
- say nothing the evidence does not say: no outside knowledge, and no number, name, method or \
result that is not in the sentences you cite;
- keep every number exactly as the evidence writes it;
- every sentence must cite the ids of the evidence sentences it restates, and only ids given \
in square brackets;
- where papers disagree, say so and cite both.
Answer with one JSON object and nothing else, in this form:
{"sentences": [{"text": "<one sentence>", "cites": ["<evidence id>", ...]}]}"""

FORMAT_FIX = (
    'the writer model must answer with JSON {"sentences": [{"text": str, "cites": '
    "[evidence id, ...]}]}; use a model that follows instructions, or turn the writer off "
    f"({WRITER_SETTING}.url: null)"
)

# Numbers as written: 3, 3.2, 45 (of 45%), 1,000; the digits of a name count too (v2, GPT-4).
_NUMBER = re.compile(r"[0-9]+(?:,[0-9]{3}(?![0-9]))*(?:\.[0-9]+)?")

Writer = Callable[[str, Answer, dict[str, dict[str, Any]]], list[WriterSentence]]


@dataclass(frozen=True)
class Draft:
    """A sentence as the writer model wrote it: its text and the claim ids it cites."""

    text: str
    cites: tuple[str, ...]


def writer_client(config: dict[str, Any], log: Callable[[str], None]) -> ChatClient:
    """The chat client of the config's `answer.writer` section (its answers in the ledger)."""
    writer = config["answer"]["writer"]
    return ChatClient(
        base_url=writer["url"],
        model=writer["model"],
        ledger=Ledger(config["ledger"]),
        policy=RetryPolicy.from_config(config, WRITER_SETTING),
        offline=bool(writer["offline"]),
        api_key_env=writer["api_key_env"],
        max_tokens=int(writer["max_tokens"]),
        log=log,
        service=WRITER_SERVICE,
        setting=WRITER_SETTING,
        who=WRITER_WHO,
    )


def system_prompt_sha256() -> str:
    """sha256 of the fixed system prompt: names the prompt a writer sentence was asked with."""
    return hashlib.sha256(SYSTEM_PROMPT.encode("utf-8")).hexdigest()


def evidence_brief(question: str, answer: Answer) -> str:
    """What the writer model reads: the question, then every quote of the answer (shown and
    cited-only) theme by theme, as `[<claim id>] <text>`. Deterministic text, so the prompt's
    hash (its ledger address) is stable."""
    lines = [f"Research question: {collapse_whitespace(question)}", "", "Evidence:"]
    for theme in answer.themes:
        lines += ["", f"## {collapse_whitespace(theme.label)}"]
        lines += [f"[{q.claim_id}] {collapse_whitespace(q.text)}" for q in theme.quotes]
    return "\n".join(lines) + "\n"


def writer_messages(question: str, answer: Answer) -> Messages:
    """The chat: the fixed system prompt, then the question and the evidence."""
    if not answer.quotes:
        raise ValueError("the writer needs an answer with quotes")
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": evidence_brief(question, answer)},
    ]


# --- the model's answer -------------------------------------------------------------------------


def parse_sentences(text: str, where: str, *, fix: str = FORMAT_FIX) -> list[Draft]:
    """The sentences in a model's answer, or NetworkError(where, problem, fix) saying what is off.

    A cited id may come back in its brackets (`[2401.01234#3]`): they are taken off. Repeated ids
    count once."""

    def bad(problem: str) -> NetworkError:
        return NetworkError(where, problem, fix)

    data = find_json_object(text, "sentences")
    if data is None:
        start = " ".join(text[:120].split())
        raise bad(f'the answer holds no JSON object with "sentences": {start!r}')
    sentences = data["sentences"]
    if not isinstance(sentences, list):
        raise bad(f"sentences is {type(sentences).__name__}, not a list")
    drafts = []
    for i, item in enumerate(sentences):
        if not isinstance(item, dict):
            raise bad(f"sentences[{i}] is {type(item).__name__}, not an object")
        body, cites = item.get("text"), item.get("cites")
        if not isinstance(body, str) or not body.strip():
            raise bad(f"sentences[{i}].text is not a non-empty string")
        if not isinstance(cites, list) or not all(isinstance(c, str) for c in cites):
            raise bad(f"sentences[{i}].cites is not a list of strings")
        ids = (c.strip().removeprefix("[").removesuffix("]").strip() for c in cites)
        drafts.append(Draft(collapse_whitespace(body), tuple(dict.fromkeys(c for c in ids if c))))
    return drafts


# --- the check ----------------------------------------------------------------------------------


def numbers(text: str) -> tuple[str, ...]:
    """The numbers a text states, in order, as compared: thousands separators and a decimal's
    trailing zeros dropped (1,000 is 1000; 1.80 is 1.8)."""
    out = []
    for raw in _NUMBER.findall(text):
        n = raw.replace(",", "")
        if "." in n:
            n = n.rstrip("0").rstrip(".")
        out.append(n)
    return tuple(dict.fromkeys(out))


def content_stems(text: str) -> tuple[str, ...]:
    """The stems of a text's content words (no stopwords, no single letters), sorted."""
    words = [w for w in search_words(text) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]
    return tuple(sorted({stem(w) for w in words}))


def check_sentences(
    drafts: Sequence[Draft], answer: Answer, min_overlap: float
) -> list[tuple[str, str]]:
    """(status, detail) of each written sentence, checked against the quotes it cites (see the
    module docstring). Pure and deterministic; the verifier runs once on every pair at hand."""
    quotes = {q.claim_id: q.text for q in answer.quotes}
    results: list[tuple[str, str] | None] = []
    pairs: list[tuple[int, str, str]] = []  # (draft index, sentence, cited quote)
    for n, d in enumerate(drafts):
        if not d.cites:
            results.append((UNCITED, "cites no evidence"))
            continue
        invented = [c for c in d.cites if c not in quotes]
        if invented:
            named = ", ".join(invented)
            results.append((INVENTED, f"cites {named}, not among the answer's quotes"))
            continue
        results.append(None)
        pairs.extend((n, _plain(d.text, quotes), quotes[c]) for c in d.cites)
    labels = _verifier_labels([s for _, s, _ in pairs], [e for _, _, e in pairs])
    per_draft: dict[int, list[str]] = {}
    for (n, _, _), label in zip(pairs, labels, strict=True):
        per_draft.setdefault(n, []).append(label)
    return [
        r if r is not None else _checked(drafts[n], quotes, per_draft[n], min_overlap)
        for n, r in enumerate(results)
    ]


def check_sentence(draft: Draft, answer: Answer, min_overlap: float) -> tuple[str, str]:
    """(status, detail) of one written sentence; see check_sentences."""
    return check_sentences([draft], answer, min_overlap)[0]


def _checked(
    draft: Draft, quotes: dict[str, str], labels: list[str], min_overlap: float
) -> tuple[str, str]:
    """A cited sentence's status: numbers, content overlap and the verifier, all three shown."""
    cited = " ".join(quotes[c] for c in draft.cites)
    text = _plain(draft.text, quotes)
    failed = []
    stated = numbers(cited)
    missing = [n for n in numbers(text) if n not in stated]
    if missing:
        failed.append(f"numbers {', '.join(missing)} not in the cited quotes")
    words = content_stems(text)
    found = stems(cited)
    overlap = sum(w in found for w in words) / len(words) if words else 0.0
    if not words:
        failed.append("no content words")
    elif overlap < min_overlap:
        failed.append(f"content overlap {overlap:.2f} < {min_overlap:.2f}")
    verdicts = ", ".join(f"{c} {label}" for c, label in zip(draft.cites, labels, strict=True))
    if all(label == NEUTRAL for label in labels):
        failed.append("verifier: NEUTRAL for every cited quote")
    if failed:
        return UNSUPPORTED, "; ".join(failed)
    return KEPT, f"content overlap {overlap:.2f} >= {min_overlap:.2f}; verifier: {verdicts}"


def _plain(text: str, quotes: dict[str, str]) -> str:
    """The sentence without the evidence ids a model may also have written into it ("... [id]"):
    an id's digits are no number the sentence states."""
    for claim_id in sorted(quotes, key=lambda c: (-len(c), c)):
        text = text.replace(claim_id, " ")
    return text


def _verifier_labels(sentences: list[str], evidence: list[str]) -> list[str]:
    """The verifier's most probable label for each (sentence, quote) pair."""
    if not sentences:
        return []
    probabilities = load_verifier_model().probabilities(feature_matrix(sentences, evidence))
    return [LABELS[int(i)] for i in np.argmax(probabilities, axis=1)]


# --- the writer ---------------------------------------------------------------------------------


def write(
    client: ChatClient, question: str, answer: Answer, min_overlap: float
) -> list[WriterSentence]:
    """The model's sentences for the answer in its order, each checked, with the ledger key of
    the completion they came in."""
    messages = writer_messages(question, answer)
    where = f"{client.service} ({client.model}, prompt {prompt_sha256(messages)[:12]})"
    # A fresh answer is parsed before it is recorded: a bad one is refused, never replayed.
    fresh_fix = f"{FORMAT_FIX}; nothing was recorded, so the next run asks again"
    completion = client.complete(
        messages, accept=lambda text: parse_sentences(text, where, fix=fresh_fix)
    )
    path = client.ledger.path(client.service, completion.ledger_key)
    # Only a replayed answer can fail here (recorded by an older version, or edited by hand).
    drafts = parse_sentences(
        completion.text, where, fix=f"{FORMAT_FIX}, then delete {path} to ask again"
    )
    checked = check_sentences(drafts, answer, min_overlap)
    return [
        WriterSentence(seq, d.text, d.cites, status, detail, completion.ledger_key)
        for seq, (d, (status, detail)) in enumerate(zip(drafts, checked, strict=True))
    ]


def summary(sentences: Sequence[WriterSentence]) -> str:
    """One line: how many sentences were written, kept, and dropped for each reason."""
    counts = Counter(s.status for s in sentences)
    dropped = ", ".join(f"{counts[s]} {s}" for s in WRITER_STATUSES if s != KEPT)
    return f"{len(sentences)} sentences written, {counts[KEPT]} kept; dropped: {dropped}"


def llm_writer(client: ChatClient, settings: Settings, log: Callable[[str], None]) -> Writer:
    """The answer's writer: asks `client` once per answer (then replays), checks every sentence.
    The kept papers it is handed are not shown to the model: the quotes are all it may restate."""

    def writer(
        question: str, answer: Answer, kept_papers: dict[str, dict[str, Any]]
    ) -> list[WriterSentence]:
        sentences = write(client, question, answer, settings.writer_min_overlap)
        log(f"{client.service} ({client.model}): {summary(sentences)}")
        return sentences

    return writer
