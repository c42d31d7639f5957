"""What a bundle does with the question's search: an arXiv search (live or replayed) is re-run
from the ledger entries its replay reads, empty answers included; a snapshot search stays frozen.
The verdict's scope and the bundle's README say which, and the record still matches a verdict
that reproduced raw.parquet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sovereign import schemas
from sovereign.contracts import Question
from sovereign.gate2.bundle import (
    LAYOUTS,
    OUTPUTS,
    OUTPUTS_WITH_SEARCH,
    bundle_config,
    ledger_entries,
    readme,
)
from sovereign.gate2.search_replay import gives_back, replay_search, replays_search
from sovereign.gate2.verdict import SCOPE_FROZEN_SEARCH, SCOPE_WITH_SEARCH, scope, verdict_of
from sovereign.io import write_table
from sovereign.net.ledger import Ledger, RecordingLedger
from sovereign.report.provenance import gate2
from sovereign.search.arxiv_api import SERVICE, check_feed
from sovereign.search.settings import Settings
from sovereign.search.stage import search_arxiv
from support.fake_arxiv import FakeArxiv
from support.fixture_papers import PAPERS
from support.settings import default_config

# Its phrase query ("improve expert utilization") finds nothing in the fixture papers.
QUESTION = {
    "question_id": "balance",
    "question": "Does load balancing improve expert utilization?",
    "as_of": "2026-05-28",
}


def config(backend: str, **search) -> dict:
    return default_config(search={"backend": backend, "contact": "x", **search})


@pytest.mark.parametrize("backend", ["arxiv", "replay"])
def test_an_arxiv_search_is_replayed_in_the_bundle(backend):
    out = bundle_config(config(backend, arxiv_url="https://user:pw@arxiv.test/api/query"))
    assert out["search"]["backend"] == "replay"
    assert out["search"]["arxiv_url"] == "https://arxiv.test/api/query"
    assert out["search"]["snapshot"] is None
    assert out["gate2"]["frozen_search"] is False
    assert out["ledger"] == "ledger"


def test_a_snapshot_search_stays_frozen(tmp_path):
    out = bundle_config(config("snapshot", snapshot=str(tmp_path / "snap.jsonl")))
    assert out["search"]["backend"] == "snapshot"
    assert out["search"]["snapshot"] is None
    assert out["gate2"]["frozen_search"] is True
    # inside a bundle whose search was frozen, a bundle of it would freeze it too
    assert not replays_search(config("replay", snapshot=None) | {"gate2": {"frozen_search": True}})


def test_the_raw_stage_is_the_first_output_of_the_new_layout_and_old_layouts_stay():
    assert ("raw.parquet", *OUTPUTS) == OUTPUTS_WITH_SEARCH
    assert LAYOUTS[0] == OUTPUTS_WITH_SEARCH and OUTPUTS in LAYOUTS
    assert "raw.parquet" not in OUTPUTS


def test_the_readme_says_what_is_re_run():
    assert max(len(line) for line in (readme(True) + readme(False)).splitlines()) <= 98
    replayed, frozen = (" ".join(readme(flag).split()) for flag in (True, False))
    assert "every stage, search included" in replayed and "work/ledger/arxiv-api/" in replayed
    assert "every stage after search (search is frozen" in frozen
    assert "python -m sovereign.reproduce bundle.tar.gz" in replayed


def manifest(outputs, members=()):
    return {
        "question": QUESTION,
        "outputs": {name: "0" * 64 for name in outputs},
        "members": {name: "0" * 64 for name in members},
        "identity": "1" * 64,
    }


def test_the_scope_follows_the_manifests_outputs():
    assert scope(manifest(OUTPUTS_WITH_SEARCH)) == SCOPE_WITH_SEARCH
    assert scope(manifest(OUTPUTS)) == SCOPE_FROZEN_SEARCH  # a snapshot search, an old bundle
    # raw.parquet as an output while the bundle also carries it frozen: only copied back
    frozen = manifest(OUTPUTS_WITH_SEARCH, ["work/results/balance/raw.parquet"])
    assert scope(frozen) == SCOPE_FROZEN_SEARCH
    assert scope({}) == SCOPE_FROZEN_SEARCH  # an unreadable manifest claims nothing
    verdict = verdict_of(manifest(OUTPUTS_WITH_SEARCH), b"bundle", status="VERIFIED")
    assert verdict["scope"] == SCOPE_WITH_SEARCH
    assert "raw.parquet" in verdict["stage_sha256"]


def test_the_record_matches_a_verdict_that_reproduced_the_raw_stage():
    stage_files = {name: f"{i:064x}" for i, name in enumerate(OUTPUTS_WITH_SEARCH)}
    parquet = {k: v for k, v in stage_files.items() if k.endswith(".parquet")}
    entry = {
        "seq": 1,
        "date": "2026-06-01",
        "kind": "gate2",
        "summary": "Gate 2 sandbox reproduction: VERIFIED.",
        "details": {"status": "VERIFIED", "evaluated": "2026-06-01", "stage_sha256": parquet},
    }
    assert gate2([entry], stage_files)["status"] == "VERIFIED"
    assert gate2([entry], {**stage_files, "raw.parquet": "f" * 64})["status"] == "UNVERIFIED"


def settings(ledger: Path, url: str) -> Settings:
    cfg = config("arxiv", arxiv_url=url, min_interval=0.0, max_results=5)
    return Settings.from_config({**cfg, "ledger": str(ledger)})


@pytest.fixture
def searched(tmp_path):
    """A live search of QUESTION against the fake arXiv, recorded in tmp_path/ledger, its rows
    written as raw.parquet."""
    ledger = tmp_path / "ledger"
    with FakeArxiv(PAPERS) as fake:
        rows = search_arxiv(Question(**QUESTION), settings(ledger, fake.url), lambda _m: None)
        url = fake.url
    raw = tmp_path / "raw.parquet"
    write_table(rows, schemas.RAW, raw, schemas.RAW_SORT)
    return ledger, raw, rows, config("arxiv", arxiv_url=url, min_interval=0.0, max_results=5)


def empty_pages(ledger: Path) -> list[str]:
    """The recorded arXiv pages with no hits."""
    found = []
    for path in sorted((ledger / SERVICE).rglob("*.json")):
        entry = Ledger(ledger).get(SERVICE, json.loads(path.read_text())["request"])
        if check_feed(entry.body, 0).entries == 0:
            found.append(entry.key)
    return found


def test_the_replay_reads_every_page_and_gives_back_the_raw_stage(searched):
    ledger, raw, rows, cfg = searched
    replay = replay_search(QUESTION, cfg, ledger)  # the fake is gone: the ledger only
    assert replay.miss is None and replay.rows == rows
    assert gives_back(replay.rows, raw)
    referenced = {r["ledger_key"] for r in rows}
    empty = empty_pages(ledger)
    assert empty and not set(empty) & referenced  # the zero-hit page no row points to
    assert set(replay.keys) == referenced | set(empty)
    members, missing = ledger_entries(Ledger(ledger), rows, [], {}, [], search_keys=replay.keys)
    assert missing == []
    assert {f"work/ledger/{SERVICE}/{k[:2]}/{k}.json" for k in empty} <= set(members)


def test_a_page_the_ledger_lacks_is_named_as_missing(searched):
    ledger, _raw, rows, cfg = searched
    gone = empty_pages(ledger)[0]
    Ledger(ledger).path(SERVICE, gone).unlink()
    replay = replay_search(QUESTION, cfg, ledger)
    assert replay.rows is None and "improve expert utilization" in replay.miss
    assert replay.keys[-1] == gone
    _members, missing = ledger_entries(Ledger(ledger), rows, [], {}, [], search_keys=replay.keys)
    assert missing == [f"{SERVICE}/{gone[:2]}/{gone}.json"]


def test_a_replay_that_differs_from_the_raw_stage_is_told(searched):
    ledger, raw, rows, cfg = searched
    write_table(rows[1:], schemas.RAW, raw, schemas.RAW_SORT)
    replay = replay_search(QUESTION, cfg, ledger)
    assert not gives_back(replay.rows, raw)


def test_the_recording_ledger_remembers_found_and_missed(tmp_path):
    ledger = RecordingLedger(tmp_path)
    ledger.put("svc", {"a": 1}, status=200, retrieved_at="t", body=b"x", url="")
    assert ledger.get("svc", {"a": 1}) is not None and ledger.get("svc", {"a": 2}) is None
    assert [s for s, _k in ledger.found] == ["svc"] and len(ledger.missed) == 1
