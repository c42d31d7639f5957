"""The on-disk snapshot index: exact BM25, independent of how it was built, safe when damaged,
built once per snapshot by the workflow and rebuilt only when the snapshot changes."""

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest
from test_snapshot import rec, write_jsonl

from sovereign.errors import InputFileError
from sovereign.search.queries import Query, expand
from sovereign.search.records import paper_date
from sovereign.search.snapshot import load_snapshot
from sovereign.search.snapshot_build import build_index
from sovereign.search.snapshot_files import INDEX_FILES, index_dir
from sovereign.search.snapshot_index import BM25_B, BM25_K1, SnapshotIndex
from sovereign.search.snapshot_tokenize import search_text
from sovereign.text.normalize import search_words
from support.paths import CS_DAILY, SHEET_QUESTIONS, requires_shared
from support.workflow import fixture_snapshot, make_workdir, snakemake


def files(directory):
    return {name: (directory / name).read_bytes() for name in INDEX_FILES}


def brute_force(papers, query, max_results, as_of):
    """The ranking rule written plainly, over every paper: the index must agree exactly."""
    texts = [search_text(p) for p in papers]
    tokens = [t.split() for t in texts]
    lengths = np.array([len(t) for t in tokens], dtype=np.float64)
    norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths / max(lengths.mean(), 1.0))
    df: dict[str, int] = {}
    for toks in tokens:
        for word in set(toks):
            df[word] = df.get(word, 0) + 1
    scores = [0.0] * len(papers)
    matched = None
    for clause in query.clauses:
        words = search_words(clause)
        for word in words:
            if word not in df:
                continue
            idf = math.log(1 + (len(papers) - df[word] + 0.5) / (df[word] + 0.5))
            for d, toks in enumerate(tokens):
                tf = float(toks.count(word))
                if tf:
                    scores[d] += idf * tf * (BM25_K1 + 1) / (tf + norm[d])
        docs = {
            d
            for d, toks in enumerate(tokens)
            if words
            and all(w in toks for w in words)
            and (len(words) == 1 or f" {' '.join(words)} " in f" {texts[d]} ")
        }
        if matched is None:
            matched = docs
        else:
            matched = matched & docs if query.operator == "AND" else matched | docs
    dates = [paper_date(p) for p in papers]  # published, else the id's month end
    keep = [d for d in matched or () if not as_of or dates[d] is None or dates[d] <= as_of]
    keep.sort(key=lambda d: (-round(scores[d], 9), papers[d]["arxiv_id"]))
    return [(papers[d]["arxiv_id"], scores[d]) for d in keep[:max_results]]


@requires_shared
def test_rankings_equal_a_brute_force_bm25_on_real_listings(tmp_path):
    snapshot = CS_DAILY / "topic_moe_routing.jsonl"
    build_index(snapshot, tmp_path / "index")
    index = SnapshotIndex(tmp_path / "index")
    papers, _ = load_snapshot(snapshot)
    questions = [q for _qid, q, _as_of in SHEET_QUESTIONS]
    checked = 0
    for question in questions:
        for query in expand(question):
            for as_of in (None, "2025-06-30"):
                hits = index.search(query, 25, as_of)
                got = [(index.paper(h.position)[0]["arxiv_id"], h.score) for h in hits]
                assert got == brute_force(papers, query, 25, as_of), (question, query)
                checked += len(got)
    assert checked > 200  # the queries really do find papers


def test_chunking_and_workers_do_not_change_a_byte(tmp_path):
    records = [
        rec(f"2501.{i:05d}", f"Routing study {i % 7}", f"Mixture of experts routing {i % 5} words")
        for i in range(60)
    ]
    records.append(rec("2501.00003", "Newer version", "mixture of experts", versions=[{}, {}]))
    snapshot = write_jsonl(tmp_path / "s.jsonl", records)
    build_index(snapshot, tmp_path / "a")
    build_index(snapshot, tmp_path / "b", workers=2, chunk_records=7)
    build_index(snapshot, tmp_path / "c", workers=1, chunk_records=1)
    assert files(tmp_path / "a") == files(tmp_path / "b") == files(tmp_path / "c")


def test_duplicates_keep_the_highest_version_with_its_source_line(tmp_path):
    v1 = rec("2501.00001", "Old title", "old", versions=[{"version": "v1", "created": ""}])
    v2 = rec("2501.00001", "New title", "new", versions=[{"version": "v1"}, {"version": "v2"}])
    write_jsonl(tmp_path / "snap" / "a.jsonl", [v2])
    write_jsonl(tmp_path / "snap" / "b" / "c.jsonl", [v1, rec("2501.00009", "Other", "title")])
    manifest = build_index(tmp_path / "snap", tmp_path / "index")
    index = SnapshotIndex(tmp_path / "index")
    assert manifest["snapshot"]["records"] == 3 and len(index) == 2
    assert [f["name"] for f in manifest["snapshot"]["files"]] == ["a.jsonl", "b/c.jsonl"]
    hits = index.search(Query(0, "k", "OR", ("title",)), 10, None)
    assert [index.paper(h.position) for h in hits][0][0]["title"] == "New title"
    assert sorted(index.paper(h.position)[1] for h in hits) == ["a.jsonl:1", "b/c.jsonl:2"]
    # the older version is searchable by none of its words
    assert index.search(Query(0, "k", "OR", ("old",)), 10, None) == []


def test_a_snapshot_without_arxiv_ids_is_refused_and_leaves_no_index(tmp_path):
    snapshot = write_jsonl(tmp_path / "s.jsonl", [{"title": "no id"}, {"id": None}])
    with pytest.raises(InputFileError) as err:
        build_index(snapshot, tmp_path / "index")
    assert err.value.message == (
        f"{snapshot}: no record in the snapshot has an arXiv id, so there is nothing to search\n"
        "  fix: point search.snapshot at arXiv metadata: JSON lines with an `id` field, such as "
        "the Kaggle arxiv-metadata-oai-snapshot.json"
    )
    assert not list(tmp_path.glob("index/*"))


def test_a_line_that_is_no_json_object_stops_the_build_by_name(tmp_path):
    # skipped, a file written as one JSON array would give an empty index without a word
    snapshot = write_jsonl(tmp_path / "s.jsonl", [rec("2501.00001", "Routing", "experts"), [1, 2]])
    with pytest.raises(InputFileError) as err:
        build_index(snapshot, tmp_path / "index", workers=2)
    assert err.value.message == (
        f"{snapshot}:2: an array, not a JSON record (an object)\n"
        "  fix: write one JSON object per line (JSON lines); a file holding one JSON array of "
        "records converts with `jq -c '.[]' FILE`"
    )
    assert not (tmp_path / "index" / "index.json").exists()


@pytest.mark.parametrize(
    "damage",
    [
        "truncate postings_doc.npy",
        "truncate text.bin",
        "remove terms.bin",
        "garble index.json",
        "list index.json",
        "other format",
    ],
)
def test_a_damaged_index_is_named_with_how_to_rebuild_it(tmp_path, damage):
    snapshot = write_jsonl(tmp_path / "s.jsonl", [rec("2501.00001", "Routing", "experts")] * 3)
    out = tmp_path / "index"
    build_index(snapshot, out)
    action, name = damage.split(" ", 1)
    if action == "truncate":
        data = (out / name).read_bytes()
        (out / name).write_bytes(data[: len(data) - 9])
    elif action == "remove":
        (out / name).unlink()
    elif action == "garble":
        (out / name).write_text("{not json")
    elif action == "list":
        (out / name).write_text("[]")
    else:
        manifest = json.loads((out / "index.json").read_text())
        (out / "index.json").write_text(json.dumps({**manifest, "format": "old/0"}))
    with pytest.raises(InputFileError) as err:
        SnapshotIndex(out)
    assert str(out) in err.value.message
    assert f"delete {out} and rerun" in err.value.message


def test_command_line_builds_and_explains_a_missing_snapshot(tmp_path):
    snapshot = write_jsonl(tmp_path / "s.jsonl", [rec("2501.00001", "Routing", "experts")])
    run = [sys.executable, "-m", "sovereign.snapshot_index"]
    done = subprocess.run(
        [*run, str(snapshot), str(tmp_path / "i")], capture_output=True, text=True
    )
    assert done.returncode == 0 and "indexed 1 papers" in done.stderr
    assert len(SnapshotIndex(tmp_path / "i")) == 1
    missing = subprocess.run(
        [*run, str(tmp_path / "nope.jsonl"), str(tmp_path / "j")], capture_output=True, text=True
    )
    assert missing.returncode == 2
    assert missing.stderr.startswith("sovereign: ") and "does not exist" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_the_workflow_builds_one_index_and_rebuilds_it_only_when_the_snapshot_changes(tmp_path):
    snapshot = fixture_snapshot(tmp_path / "snapshot.jsonl")
    rows = [
        [
            "routing",
            "How does top-k expert routing affect mixture-of-experts models?",
            "2026-01-01",
        ],
        ["balance", "Do load balancing losses improve expert utilization?", "2026-01-01"],
    ]
    search = {"backend": "snapshot", "snapshot": str(snapshot), "max_results": 20}
    workdir = make_workdir(tmp_path / "work", rows, search)
    proc = snakemake(
        workdir, "-c", "2", "results/routing/raw.parquet", "results/balance/raw.parquet"
    )
    assert proc.stderr.count("rule snapshot_index") == 1  # one index for both questions
    built = workdir / index_dir("indexes", snapshot)
    assert sorted(p.name for p in built.iterdir()) == sorted(INDEX_FILES)
    targets = ("results/routing/raw.parquet", "results/balance/raw.parquet")
    assert "Nothing to be done" in snakemake(workdir, "-n", *targets).stdout

    with snapshot.open("a", encoding="utf-8") as handle:  # the snapshot grows: rebuild
        handle.write(json.dumps(rec("2502.00001", "Expert routing", "top-k routing")) + "\n")
    proc = snakemake(workdir, "-n", *targets)
    assert "snapshot_index" in proc.stdout and "search" in proc.stdout


def test_ties_at_the_shortlist_edge_are_walked_once_each_in_order():
    # Two scores either side of a shortlist's edge that round to the same 9 places: each paper
    # comes once, in (rounded score, id) order, whatever the shortlist sizes were.
    scores = np.array([10 - 1e-8 - 2e-10, 10 - 1e-8 + 2e-10] + [10.0] * 70)
    order = [doc for doc, _score in SnapshotIndex._ranked(np.arange(len(scores)), scores)]
    assert order == [*range(2, 72), 0, 1]


def _killed(lines):
    os._exit(9)  # a worker killed mid-chunk, as the OOM killer would


def test_a_killed_worker_stops_the_build_with_a_clear_error(tmp_path, monkeypatch):
    import sovereign.search.snapshot_tokenize as snapshot_tokenize

    snapshot = write_jsonl(tmp_path / "s.jsonl", [rec("2501.00001", "Routing", "experts")] * 5)
    monkeypatch.setattr(snapshot_tokenize, "tokenize_chunk", _killed)
    with pytest.raises(InputFileError, match="worker process died"):
        build_index(snapshot, tmp_path / "index", workers=2, chunk_records=2)
    assert not (tmp_path / "index" / "index.json").exists()


def test_an_index_of_other_snapshot_files_is_refused(tmp_path):
    snapshot = write_jsonl(tmp_path / "s.jsonl", [rec("2501.00001", "Routing", "experts")])
    build_index(snapshot, tmp_path / "index")
    index = SnapshotIndex(tmp_path / "index")
    index.check_snapshot(snapshot)  # the same files: fine
    write_jsonl(snapshot, [rec("2501.00001", "Routing", "experts"), rec("2501.00002", "B", "c")])
    with pytest.raises(InputFileError, match="other snapshot files") as err:
        index.check_snapshot(snapshot)
    assert f"delete {tmp_path / 'index'} and rerun" in err.value.message


def test_a_killed_build_leaves_nothing_that_outlives_the_next_one(tmp_path):
    snapshot = write_jsonl(tmp_path / "s.jsonl", [rec("2501.00001", "Routing", "experts")])
    stale = tmp_path / "index" / ".building-old"
    (stale / "chunks").mkdir(parents=True)
    (stale / "chunks" / "0.npz").write_bytes(b"spill")
    build_index(snapshot, tmp_path / "index")
    assert not stale.exists()
    assert sorted(p.name for p in (tmp_path / "index").iterdir()) == sorted(INDEX_FILES)
