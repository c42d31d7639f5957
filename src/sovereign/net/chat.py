"""An OpenAI-compatible chat client (NVIDIA NIM, vLLM, Ollama) whose every answer is recorded: the
tribunal's optional LLM reviewer and the answer's optional writer model both talk through it.

Requests always ask for temperature 0 and seed 0, but a server may still vary, so determinism
comes from the ledger: an answer is stored under the model, messages, temperature and max_tokens
alone (never the host, never the key), a rerun replays it and sends nothing, and offline replay
(Gate 2) needs no network. The key, if any, is never written to the ledger nor to any message.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputFileError, LedgerMiss, NetworkError
from ..io import canonical_json
from .http import RetryPolicy, post_keyed_json, without_userinfo
from .ledger import Entry, Ledger

if TYPE_CHECKING:
    import requests

LLM_SERVICE = "llm-review"  # the tribunal's LLM reviewer's answers, in the ledger
WRITER_SERVICE = "llm-writer"  # the answer's writer model's
TEMPERATURE = 0  # greedy decoding: the closest a server comes to a repeatable answer
SEED = 0  # honoured by vLLM and Ollama; servers that ignore it are covered by the ledger
ROLES = ("system", "user", "assistant")
CHECK_SERVICE = "check the LLM base URL and model (an OpenAI-compatible /v1/chat/completions)"

Messages = list[dict[str, str]]


@dataclass(frozen=True)
class Completion:
    text: str
    ledger_key: str
    prompt_sha256: str


def prompt_sha256(messages: Messages) -> str:
    """The prompt's fingerprint: canonical JSON, so it is the same in every process."""
    return hashlib.sha256(canonical_json(messages).encode("utf-8")).hexdigest()


class ChatClient:
    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        ledger: Ledger,
        policy: RetryPolicy,
        offline: bool,
        api_key_env: str,
        max_tokens: int,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        log: Callable[[str], None] = lambda _msg: None,
        service: str = LLM_SERVICE,
        setting: str = "review.llm",
        who: str = "the LLM reviewer",
    ):
        if max_tokens < 1:
            raise ValueError(f"max_tokens must be at least 1, not {max_tokens}")
        self.url = base_url.rstrip("/") + "/v1/chat/completions"
        # What messages and the ledger show: a password in the URL is as secret as the key.
        self.shown_url = without_userinfo(self.url)
        self.model = model
        self.ledger = ledger
        self.policy = policy
        self.offline = offline
        self.api_key_env = api_key_env
        self.max_tokens = max_tokens
        self.session = session
        self.sleep = sleep
        self.log = log
        self.requests_sent = 0
        # The ledger folder its answers go to, the config section that sets it up, and what
        # messages call it: the tribunal's reviewer and the answer's writer share this client.
        self.service = service
        self.setting = setting
        self.who = who

    def ledger_request(self, messages: Messages) -> dict[str, Any]:
        """The ledger's address for one answer: what determines it, nothing else."""
        return {
            "model": self.model,
            "messages": messages,
            "temperature": TEMPERATURE,
            "max_tokens": self.max_tokens,
        }

    def complete(
        self, messages: Messages, accept: Callable[[str], object] | None = None
    ) -> Completion:
        """The model's answer to `messages`, from the ledger if recorded, else asked once.

        `accept`, if given, sees a fresh answer's text before it is recorded and raises to refuse
        it: a refused answer is never recorded, so the next run asks again instead of replaying
        it. (A replayed answer is the caller's to check.)
        """
        _check_messages(messages)
        digest = prompt_sha256(messages)
        request = self.ledger_request(messages)
        entry = self.ledger.get(self.service, request)
        if entry is None:
            if self.offline:
                raise LedgerMiss(
                    f"{self.service} ({self.model}) prompt {digest[:12]}",
                    f"offline: the ledger holds no {self.model} answer for this prompt",
                    f"run once with the network ({self.who} reachable) to record it, or "
                    f"turn {self.who} off ({self.setting}.url: null)",
                )
            entry = self._ask(messages, request, accept)
            self.log(f"{self.service}: recorded the {self.model} answer to prompt {digest[:12]}")
        else:
            self.log(f"{self.service}: replayed the {self.model} answer to prompt {digest[:12]}")
        # Read back from the recorded bytes, so a fresh answer equals its replay exactly.
        text = _decode(entry.body, self.ledger.path(self.service, entry.key))
        return Completion(text=text, ledger_key=entry.key, prompt_sha256=digest)

    def _ask(
        self,
        messages: Messages,
        request: dict[str, Any],
        accept: Callable[[str], object] | None,
    ) -> Entry:
        """Send one request, check the answer, then record it (a bad answer is never recorded)."""
        what = f"{self.service} ({self.model}) at {self.shown_url}"
        if self.session is None:
            import requests  # here, not at the top: most jobs never open a session

            self.session = requests.Session()
        self.requests_sent += 1
        status, (text, finish) = post_keyed_json(
            self.session,
            self.url,
            {
                "model": self.model,
                "messages": messages,
                "temperature": TEMPERATURE,
                "seed": SEED,
                "max_tokens": self.max_tokens,
                "stream": False,
            },
            lambda body: _accepted(_check(body, what), accept),
            what=what,
            policy=self.policy,
            api_key_env=self.api_key_env,
            alternative=f"point {self.setting}.url at a local server (vLLM, Ollama)",
            sleep=self.sleep,
            log=self.log,
        )
        if finish == "length":  # the answer was cut at max_tokens; the caller's parse will say
            self.log(f"{self.service}: the answer reached max_tokens ({self.max_tokens})")
        # Only what the answer means is kept: not the server's ids, timings or echoed headers.
        body = canonical_json({"model": self.model, "content": text, "finish_reason": finish})
        return self.ledger.put(
            self.service,
            request,
            status=status,
            retrieved_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            body=body.encode("utf-8"),
            url=self.shown_url,
        )


def _check_messages(messages: Messages) -> None:
    """A programming error, not a user's: fail before anything is sent or addressed."""
    if not isinstance(messages, list) or not messages:
        raise ValueError("messages must be a non-empty list of {role, content} dicts")
    for message in messages:
        if (
            not isinstance(message, dict)
            or set(message) != {"role", "content"}
            or message["role"] not in ROLES
            or not isinstance(message["content"], str)
        ):
            raise ValueError(f"not a chat message ({{role, content}} strings): {message!r}")


def _check(body: bytes, what: str) -> tuple[str, str | None]:
    """(content, finish_reason) of a chat answer, or NetworkError if it is not one."""
    try:
        choice = json.loads(body)["choices"][0]
        text = choice["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        start = " ".join(body[:120].decode("utf-8", "replace").split())
        raise NetworkError(
            what, f"the answer is not a chat completion JSON response: {start!r}", CHECK_SERVICE
        ) from None
    if not isinstance(text, str):
        kind = type(text).__name__
        raise NetworkError(
            what, f"the answer's choices[0].message.content is {kind}, not text", CHECK_SERVICE
        )
    finish = choice.get("finish_reason")
    return text, finish if isinstance(finish, str) else None


def _accepted(
    answer: tuple[str, str | None], accept: Callable[[str], object] | None
) -> tuple[str, str | None]:
    """The answer, once the caller's `accept` (if any) took its text without raising."""
    if accept is not None:
        accept(answer[0])
    return answer


def _decode(body: bytes, path: Path) -> str:
    try:
        text = json.loads(body)["content"]
        if not isinstance(text, str):
            raise TypeError("content is not text")
    except (ValueError, KeyError, TypeError) as err:
        raise InputFileError(
            str(path),
            f"ledger entry is not a chat answer ({err})",
            f"delete {path} so the prompt is asked again (needs the network)",
        ) from None
    return text


def find_json_object(text: str, key: str) -> dict[str, Any] | None:
    """The first JSON object in a model's answer that holds `key`: a ```json fence and prose
    around it are skipped over (models add them however firmly asked not to)."""
    decoder = json.JSONDecoder()
    start = text.find("{")
    while start != -1:
        try:
            value, end = decoder.raw_decode(text, start)
        except ValueError:
            start = text.find("{", start + 1)
            continue
        if isinstance(value, dict) and key in value:
            return value
        start = text.find("{", end)
    return None
