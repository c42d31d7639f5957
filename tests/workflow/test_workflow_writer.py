"""The answer's optional writer model through Snakemake: asked, checked, recorded, replayed offline.

A loopback OpenAI-compatible server stands in for the writer. It restates the first quote of the
evidence it is given, invents a citation, and states something its evidence does not support;
answer.parquet must keep the first and hold the other two as dropped, with why. With the answer
deleted and `answer.writer.offline: true`, the rerun replays the ledger, sends nothing and writes
the same bytes. Only answer.parquet is targeted: what follows it (review, report) is not run.
"""

from __future__ import annotations

import pytest

from sovereign import schemas
from sovereign.answer.model import INVENTED, KEPT, UNSUPPORTED
from sovereign.answer.rows import answer_from_rows
from sovereign.io import read_table
from support.fake_llm import INVENTED_ID, UNRELATED, FakeLlm, fake_writer
from support.workflow import fixture_snapshot, make_workdir, snakemake

pytestmark = pytest.mark.slow

ROWS = [["routing", "How does expert routing affect VQA accuracy?", "2026-05-28"]]
TARGET = "results/routing/answer.parquet"


def writer_workdir(root, url):
    search = {"backend": "snapshot", "snapshot": str(fixture_snapshot(root / "snap.jsonl"))}
    writer = {"url": url, "model": "fake-writer", "api_key_env": "SOVEREIGN_TEST_WRITER_KEY"}
    return make_workdir(root / "work", ROWS, search, answer={"writer": writer})


def test_writer_sentences_are_checked_recorded_and_replayed_offline(tmp_path, monkeypatch):
    monkeypatch.delenv("SOVEREIGN_TEST_WRITER_KEY", raising=False)
    with FakeLlm(content=fake_writer) as server:
        workdir = writer_workdir(tmp_path, server.url)
        snakemake(workdir, "-c", "2", TARGET)
        path = workdir / TARGET
        first = path.read_bytes()
        assert len(server.requests) == 1
        rows = read_table(path, schemas.ANSWER).to_pylist()
        answer = answer_from_rows(rows, str(path))
        quote_ids = {q.claim_id for q in answer.quotes}
        assert answer.quotes and {s.seq for s in answer.writer} == {0, 1, 2}
        kept, invented, unsupported = answer.writer
        assert kept.status == KEPT and answer.written == (kept,)
        assert set(kept.cites) <= quote_ids and kept.text == answer.quotes[0].text
        assert invented.status == INVENTED and INVENTED_ID in invented.detail
        assert unsupported.status == UNSUPPORTED and unsupported.text == UNRELATED
        assert "verifier: NEUTRAL for every cited quote" in unsupported.detail
        assert len({s.ledger_key for s in answer.writer}) == 1 and kept.ledger_key
        ledger = workdir / "ledger" / "llm-writer"
        assert [p.stem for p in ledger.rglob("*.json")] == [kept.ledger_key]
        assert not (workdir / "results/routing/reviews.parquet").exists()
        log = (workdir / "logs/answer/routing.log").read_text(encoding="utf-8")
        assert "3 sentences written, 1 kept; dropped: 0 uncited, 1 invented_citation" in log

        # The answer gone, the writer offline: replayed from the ledger, byte for byte.
        path.unlink()
        offline = "answer={writer: {offline: true}}"
        snakemake(workdir, "-c", "2", TARGET, "--config", offline)
        assert len(server.requests) == 1
        assert path.read_bytes() == first
