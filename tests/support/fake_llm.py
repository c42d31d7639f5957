"""A loopback OpenAI-compatible chat service for tests: a thread in the test process.

It answers `POST /v1/chat/completions` like NIM, vLLM or Ollama (`choices[0].message.content`),
by default with a deterministic JSON review (`fake_review`) whose score follows a hash of the
request, and records every request it gets, so tests can check what the client sent (headers
included) and how often.
"""

from __future__ import annotations

import hashlib
import json
import re

from .loopback import DEAD_URL, LoopbackJsonService

__all__ = [
    "DEAD_URL",
    "FakeLlm",
    "chat_answer",
    "fake_review",
    "fake_writer",
    "reviewer_or_writer",
    "request_digest",
]

# A writer's evidence lines, `[<claim id>] <quote>` (sovereign.answer.writer.writer_messages)
_EVIDENCE = re.compile(r"^\[(\S+#\d+)\] (.+)$", re.M)
INVENTED_ID = "2501.99999#0"
UNRELATED = "Gaussian splatting renders driving scenes in real time."


def request_digest(body):
    """sha256 of what determines an answer (model and messages), in canonical JSON."""
    what = {"model": body["model"], "messages": body["messages"]}
    text = json.dumps(what, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def fake_review(body):
    """The default answer: a review whose score (0..10) and finding follow the request's hash."""
    digest = request_digest(body)
    return {
        "score": int(digest[:8], 16) % 11,
        "findings": [{"finding": f"finding {digest[:8]}", "evidence": [f"span {digest[8:16]}"]}],
    }


def fake_writer(body) -> str:
    """A writer model's answer: the first quote restated (kept), a sentence citing an invented id
    (dropped: invented_citation) and an unrelated one (dropped: unsupported)."""
    evidence = _EVIDENCE.findall(body["messages"][-1]["content"])
    first_id, first_text = evidence[0]
    sentences = [
        {"text": first_text, "cites": [first_id]},
        {"text": "Learned routing always wins.", "cites": [first_id, INVENTED_ID]},
        {"text": UNRELATED, "cites": [first_id]},
    ]
    return "```json\n" + json.dumps({"sentences": sentences}) + "\n```"


def reviewer_or_writer(body) -> str:
    """One server for both: the writer's answer to the writer's prompt, a review otherwise."""
    if "prose answer" in body["messages"][0]["content"]:  # the writer's system prompt
        return fake_writer(body)
    return json.dumps(fake_review(body))


def chat_answer(content, *, model="fake-model", finish_reason="stop"):
    """A chat completion response body carrying `content` (any JSON value, to test bad ones)."""
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish_reason,
            }
        ],
    }


class FakeLlm(LoopbackJsonService):
    """A loopback chat service: scripted (status, headers, body) answers first, then `always` (if
    given) for every later request, else a chat answer whose content is `content(body)` (default:
    `fake_review` as JSON text). `mangle` rewrites that default payload before it is sent (to
    serve malformed answers).
    """

    def __init__(self, script=(), *, always=None, content=None, mangle=None):
        self.content = content
        self.mangle = mangle
        super().__init__(script, always=always)

    def default_answer(self, body):
        text = self.content(body) if self.content else json.dumps(fake_review(body))
        payload = chat_answer(text, model=body["model"])
        return self.mangle(payload) if self.mangle else payload
