"""The optional LLM reviewer through Snakemake: configured, recorded, replayed offline.

A loopback OpenAI-compatible server stands in for NIM / vLLM / Ollama. The run must send one
request per role and round, blend the answers into reviews.parquet, record them in the ledger,
and replay them with `review.llm.offline` and no server at all, byte for byte; the key never
reaches an output.
"""

from __future__ import annotations

import json
import shutil

import pyarrow.parquet as pq
import pytest

from sovereign.review.llm_review import PROMPT_VERSION, prompts_sha256
from support.fake_llm import DEAD_URL, FakeLlm
from support.workflow import fixture_snapshot, make_workdir, result_bytes, snakemake

pytestmark = pytest.mark.slow

KEY_ENV = "SOVEREIGN_TEST_LLM_KEY"
CANARY = "sk-canary-7f3a9c41d2e8b6a5"
ROWS = [["routing", "How does expert routing affect VQA accuracy?", "2026-05-28"]]


def llm_workdir(root, url, **llm):
    search = {"backend": "snapshot", "snapshot": str(fixture_snapshot(root / "snap.jsonl"))}
    review = {"llm": {"url": url, "model": "fake-reviewer", "api_key_env": KEY_ENV, **llm}}
    return make_workdir(root / "work", ROWS, search, review=review)


def test_llm_reviewer_is_used_recorded_and_replayed_offline(tmp_path):
    with FakeLlm() as server:
        workdir = llm_workdir(tmp_path, server.url)
        snakemake(workdir, "-c", "2", env={KEY_ENV: CANARY})
        first = result_bytes(workdir)
        sent = len(server.requests)
    rows = pq.read_table(workdir / "results/routing/reviews.parquet").to_pylist()
    scored = [r for r in rows if r["seq"] == 0 and r["role"] != "TRIBUNAL"]
    rounds = {r["round"] for r in scored}
    assert sent == 3 * len(rounds)  # one request per role and round
    assert {r["reviewer"] for r in scored} == {"rules+llm:fake-reviewer"}
    assert all(r["prompt_sha256"] and r["ledger_key"] for r in scored)
    assert any(r["criterion"] == "llm" for r in rows)
    for _path, headers, body in server.requests:
        assert headers["Authorization"] == f"Bearer {CANARY}"
        assert body["temperature"] == 0 and body["model"] == "fake-reviewer"
    for name, data in first.items():
        assert CANARY.encode() not in data, name
    record = json.loads((workdir / "results/routing/record.json").read_text(encoding="utf-8"))
    method = record["provenance"]["review_method"]
    assert f"prompts {PROMPT_VERSION}, sha256 {prompts_sha256()}" in method
    assert "rules+llm:fake-reviewer" in method
    ledger = workdir / "ledger" / "llm-review"
    assert len(list(ledger.rglob("*.json"))) == sent

    # Outputs gone, no server, offline: the review replays from the ledger, byte for byte.
    shutil.rmtree(workdir / "results")
    snakemake(
        workdir, "-c", "2", "--config", f"review={{llm: {{url: '{DEAD_URL}', offline: true}}}}"
    )
    assert result_bytes(workdir) == first


def test_offline_llm_reviewer_with_an_empty_ledger_fails_naming_the_fix(tmp_path):
    workdir = llm_workdir(tmp_path, DEAD_URL, offline=True)
    proc = snakemake(workdir, "-c", "1", check=False)
    assert proc.returncode != 0
    assert "llm-review" in proc.stderr and "offline" in proc.stderr
    assert not (workdir / "results/routing/reviews.parquet").exists()
