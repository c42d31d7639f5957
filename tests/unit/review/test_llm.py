from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys

import pytest

from sovereign.errors import InputFileError, LedgerMiss, NetworkError
from sovereign.io import canonical_json
from sovereign.net.chat import LLM_SERVICE, ChatClient, Completion, prompt_sha256
from sovereign.net.http import RetryPolicy
from sovereign.net.ledger import Ledger, request_key
from sovereign.review.llm_review import (
    PROMPT_VERSION,
    SKEPTIC,
    SYNTHESIZER,
    SYSTEM_PROMPTS,
    VALIDATOR,
    LlmReview,
    messages_for,
    parse_review,
    review,
)
from support.fake_llm import DEAD_URL, FakeLlm, chat_answer, fake_review
from support.paths import REPO

CANARY = "sk-CANARY-3b9e1f07c2d84a65"
MODEL = "meta/llama-3.1-8b-instruct"
POLICY = RetryPolicy(retries=3, backoff=0.01, max_wait=60, timeout=5, section="review")
# For answers that never come: each attempt waits out the timeout, so keep both small.
STALL_POLICY = RetryPolicy(retries=1, backoff=0.01, max_wait=60, timeout=0.3, section="review")
SRC = REPO / "src"
BRIEF = (
    "question: Does sparse attention help long-document summarisation?\n"
    "papers: 2401.00001 Sparse attention for long documents\n"
    "claims: c1 | 2401.00001 | sparse attention improves ROUGE on arXiv summaries\n"
    "findings: term 'summarisation' found in 1 of 1 papers"
)
MESSAGES = messages_for(SKEPTIC, BRIEF)


@pytest.fixture
def serve():
    servers = []

    def start(*args, **kwargs):
        servers.append(FakeLlm(*args, **kwargs))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


@pytest.fixture(autouse=True)
def no_key(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


def make(url, root, **kwargs):
    kwargs.setdefault("policy", POLICY)
    kwargs.setdefault("sleep", lambda _s: None)
    kwargs.setdefault("model", MODEL)
    kwargs.setdefault("offline", False)
    kwargs.setdefault("api_key_env", "OPENAI_API_KEY")
    kwargs.setdefault("max_tokens", 1024)
    return ChatClient(base_url=url, ledger=Ledger(root), **kwargs)


def ledger_files(root):
    return [p for p in root.rglob("*") if p.is_file()]


# --- the client ---------------------------------------------------------------------------------


def test_request_body_endpoint_and_headers(serve, tmp_path):
    server = serve()
    completion = make(server.url + "/", tmp_path, max_tokens=300).complete(MESSAGES)
    ((path, headers, body),) = server.requests
    assert path == "/v1/chat/completions"
    assert headers["Accept"] == "application/json" and "Authorization" not in headers
    assert body == {
        "model": MODEL,
        "messages": MESSAGES,
        "temperature": 0,
        "seed": 0,
        "max_tokens": 300,
        "stream": False,
    }
    assert json.loads(completion.text) == fake_review(body)
    assert completion.prompt_sha256 == prompt_sha256(MESSAGES)


def test_the_key_is_sent_as_a_bearer_token_only_when_set(serve, tmp_path, monkeypatch):
    server = serve()
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)
    make(server.url, tmp_path / "a").complete(MESSAGES)
    monkeypatch.setenv("OPENAI_API_KEY", "")
    make(server.url, tmp_path / "b").complete(MESSAGES)
    monkeypatch.setenv("NVIDIA_API_KEY", "k2")
    make(server.url, tmp_path / "c", api_key_env="NVIDIA_API_KEY").complete(MESSAGES)
    auth = [headers.get("Authorization") for _p, headers, _b in server.requests]
    assert auth == [f"Bearer {CANARY}", None, "Bearer k2"]
    for path in ledger_files(tmp_path):
        assert CANARY.encode() not in path.read_bytes()


def test_a_rerun_replays_from_the_ledger_and_sends_nothing(serve, tmp_path):
    server = serve()
    logs = []
    first = make(server.url, tmp_path, log=logs.append).complete(MESSAGES)
    again = make(server.url, tmp_path, log=logs.append)
    second = again.complete(MESSAGES)
    assert len(server.requests) == 1 and again.requests_sent == 0
    assert first == second
    digest = prompt_sha256(MESSAGES)[:12]
    assert logs == [
        f"llm-review: recorded the {MODEL} answer to prompt {digest}",
        f"llm-review: replayed the {MODEL} answer to prompt {digest}",
    ]


def test_the_ledger_is_addressed_by_model_messages_temperature_and_max_tokens(serve, tmp_path):
    server = serve()
    completion = make(server.url, tmp_path).complete(MESSAGES)
    request = {"model": MODEL, "messages": MESSAGES, "temperature": 0, "max_tokens": 1024}
    assert completion.ledger_key == request_key(LLM_SERVICE, request)
    entry = Ledger(tmp_path).get(LLM_SERVICE, request)
    assert entry is not None and entry.status == 200
    assert entry.url == server.url + "/v1/chat/completions"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry.retrieved_at)
    recorded = {"content": completion.text, "finish_reason": "stop", "model": MODEL}
    assert entry.body == canonical_json(recorded).encode()
    # Another model or token budget is another question: asked, not replayed.
    make(server.url, tmp_path, model="other/model").complete(MESSAGES)
    make(server.url, tmp_path, max_tokens=64).complete(MESSAGES)
    assert len(server.requests) == 3


def test_the_host_is_not_part_of_the_address(serve, tmp_path):
    server = serve()
    recorded = make(server.url, tmp_path).complete(MESSAGES)
    server.close()
    for url in (DEAD_URL, "https://integrate.api.nvidia.com"):
        assert make(url, tmp_path, offline=True).complete(MESSAGES) == recorded
    assert make(DEAD_URL, tmp_path).complete(MESSAGES) == recorded


def test_offline_miss_raises_ledger_miss_and_sends_nothing(serve, tmp_path):
    server = serve()
    with pytest.raises(LedgerMiss) as err:
        make(server.url, tmp_path, offline=True).complete(MESSAGES)
    message = err.value.message
    assert LLM_SERVICE in message and MODEL in message
    assert prompt_sha256(MESSAGES)[:12] in message
    assert "offline: the ledger holds no" in message
    assert "run once with the network" in message and "turn the LLM reviewer off" in message
    assert server.requests == [] and ledger_files(tmp_path) == []


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        (b"<html>gateway error</html>", "not a chat completion JSON response: '<html>gateway"),
        ({"error": "model not loaded"}, "not a chat completion JSON response"),
        ({"choices": []}, "not a chat completion JSON response"),
        ({"choices": [{"message": {"role": "assistant"}}]}, "not a chat completion JSON"),
        (chat_answer(None), "choices[0].message.content is NoneType, not text"),
        (chat_answer(["a"]), "choices[0].message.content is list, not text"),
    ],
    ids=["not-json", "no-choices", "empty-choices", "no-content", "null-content", "list-content"],
)
def test_a_malformed_answer_is_one_clear_error_and_nothing_is_recorded(
    serve, tmp_path, payload, problem
):
    server = serve(always=(200, {"Content-Type": "application/json"}, payload))
    with pytest.raises(NetworkError) as err:
        make(server.url, tmp_path).complete(MESSAGES)
    message = err.value.message
    assert problem in message
    assert message.startswith(f"{LLM_SERVICE} ({MODEL}) at {server.url}/v1/chat/completions: ")
    assert "fix: check the LLM base URL and model" in message
    assert len(server.requests) == 1 and ledger_files(tmp_path) == []


def test_a_corrupt_ledger_entry_names_its_file(serve, tmp_path):
    server = serve()
    completion = make(server.url, tmp_path).complete(MESSAGES)
    path = Ledger(tmp_path).path(LLM_SERVICE, completion.ledger_key)
    record = json.loads(path.read_text())
    record["body"] = "{}"
    record["body_sha256"] = hashlib.sha256(b"{}").hexdigest()
    path.write_text(json.dumps(record))
    with pytest.raises(InputFileError, match=re.escape(f"delete {path}")):
        make(server.url, tmp_path).complete(MESSAGES)


def test_bad_messages_are_refused_before_anything_is_sent(tmp_path):
    client = make(DEAD_URL, tmp_path)
    for messages in ([], [{"role": "user"}], [{"role": "robot", "content": "x"}]):
        with pytest.raises(ValueError, match="messages|chat message"):
            client.complete(messages)
    assert client.requests_sent == 0


# --- prompt hashes ------------------------------------------------------------------------------

HASH_SCRIPT = """
import json, sys
from sovereign.net.chat import prompt_sha256
from sovereign.review.llm_review import messages_for
roles, brief = json.loads(sys.stdin.read())
print(json.dumps({role: prompt_sha256(messages_for(role, brief)) for role in roles}))
"""


def test_prompt_hashes_are_stable_across_processes():
    roles = [SKEPTIC, VALIDATOR, SYNTHESIZER]
    here = {role: prompt_sha256(messages_for(role, BRIEF)) for role in roles}
    seen = []
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(SRC)}
        done = subprocess.run(
            [sys.executable, "-c", HASH_SCRIPT],
            input=json.dumps([roles, BRIEF]),
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        seen.append(json.loads(done.stdout))
    assert seen == [here, here, here]
    assert len(set(here.values())) == 3  # each role is its own prompt and ledger entry


def test_the_prompt_hash_is_sha256_of_canonical_json():
    messages = [{"content": "é", "role": "user"}]
    assert (
        prompt_sha256(messages)
        == hashlib.sha256('[{"content":"é","role":"user"}]'.encode()).hexdigest()
    )


# --- the review prompts and their answers -------------------------------------------------------


def test_messages_for_each_role():
    assert PROMPT_VERSION == "tribunal-llm-v1"
    assert set(SYSTEM_PROMPTS) == {SKEPTIC, VALIDATOR, SYNTHESIZER}
    for role in SYSTEM_PROMPTS:
        system, user = messages_for(role, BRIEF)
        assert system == {"role": "system", "content": SYSTEM_PROMPTS[role]}
        assert user == {"role": "user", "content": BRIEF}
        assert '"score"' in system["content"] and '"findings"' in system["content"]
    assert "named entities" in SYSTEM_PROMPTS[SKEPTIC]
    assert "single paper" in SYSTEM_PROMPTS[SKEPTIC]
    assert "source span" in SYSTEM_PROMPTS[VALIDATOR]
    assert "verified claims" in SYSTEM_PROMPTS[SYNTHESIZER]


def test_unknown_role_or_empty_brief_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="unknown tribunal role 'judge'"):
        messages_for("judge", BRIEF)
    with pytest.raises(ValueError, match="unknown tribunal role"):
        review(make(DEAD_URL, tmp_path), "judge", BRIEF)
    with pytest.raises(ValueError, match="brief"):
        messages_for(SKEPTIC, "  ")


def test_review_end_to_end_and_replayed(serve, tmp_path):
    server = serve()
    verdict = review(make(server.url, tmp_path), VALIDATOR, BRIEF)
    expected = fake_review(server.bodies[0])
    assert verdict.role == VALIDATOR
    assert verdict.score == float(expected["score"]) and isinstance(verdict.score, float)
    assert verdict.findings == [(f["finding"], f["evidence"]) for f in expected["findings"]]
    assert verdict.prompt_sha256 == prompt_sha256(messages_for(VALIDATOR, BRIEF))
    replayed = review(make(DEAD_URL, tmp_path, offline=True), VALIDATOR, BRIEF)
    assert replayed == verdict and len(server.requests) == 1


def test_the_three_roles_are_three_questions(serve, tmp_path):
    server = serve()
    client = make(server.url, tmp_path)
    verdicts = [review(client, role, BRIEF) for role in (SKEPTIC, VALIDATOR, SYNTHESIZER)]
    assert len(server.requests) == 3 and len({v.ledger_key for v in verdicts}) == 3
    assert [body["messages"][0]["content"] for body in server.bodies] == [
        SYSTEM_PROMPTS[SKEPTIC],
        SYSTEM_PROMPTS[VALIDATOR],
        SYSTEM_PROMPTS[SYNTHESIZER],
    ]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("I think the review looks fine.", "the answer holds no JSON object with a score"),
        ('{"score": 11, "findings": []}', "the score 11 is outside 0..10"),
        ('{"score": -0.5, "findings": []}', "the score -0.5 is outside 0..10"),
        ('{"score": "high", "findings": []}', "the score is 'high', not a number from 0 to 10"),
        ('{"score": true, "findings": []}', "the score is True, not a number"),
        ('{"score": NaN, "findings": []}', "the score is nan, not a number"),
        ('{"score": 5}', "findings is NoneType, not a list"),
        ('{"score": 5, "findings": ["x"]}', "findings[0] is str, not an object"),
        ('{"score": 5, "findings": [{"finding": ""}]}', "findings[0].finding is not a non-empty"),
        (
            '{"score": 5, "findings": [{"finding": "f", "evidence": "2401.1"}]}',
            "findings[0].evidence is not a list of strings",
        ),
    ],
    ids=[
        "prose",
        "score-11",
        "negative",
        "score-high",
        "bool",
        "nan",
        "no-findings",
        "finding-str",
        "empty-finding",
        "evidence-str",
    ],
)
def test_a_bad_verdict_is_one_clear_error_and_nothing_is_recorded(
    serve, tmp_path, content, problem
):
    server = serve(content=lambda _body: content)
    client = make(server.url, tmp_path)
    with pytest.raises(NetworkError) as err:
        review(client, SKEPTIC, BRIEF)
    message = err.value.message
    assert type(err.value) is NetworkError and problem in message
    digest = prompt_sha256(MESSAGES)[:12]
    assert message.startswith(f"{LLM_SERVICE} {SKEPTIC} ({MODEL}, prompt {digest}): ")
    assert 'the model must answer with JSON {"score": 0-10' in message
    assert "nothing was recorded, so the next run asks again" in message
    assert "Traceback" not in message and message.count("\n") == 1
    assert ledger_files(tmp_path) == []
    with pytest.raises(NetworkError):  # refused, not replayed: the next run asks again
        review(client, SKEPTIC, BRIEF)
    assert len(server.requests) == 2


def test_a_bad_verdict_already_in_the_ledger_says_which_file_to_delete(serve, tmp_path):
    """An answer recorded before verdicts were checked first (or edited by hand) is replayed;
    only deleting it asks again."""
    server = serve(content=lambda _body: "I think the review looks fine.")
    client = make(server.url, tmp_path)
    completion = client.complete(MESSAGES)  # no check: recorded as it came
    with pytest.raises(NetworkError) as err:
        review(client, SKEPTIC, BRIEF)
    path = client.ledger.path(LLM_SERVICE, completion.ledger_key)
    assert "the answer holds no JSON object with a score" in err.value.message
    assert f"then delete {path} to ask again" in err.value.message
    assert len(server.requests) == 1


FENCED = """Here is my review of the brief.

```json
{"score": 7.5, "findings": [{"finding": "Only one paper supports c1.", "evidence": ["c1"]}]}
```

Let me know if you need anything else {or more detail}."""


def test_parse_review_tolerates_fences_and_prose():
    expected = LlmReview(7.5, [("Only one paper supports c1.", ["c1"])])
    assert parse_review(FENCED, "here") == expected
    assert parse_review("```\n" + FENCED.split("```json\n")[1], "here") == expected
    braces = 'Scores use {0..10}; {"note": 1} then {"score": 0, "findings": []} done'
    assert parse_review(braces, "here") == LlmReview(0.0, [])
    assert parse_review('{"score": 10, "findings": []}', "here").score == 10.0


def test_parse_review_error_names_where_and_fix():
    with pytest.raises(NetworkError) as err:
        parse_review('```json\n{"score": "high"}\n```', "tribunal q1 skeptic")
    assert err.value.where == "tribunal q1 skeptic"
    assert err.value.fix is not None and "0-10" in err.value.fix


def test_completion_is_a_plain_record():
    c = Completion(text="t", ledger_key="k", prompt_sha256="p")
    assert (c.text, c.ledger_key, c.prompt_sha256) == ("t", "k", "p")
