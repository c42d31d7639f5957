"""The transport fault matrix of both keyed services, the NIM embedder and the LLM reviewer's
chat client (both send through sovereign.net.http.post_keyed_json), against loopback services:
429 and 5xx retried, stalls and resets retried or reported, 401/403 fast and naming the key's
variable, never its value, an echoing answer refused, a URL password in no message, and nothing
recorded for a failed answer. What each service checks of its own answers stays in test_nim.py
and test_llm.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from sovereign.embed.nim import NimEmbedder
from sovereign.errors import NetworkError
from sovereign.net.chat import ChatClient
from sovereign.net.http import RetryPolicy
from sovereign.net.ledger import Ledger
from sovereign.review.llm_review import SKEPTIC, messages_for
from support.fake_llm import FakeLlm, chat_answer, fake_review
from support.fake_nim import FakeNim, fake_vector
from support.loopback import RESET, STALL
from support.settings import default_config

TEXTS = ["paper 0: sparse attention for long documents", "paper 1: routing", "paper 2: experts"]
MESSAGES = messages_for(SKEPTIC, "question: Does sparse attention help summarisation?")


@dataclass(frozen=True)
class Service:
    """One keyed service as these tests drive it."""

    name: str
    fake: type
    canary: str
    key_env: str  # the variable the client reads by default
    section: str  # the config section its retry settings come from
    path: str  # what the client appends to the base URL
    entries: int  # ledger entries one good answer leaves
    client: Callable[..., Any]
    call: Callable[[Any], Any]
    good: Callable[[Any, Any], bool]  # whether a call's result is the service's right answer
    mirror: Callable[[str], bytes]  # a 200 answer whose content holds `text`


EMBED = default_config()["embed"]
NIM = Service(
    name="nim",
    fake=FakeNim,
    canary="nvapi-CANARY-7f3e9b21d4c6a805",
    key_env="NVIDIA_API_KEY",
    section="embed",
    path="/v1/embeddings",
    entries=len(TEXTS),
    client=lambda url, ledger, **kw: NimEmbedder(
        base_url=url,
        ledger=ledger,
        **{k: EMBED[k] for k in ("model", "dimension", "batch_size", "offline")},
        **kw,
    ),
    call=lambda client: client.embed(TEXTS, "passage"),
    good=lambda vectors, _server: np.array_equal(
        vectors, np.asarray([fake_vector(t, "passage") for t in TEXTS], dtype=np.float32)
    ),
    mirror=lambda text: f"<html>{text}</html>".encode(),
)
LLM = Service(
    name="llm",
    fake=FakeLlm,
    canary="sk-CANARY-3b9e1f07c2d84a65",
    key_env="OPENAI_API_KEY",
    section="review",
    path="/v1/chat/completions",
    entries=1,
    client=lambda url, ledger, **kw: ChatClient(
        base_url=url,
        ledger=ledger,
        model="meta/llama-3.1-8b-instruct",
        **{"offline": False, "api_key_env": "OPENAI_API_KEY", "max_tokens": 1024, **kw},
    ),
    call=lambda client: client.complete(MESSAGES),
    good=lambda completion, server: json.loads(completion.text) == fake_review(server.bodies[-1]),
    mirror=chat_answer,
)


@pytest.fixture(params=[NIM, LLM], ids=lambda s: s.name)
def service(request, monkeypatch):
    for each in (NIM, LLM):
        monkeypatch.delenv(each.key_env, raising=False)
    return request.param


@pytest.fixture
def serve(service):
    servers = []

    def start(*args, **kwargs):
        servers.append(service.fake(*args, **kwargs))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


def make(service, url, root, *, retries=3, timeout=5.0, **kwargs):
    kwargs.setdefault("sleep", lambda _s: None)
    policy = RetryPolicy(retries, 0.01, 60, timeout, section=service.section)
    return service.client(url, Ledger(root), policy=policy, **kwargs)


def ledger_files(root):
    return [p for p in root.rglob("*") if p.is_file()]


def echo(status):
    """An answer that echoes the Authorization header back, as a careless proxy might."""
    return (status, {}, lambda headers: f"bad credentials: {headers['Authorization']}".encode())


@pytest.mark.parametrize(
    ("headers", "wait"), [({"Retry-After": "3"}, 3.0), ({}, 0.01)], ids=["retry-after", "backoff"]
)
def test_429_is_retried_after_the_wait_it_asks_for_or_the_backoff(
    service, serve, tmp_path, headers, wait
):
    server = serve([(429, headers, b"slow down")])
    waits, logs = [], []
    result = service.call(make(service, server.url, tmp_path, sleep=waits.append, log=logs.append))
    assert server.statuses == [429, 200] and waits == [wait]
    assert service.good(result, server)
    assert any(f"HTTP 429; retry 1/3 in {wait:.1f} s" in line for line in logs)
    assert len(ledger_files(tmp_path)) == service.entries  # the good answer only


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_server_error_is_retried_then_succeeds(service, serve, tmp_path, status):
    server = serve([(status, {}, b"busy"), (status, {}, b"busy")])
    waits = []
    result = service.call(make(service, server.url, tmp_path, sleep=waits.append))
    assert server.statuses == [status, status, 200] and waits == [0.01, 0.02]
    assert service.good(result, server)
    assert len(ledger_files(tmp_path)) == service.entries


@pytest.mark.parametrize("status", [500, 503])
def test_repeated_server_errors_end_in_one_clear_error_after_the_retries(
    service, serve, tmp_path, monkeypatch, status
):
    monkeypatch.setenv(service.key_env, service.canary)
    server = serve(always=echo(status))
    waits, logs = [], []
    with pytest.raises(NetworkError) as err:
        service.call(make(service, server.url, tmp_path, sleep=waits.append, log=logs.append))
    message = err.value.message
    assert server.statuses == [status] * 4 and waits == [0.01, 0.02, 0.04]  # retries=3
    assert f"the server answered HTTP {status}, after 4 attempts" in message
    assert "fix: check the network and the service URL" in message and message.count("\n") == 1
    assert service.canary not in message and not any(service.canary in line for line in logs)
    assert ledger_files(tmp_path) == []


@pytest.mark.parametrize(
    ("fault", "problem"), [(STALL, "(ReadTimeout)"), (RESET, "(ConnectionError)")]
)
def test_a_stalled_or_reset_answer_is_retried(service, serve, tmp_path, fault, problem):
    server = serve([fault])
    logs = []
    client = make(service, server.url, tmp_path, retries=1, timeout=0.3, log=logs.append)
    result = service.call(client)
    assert server.statuses == [fault, 200]
    assert any(f"{problem}; retry 1/1" in line for line in logs)
    assert service.good(result, server)
    assert len(ledger_files(tmp_path)) == service.entries


@pytest.mark.parametrize(
    ("fault", "problem"), [(STALL, "(ReadTimeout)"), (RESET, "(ConnectionError)")]
)
def test_a_service_that_always_stalls_or_resets_is_reported(
    service, serve, tmp_path, fault, problem
):
    server = serve(always=fault)
    with pytest.raises(NetworkError) as err:
        service.call(make(service, server.url, tmp_path, retries=1, timeout=0.3))
    assert server.statuses == [fault, fault]  # retries=1
    assert f"{problem}, after 2 attempts" in err.value.message
    assert ledger_files(tmp_path) == []


@pytest.mark.parametrize("status", [401, 403])
@pytest.mark.parametrize("custom", [False, True], ids=["default-variable", "custom-variable"])
def test_401_and_403_fail_fast_naming_the_variable_never_the_key(
    service, serve, tmp_path, monkeypatch, status, custom
):
    variable = "MY_SERVICE_KEY" if custom else service.key_env
    monkeypatch.setenv(variable, service.canary)
    # A server that echoes the header back must not leak the key into the message.
    server = serve(always=echo(status))
    logs = []
    extra = {"api_key_env": variable} if custom else {}
    with pytest.raises(NetworkError) as err:
        service.call(make(service, server.url, tmp_path, log=logs.append, **extra))
    message = err.value.message
    assert len(server.requests) == 1
    assert server.requests[0][1]["Authorization"] == f"Bearer {service.canary}"
    assert f"HTTP {status}" in message and "bad credentials: Bearer [redacted]" in message
    assert f"set {variable} to a valid key" in message
    assert service.canary not in message and service.canary not in str(err.value)
    assert not any(service.canary in line for line in logs)
    assert ledger_files(tmp_path) == []


def test_the_nim_hint_offers_a_self_hosted_nim(monkeypatch, tmp_path):
    monkeypatch.delenv(NIM.key_env, raising=False)
    server = FakeNim(always=echo(401))
    try:
        with pytest.raises(NetworkError) as err:
            NIM.call(make(NIM, server.url, tmp_path))
    finally:
        server.close()
    assert "point embed.nim_url at a self-hosted NIM" in err.value.message


def test_403_without_a_key_says_the_variable_is_not_set(service, serve, tmp_path):
    server = serve([(403, {}, b"forbidden")])
    with pytest.raises(NetworkError, match=rf"{service.key_env} is not set"):
        service.call(make(service, server.url, tmp_path))
    assert len(server.requests) == 1


def test_an_answer_that_echoes_the_key_is_refused_and_not_recorded(
    service, serve, tmp_path, monkeypatch
):
    """A 200 from a mirror (a proxy, a debugging endpoint, a model repeating a header it was
    shown): its bytes are not an answer, and recording them would put the key in the ledger,
    and from there in results and bundles."""
    monkeypatch.setenv(service.key_env, service.canary)
    server = serve([(200, {}, lambda h: service.mirror(f"you sent {h['Authorization']}"))])
    with pytest.raises(NetworkError) as err:
        service.call(make(service, server.url, tmp_path))
    assert f"holds the key sent with the request ({service.key_env})" in err.value.message
    assert service.canary[:8] not in err.value.message and len(server.requests) == 1
    assert ledger_files(tmp_path) == []


def test_a_password_in_the_url_is_in_no_message_and_no_ledger_entry(service, serve, tmp_path):
    server = serve([(401, {}, b"denied")])
    url = server.url.replace("http://", "http://alice:url-PASSWORD-5e7@")
    with pytest.raises(NetworkError) as err:
        service.call(make(service, url, tmp_path))
    assert "url-PASSWORD-5e7" not in err.value.message
    assert f"at {server.url}{service.path}" in err.value.message
    service.call(make(service, url, tmp_path))
    assert len(ledger_files(tmp_path)) == service.entries
    assert not any(b"url-PASSWORD-5e7" in p.read_bytes() for p in ledger_files(tmp_path))
    sent = len(server.requests)
    service.call(make(service, url, tmp_path))  # the entry is found again: nothing is sent
    assert len(server.requests) == sent
