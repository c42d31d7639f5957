"""The nim embed backend through real `snakemake` runs, against a loopback fake NIM (slow).

One recorded run (module fixture) is checked for what was sent and written, for the key leaking
nowhere, then rerun from its ledger (online, then offline with no server); failures (a refused
key, offline with an empty ledger) run in fresh working directories.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
from types import SimpleNamespace

import numpy as np
import pyarrow.parquet as pq
import pytest

from sovereign.contracts import STAGE_FILES
from sovereign.embed.stage import unit_rows
from support.fake_nim import DEAD_URL, FakeNim, fake_vector
from support.workflow import fixture_snapshot, make_workdir, result_bytes, snakemake

pytestmark = pytest.mark.slow

CANARY = "nvapi-CANARY-7f3a9c"
KEY_ENV = "NVIDIA_API_KEY"
MODEL = "nvidia/nv-embedqa-e5-v5"
DIM = 16
QUESTIONS = {
    "routing": "How does expert routing affect VQA accuracy in mixture-of-experts?",
    "balance": "Do auxiliary load balancing losses affect expert utilization?",
}
ROWS = [[qid, text, "2026-05-28"] for qid, text in QUESTIONS.items()]
OFFLINE_REPLAY = f"embed={{backend: nim, offline: true, nim_url: '{DEAD_URL}', dimension: {DIM}}}"


def nim_workdir(root, rows, **embed):
    search = {"backend": "snapshot", "snapshot": str(fixture_snapshot(root / "snap.jsonl"))}
    return make_workdir(
        root / "work", rows, search, embed={"backend": "nim", "dimension": DIM, **embed}
    )


def secret_forms(secret):
    """The secret as bytes, plain and base64-encoded at each of the three alignments."""
    raw = secret.encode()
    forms = {raw}
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw)
        forms.add(encoded[4 if shift else 0 : -4])  # drop the characters the padding touches
    return forms


def assert_secret_nowhere(secret, workdir, *outputs):
    """No file under `workdir` (hidden ones included) holds or is named by the secret, nor does
    any of the `outputs` (Snakemake's stdout and stderr)."""
    forms = secret_forms(secret)
    files = [p for p in workdir.rglob("*") if p.is_file()]
    for path in files:
        assert secret not in str(path.relative_to(workdir)), path
        data = path.read_bytes()
        assert not any(form in data for form in forms), f"{secret!r} found in {path}"
    for text in outputs:
        assert secret not in text
    return {p.relative_to(workdir).parts[0] for p in files}


def no_key(monkeypatch):
    """Snakemake inherits os.environ (conftest merges `env` into it): unset the key there."""
    monkeypatch.delenv(KEY_ENV, raising=False)


def kept_documents(workdir, qid):
    """{text: arxiv_id} of the papers the filter kept, as the embed stage builds their text."""
    filtered = pq.read_table(workdir / f"results/{qid}/filtered.parquet").to_pylist()
    return {f"{p['title']}. {p['abstract']}": p["arxiv_id"] for p in filtered if p["kept"]}


def sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """A complete nim run with the key set, against the fake NIM (kept up for later tests)."""
    root = tmp_path_factory.mktemp("nim")
    with pytest.MonkeyPatch.context() as mp, FakeNim(dimension=DIM) as server:
        no_key(mp)
        workdir = nim_workdir(root, ROWS, nim_url=server.url)
        proc = snakemake(workdir, "-c", "4", env={KEY_ENV: CANARY})
        yield SimpleNamespace(
            workdir=workdir,
            server=server,
            proc=proc,
            first=result_bytes(workdir),
            sent=len(server.requests),
        )


def test_a_nim_run_embeds_with_the_configured_model_and_sends_what_nim_expects(recorded):
    workdir, server = recorded.workdir, recorded.server
    assert sorted(recorded.first) == sorted(
        [f"{q}/{name}" for q in QUESTIONS for name in STAGE_FILES] + ["index.html"]
    )
    passages = {}
    for qid, question in QUESTIONS.items():
        docs = kept_documents(workdir, qid)
        assert docs, f"{qid} keeps no paper: the fixture question no longer exercises passages"
        passages.update(docs)
        rows = pq.read_table(workdir / f"results/{qid}/embeddings.parquet").to_pylist()
        assert {(r["backend"], r["model"], r["dimension"]) for r in rows} == {("nim", MODEL, DIM)}
        assert sorted((r["role"], r["item_id"]) for r in rows) == sorted(
            [("query", "question")] + [("passage", a) for a in docs.values()]
        )
        texts = {sha256(t): (t, "passage") for t in docs} | {sha256(question): (question, "query")}
        for r in rows:
            text, role = texts[r["text_sha256"]]
            assert r["role"] == role and len(r["vector"]) == DIM
            # The service's vector, scaled to unit length (the index promises cosine = dot).
            assert np.array_equal(
                np.asarray(r["vector"], dtype=np.float32),
                unit_rows(np.asarray([fake_vector(text, role, DIM)], dtype=np.float32))[0],
            )
            assert abs(np.linalg.norm(np.asarray(r["vector"], dtype=np.float64)) - 1) < 1e-6
        assert (workdir / f"results/{qid}/claims.parquet").is_file()
        assert f"evidence index {MODEL}" in (workdir / f"logs/claims/{qid}.log").read_text()

    assert server.requests and set(server.statuses) == {200}
    sent = {"query": set(), "passage": set()}
    for path, headers, body in server.requests:
        assert path == "/v1/embeddings"
        assert headers["Authorization"] == f"Bearer {CANARY}"
        assert body["model"] == MODEL
        assert body["truncate"] == "END"
        assert body["encoding_format"] == "float"
        assert 1 <= len(body["input"]) <= 50
        sent[body["input_type"]].update(body["input"])
    assert sent == {"query": set(QUESTIONS.values()), "passage": set(passages)}
    # One ledger entry per distinct (role, text), and nothing else.
    entries = list((workdir / "ledger" / "nim-embeddings").rglob("*.json"))
    assert len(entries) == len(QUESTIONS) + len(passages)


def test_the_key_is_written_nowhere_and_never_printed(recorded):
    proc = recorded.proc
    top = assert_secret_nowhere(CANARY, recorded.workdir, proc.stdout, proc.stderr)
    assert {"results", "logs", "ledger", ".snakemake"} <= top  # every place was searched


def test_a_rerun_from_the_ledger_sends_nothing_and_gives_the_same_bytes(recorded):
    workdir = recorded.workdir
    shutil.rmtree(workdir / "results")
    proc = snakemake(workdir, "-c", "4", env={KEY_ENV: CANARY})
    assert len(recorded.server.requests) == recorded.sent
    assert result_bytes(workdir) == recorded.first
    for qid in QUESTIONS:
        log = (workdir / f"logs/embed/{qid}.log").read_text()
        assert "nim-embeddings query: 1 of 1 distinct texts found in the ledger" in log
        assert "sent" not in log
    assert_secret_nowhere(CANARY, workdir, proc.stdout, proc.stderr)


def test_offline_replay_needs_no_server_and_no_key(recorded, monkeypatch):
    workdir = recorded.workdir
    recorded.server.close()  # no server at all (offline must not try one)
    no_key(monkeypatch)
    shutil.rmtree(workdir / "results")
    snakemake(workdir, "-c", "4", "--config", OFFLINE_REPLAY)
    assert result_bytes(workdir) == recorded.first
    assert len(recorded.server.requests) == recorded.sent


def test_a_refused_key_fails_the_run_naming_the_variable_never_the_key(tmp_path, monkeypatch):
    no_key(monkeypatch)
    # A server that echoes the header back: the message quotes the answer, so it must redact.
    echo = (401, {}, lambda headers: f"bad credentials: {headers['Authorization']}".encode())
    rows = ROWS[:1]
    qid = rows[0][0]
    with FakeNim(always=echo, dimension=DIM) as server:
        workdir = nim_workdir(tmp_path, rows, nim_url=server.url)
        proc = snakemake(workdir, "-c", "2", env={KEY_ENV: CANARY}, check=False)
    assert proc.returncode != 0
    assert len(server.requests) == 1  # a refused key is not retried
    assert server.requests[0][1]["Authorization"] == f"Bearer {CANARY}"
    assert "HTTP 401" in proc.stderr
    assert "bad credentials: Bearer [redacted]" in proc.stderr  # the echo, redacted
    assert f"set {KEY_ENV} to a valid key" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert (workdir / f"results/{qid}/filtered.parquet").is_file()
    assert not (workdir / f"results/{qid}/embeddings.parquet").exists()
    assert not list((workdir / "ledger").rglob("*.json"))
    assert "HTTP 401" in (workdir / f"logs/embed/{qid}.log").read_text()
    assert_secret_nowhere(CANARY, workdir, proc.stdout, proc.stderr)


def test_offline_with_an_empty_ledger_fails_with_the_fix(tmp_path, monkeypatch):
    no_key(monkeypatch)
    rows = ROWS[:1]
    qid = rows[0][0]
    workdir = nim_workdir(tmp_path, rows, nim_url=DEAD_URL, offline=True)
    proc = snakemake(workdir, "-c", "2", check=False)
    assert proc.returncode != 0
    assert f"offline: the ledger holds no {MODEL} embedding for this text" in proc.stderr
    assert (
        "fix: run once with the network (embed backend nim) to record it, or switch "
        "embed.backend" in proc.stderr
    )
    assert "Traceback" not in proc.stderr
    assert not (workdir / f"results/{qid}/embeddings.parquet").exists()
    assert not list(workdir.glob("ledger/**/*.json"))
