import re

import numpy as np
import pytest

from sovereign.embed.nim import NIM_SERVICE, NimEmbedder
from sovereign.errors import ConfigError, LedgerMiss, NetworkError
from sovereign.io import canonical_json
from sovereign.net.http import RetryPolicy
from sovereign.net.ledger import Ledger
from support.fake_nim import DEAD_URL, FakeNim, fake_vector
from support.settings import default_config

CANARY = "nvapi-CANARY-7f3e9b21d4c6a805"
MODEL = "nvidia/nv-embedqa-e5-v5"
EMBED = default_config()["embed"]
POLICY = RetryPolicy(retries=3, backoff=0.01, max_wait=60, timeout=5, section="embed")
# For answers that never come: each attempt waits out the timeout, so keep both small.
STALL_POLICY = RetryPolicy(retries=1, backoff=0.01, max_wait=60, timeout=0.3, section="embed")


def expected(texts, role):
    return np.asarray([fake_vector(t, role) for t in texts], dtype=np.float32)


@pytest.fixture
def serve():
    servers = []

    def start(*args, **kwargs):
        servers.append(FakeNim(*args, **kwargs))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


@pytest.fixture(autouse=True)
def no_key(monkeypatch):
    monkeypatch.delenv("NVIDIA_API_KEY", raising=False)


def make(url, root, **kwargs):
    for key in ("model", "dimension", "batch_size", "offline"):
        kwargs.setdefault(key, EMBED[key])
    kwargs.setdefault("policy", POLICY)
    kwargs.setdefault("sleep", lambda _s: None)
    return NimEmbedder(base_url=url, ledger=Ledger(root), **kwargs)


def ledger_files(root):
    return [p for p in root.rglob("*") if p.is_file()]


TEXTS = [f"paper {i}: sparse attention for long documents, variant {i % 7}" for i in range(120)]


def test_batches_of_at_most_batch_size_and_rows_match_texts(serve, tmp_path):
    server = serve()
    vectors = make(server.url, tmp_path).embed(TEXTS, "passage")
    assert [len(b) for b in server.batches] == [50, 50, 20]
    assert [t for b in server.batches for t in b] == TEXTS  # first-appearance order
    assert vectors.dtype == np.float32 and vectors.shape == (120, 1024)
    assert np.array_equal(vectors, expected(TEXTS, "passage"))


def test_rows_follow_index_when_the_service_shuffles_them(serve, tmp_path):
    server = serve(shuffle=True)
    vectors = make(server.url, tmp_path, batch_size=20).embed(TEXTS[:40], "query")
    assert np.array_equal(vectors, expected(TEXTS[:40], "query"))


def test_request_fields_and_endpoint(serve, tmp_path):
    server = serve()
    make(server.url + "/", tmp_path, model=MODEL).embed(["a", "b"], "query")
    make(server.url, tmp_path).embed(["c"], "passage")
    (path, headers, body), (_, _, second) = server.requests
    assert path == "/v1/embeddings"
    assert headers["Accept"] == "application/json"
    assert body == {
        "input": ["a", "b"],
        "model": MODEL,
        "input_type": "query",
        "encoding_format": "float",
        "truncate": "END",
    }
    assert second["input_type"] == "passage"


def test_authorization_header_only_when_the_key_is_set(serve, tmp_path, monkeypatch):
    server = serve()
    monkeypatch.setenv("NVIDIA_API_KEY", CANARY)
    make(server.url, tmp_path).embed(["one"], "query")
    monkeypatch.setenv("NVIDIA_API_KEY", "")
    make(server.url, tmp_path).embed(["two"], "query")
    monkeypatch.delenv("NVIDIA_API_KEY")
    make(server.url, tmp_path).embed(["three"], "query")
    monkeypatch.setenv("OTHER_KEY", "k2")
    make(server.url, tmp_path, api_key_env="OTHER_KEY").embed(["four"], "query")
    auth = [headers.get("Authorization") for _p, headers, _b in server.requests]
    assert auth == [f"Bearer {CANARY}", None, None, "Bearer k2"]


def test_a_wait_beyond_max_wait_fails_at_once_naming_the_embed_setting(serve, tmp_path):
    server = serve([(429, {"Retry-After": "999"}, b"slow down")])
    policy = RetryPolicy.from_config(
        {"embed": {"retries": 3, "backoff": 0.01, "max_wait": 60, "timeout": 5}}, "embed"
    )
    with pytest.raises(NetworkError) as err:
        make(server.url, tmp_path, policy=policy).embed(TEXTS[:3], "passage")
    assert len(server.requests) == 1 and "raise embed.max_wait" in err.value.message
    assert not ledger_files(tmp_path)


def test_an_echo_cut_short_leaves_no_part_of_the_key(serve, tmp_path, monkeypatch):
    """The message quotes 200 characters of the answer: masking after the cut would leave the
    key's first characters when the cut falls inside it."""
    monkeypatch.setenv("NVIDIA_API_KEY", CANARY)
    padding = "x" * (200 - len("Bearer nvapi-CA"))  # the cut falls inside the key
    server = serve([(401, {}, lambda h: f"{padding}{h['Authorization']}".encode())])
    with pytest.raises(NetworkError) as err:
        make(server.url, tmp_path).embed(["x"], "query")
    assert CANARY[:8] not in err.value.message and "Bearer [redact" in err.value.message


@pytest.mark.parametrize(
    ("value", "sent"),
    [(f"{CANARY}\n", CANARY), (f"  {CANARY}\r\n", CANARY), (f"{CANARY}\u2013", None)],
    ids=["newline", "spaces-crlf", "non-ascii"],
)
def test_a_key_with_stray_characters_is_trimmed_or_refused_unquoted(
    serve, tmp_path, monkeypatch, value, sent
):
    """Whitespace around a key (a key file's newline) is dropped; a key no header can carry is
    refused naming its variable. Before, requests quoted the header (key and all) in its error,
    and a non-ASCII key crashed with a traceback."""
    monkeypatch.setenv("NVIDIA_API_KEY", value)
    server = serve()
    embedder = make(server.url, tmp_path)
    if sent:
        embedder.embed(["x"], "query")
        assert server.requests[0][1]["Authorization"] == f"Bearer {sent}"
        return
    with pytest.raises(ConfigError) as err:
        embedder.embed(["x"], "query")
    assert err.value.where == "NVIDIA_API_KEY" and "set NVIDIA_API_KEY to the key" in str(err.value)
    assert CANARY[:8] not in str(err.value) and server.requests == []


@pytest.mark.parametrize(
    ("mangle", "problem"),
    [
        (
            lambda a: {**a, "data": [{**d, "embedding": d["embedding"][:768]} for d in a["data"]]},
            "the service returned 768-d vectors but embed dimension is 1024",
        ),
        (lambda a: {**a, "data": a["data"][:-1]}, "returned 2 vectors for a batch of 3 texts"),
        (
            lambda a: {**a, "data": [{**d, "index": 0} for d in a["data"]]},
            "indices other than 0..2",
        ),
        (lambda a: b"<html>gateway error</html>", "not an embeddings JSON response"),
        (lambda a: {"error": "oops"}, "not an embeddings JSON response"),
        (
            lambda a: {**a, "data": [{**d, "embedding": ["x"] * 1024} for d in a["data"]]},
            "non-numeric or non-finite",
        ),
    ],
    ids=["dimension", "count", "indices", "html", "no-data", "non-numeric"],
)
def test_a_bad_answer_is_rejected_and_nothing_is_recorded(serve, tmp_path, mangle, problem):
    server = serve(mangle=mangle)
    with pytest.raises(NetworkError, match=re.escape(problem)) as err:
        make(server.url, tmp_path).embed(TEXTS[:3], "passage")
    if problem.startswith("the service returned 768-d"):
        assert "set embed.dimension to the model's size or check embed.model" in err.value.message
    assert ledger_files(tmp_path) == []


def test_a_second_call_is_answered_by_the_ledger_byte_for_byte(serve, tmp_path):
    server = serve(shuffle=True)
    logs = []
    first = make(server.url, tmp_path, log=logs.append).embed(TEXTS[:60], "passage")
    assert len(server.requests) == 2
    again = make(server.url, tmp_path, log=logs.append)
    second = again.embed(TEXTS[:60], "passage")
    assert len(server.requests) == 2 and again.batches_sent == 0
    assert first.tobytes() == second.tobytes()
    assert logs == [
        "nim-embeddings passage: 0 of 60 distinct texts found in the ledger",
        "nim-embeddings passage: batch 1/2 (50 texts)",  # progress on a long run of requests
        "nim-embeddings passage: batch 2/2 (60 texts)",
        "nim-embeddings passage: sent 2 batches for 60 texts",
        "nim-embeddings passage: 60 of 60 distinct texts found in the ledger",
    ]


def test_roles_are_recorded_separately(serve, tmp_path):
    server = serve()
    embedder = make(server.url, tmp_path)
    query = embedder.embed(["same text"], "query")
    passage = embedder.embed(["same text"], "passage")
    assert len(server.requests) == 2 and not np.array_equal(query, passage)


def test_the_ledger_entry_shape(serve, tmp_path):
    server = serve()
    make(server.url, tmp_path).embed(["hello"], "query")
    request = {"model": MODEL, "input_type": "query", "truncate": "END", "text": "hello"}
    entry = Ledger(tmp_path).get(NIM_SERVICE, request)
    assert entry is not None and entry.status == 200
    assert entry.url == server.url + "/v1/embeddings"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry.retrieved_at)
    body = {"model": MODEL, "embedding": fake_vector("hello", "query")}
    assert entry.body == canonical_json(body).encode()


def test_offline_with_a_missing_text_raises_ledger_miss(serve, tmp_path):
    server = serve()
    make(server.url, tmp_path).embed(["recorded"], "passage")
    long_text = "an unrecorded abstract " * 10
    offline = make(server.url, tmp_path, offline=True)
    with pytest.raises(LedgerMiss) as err:
        offline.embed(["recorded", long_text], "passage")
    message = err.value.message
    assert NIM_SERVICE in message and "passage" in message
    assert long_text[:60] in message and long_text[:61] not in message
    assert (
        "run once with the network (embed backend nim) to record it, or switch embed.backend"
        in (message)
    )
    assert len(server.requests) == 1


def test_offline_with_everything_recorded_needs_no_server(serve, tmp_path):
    server = serve()
    recorded = make(server.url, tmp_path).embed(TEXTS[:10], "query")
    server.close()
    # The host is not part of the ledger address: the hosted URL replays a self-hosted recording.
    for url in (DEAD_URL, "https://integrate.api.nvidia.com"):
        replayed = make(url, tmp_path, offline=True).embed(TEXTS[:10], "query")
        assert replayed.tobytes() == recorded.tobytes()
    assert make(DEAD_URL, tmp_path).embed(TEXTS[:10], "query").tobytes() == recorded.tobytes()


def test_the_key_appears_in_no_ledger_file_and_no_log_line(serve, tmp_path, monkeypatch):
    monkeypatch.setenv("NVIDIA_API_KEY", CANARY)
    server = serve([(429, {"Retry-After": "0"}, b"slow down")])
    logs = []
    make(server.url, tmp_path, log=logs.append).embed(TEXTS[:60], "passage")
    files = ledger_files(tmp_path)
    assert len(files) == 60
    for path in files:
        assert CANARY.encode() not in path.read_bytes() and CANARY not in str(path)
    assert any("retry 1/3" in line for line in logs)
    assert not any(CANARY in line for line in logs)


def test_duplicate_texts_are_sent_once(serve, tmp_path):
    server = serve()
    texts = ["b", "a", "b", "c", "a", "b"]
    vectors = make(server.url, tmp_path).embed(texts, "passage")
    assert server.batches == [["b", "a", "c"]]
    assert np.array_equal(vectors, expected(texts, "passage"))


def test_results_do_not_depend_on_batch_composition(serve, tmp_path):
    server = serve(shuffle=True)
    by_50 = make(server.url, tmp_path / "a", batch_size=50).embed(TEXTS, "passage")
    by_7 = make(server.url, tmp_path / "b", batch_size=7).embed(TEXTS, "passage")
    assert max(len(b) for b in server.batches[3:]) == 7 and len(server.batches) == 3 + 18
    make(server.url, tmp_path / "c").embed(TEXTS[::3], "passage")
    mixed = make(server.url, tmp_path / "c").embed(TEXTS, "passage")
    assert by_50.tobytes() == by_7.tobytes() == mixed.tobytes()


def test_empty_input_and_bad_arguments(tmp_path):
    empty = make(DEAD_URL, tmp_path).embed([], "query")
    assert empty.shape == (0, 1024) and empty.dtype == np.float32
    with pytest.raises(ConfigError, match="embed.batch_size"):
        make(DEAD_URL, tmp_path, batch_size=51)
    with pytest.raises(ValueError, match="role"):
        make(DEAD_URL, tmp_path).embed(["x"], "document")
