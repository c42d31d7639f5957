import json

import pytest

from sovereign.errors import InputFileError
from sovereign.search.queries import Query
from sovereign.search.snapshot import load_snapshot
from sovereign.search.snapshot_build import build_index
from sovereign.search.snapshot_index import SnapshotIndex
from support.paths import CS_DAILY, SHARED_DATA, requires_shared


def write_jsonl(path, records):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def rec(pid, title, abstract, **extra):
    return {"id": pid, "title": title, "abstract": abstract, "categories": "cs.LG", **extra}


CORPUS = [
    rec("2501.00001", "Expert routing", "Sparse mixture of experts with top-k routing."),
    rec("2501.00002", "Dense models", "Dense transformers without experts."),
    rec("2501.00003", "Routing networks", "Packet routing in computer networks."),
    rec("2501.00004", "Load balancing", "Mixture of experts needs load balancing of experts."),
    rec("2601.00005", "Late routing paper", "Mixture of experts routing, submitted late."),
]


def indexed(snapshot, tmp_path):
    """The snapshot's index, built into a fresh directory and opened."""
    out = tmp_path / f"index-{len(list(tmp_path.glob('index-*')))}"
    build_index(snapshot, out)
    return SnapshotIndex(out)


@pytest.fixture
def index(tmp_path):
    return indexed(write_jsonl(tmp_path / "s.jsonl", CORPUS), tmp_path)


def ids(index, hits):
    return [index.paper(h.position)[0]["arxiv_id"] for h in hits]


def test_or_query_ranks_by_bm25_and_respects_as_of(index):
    hits = index.search(Query(0, "keywords", "OR", ("routing", "experts")), 10, "2025-12-31")
    assert ids(index, hits)[0] == "2501.00001"  # matches both terms, short document
    assert "2601.00005" not in ids(index, hits)  # submitted after the as-of date
    unbounded = index.search(Query(0, "keywords", "OR", ("routing",)), 10, None)
    assert "2601.00005" in ids(index, unbounded)


def test_and_query_needs_every_clause(index):
    hits = index.search(Query(3, "broad", "AND", ("routing", "networks")), 10, None)
    assert ids(index, hits) == ["2501.00003"]


def test_phrase_must_appear_in_order(index):
    hits = index.search(Query(1, "phrases", "OR", ("mixture of experts",)), 10, None)
    assert set(ids(index, hits)) == {"2501.00001", "2501.00004", "2601.00005"}
    assert index.search(Query(1, "phrases", "OR", ("experts of mixture",)), 10, None) == []


def test_max_results_and_stable_ties(tmp_path):
    same = [rec(f"2501.0{i:04d}", "Same title", "identical abstract") for i in (3, 1, 2)]
    index = indexed(write_jsonl(tmp_path / "s.jsonl", same), tmp_path)
    hits = index.search(Query(0, "k", "OR", ("identical",)), 2, None)
    assert ids(index, hits) == ["2501.00001", "2501.00002"]


def test_directory_duplicates_keep_the_highest_version(tmp_path):
    v1 = rec("2501.00001", "Old title", "old", versions=[{"version": "v1", "created": ""}])
    v2 = rec("2501.00001", "New title", "new", versions=[{"version": "v1"}, {"version": "v2"}])
    write_jsonl(tmp_path / "snap" / "a.jsonl", [v2])
    write_jsonl(tmp_path / "snap" / "b" / "c.jsonl", [v1, rec("2501.00009", "Other", "x")])
    papers, refs = load_snapshot(tmp_path / "snap")
    assert [p["arxiv_id"] for p in papers] == ["2501.00001", "2501.00009"]
    assert papers[0]["title"] == "New title" and refs == ["a.jsonl:1", "b/c.jsonl:2"]


def test_bad_json_line_names_file_and_line(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps(CORPUS[0]) + "\n\n{not json\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"s\.jsonl:3") as err:
        load_snapshot(path)
    assert "repair or remove" in err.value.message


def test_missing_and_empty_snapshots_say_what_to_do(tmp_path):
    with pytest.raises(InputFileError, match="does not exist"):
        load_snapshot(tmp_path / "nope.jsonl")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputFileError, match=r"no \.jsonl, \.json or \.ndjson files"):
        load_snapshot(tmp_path / "empty")
    # zero bytes is an interrupted download or copy, not a snapshot of no papers
    (tmp_path / "empty" / "a.jsonl").write_bytes(b"")
    with pytest.raises(InputFileError) as err:
        load_snapshot(tmp_path / "empty")
    assert err.value.problem == "the directory's one snapshot file, a.jsonl, is empty"
    (tmp_path / "empty" / "b.json").write_bytes(b"")
    with pytest.raises(InputFileError, match="all 2 snapshot files in the directory are empty"):
        load_snapshot(tmp_path / "empty")
    with pytest.raises(InputFileError, match=r"a\.jsonl: the snapshot file is empty \(0 bytes\)"):
        load_snapshot(tmp_path / "empty" / "a.jsonl")
    write_jsonl(tmp_path / "empty" / "c.jsonl", CORPUS[:1])  # one file with records is enough
    assert len(load_snapshot(tmp_path / "empty")[0]) == 1


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (json.dumps(CORPUS[:2]), "an array, not a JSON record (an object)"),
        ('"2501.00001"', "a single value, not a JSON record (an object)"),
        (
            json.dumps(rec("2501.00009", "T", "A", authors_parsed=[[1, 2, 3]])),
            "field 'authors_parsed' has an unexpected type or value "
            "(expected string or bytes-like object, got 'int')",
        ),
    ],
)
def test_lines_that_are_no_record_are_refused_by_name(tmp_path, line, problem):
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps(CORPUS[0]) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(InputFileError) as err:
        load_snapshot(path)
    assert (err.value.where, err.value.problem) == (f"{path}:2", problem)


@requires_shared
def test_shared_daily_listings_deduplicate_on_id():
    papers, _ = load_snapshot(CS_DAILY / "days")
    unique = set()
    for path in sorted((CS_DAILY / "days").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            unique.add(json.loads(line)["id"])
    assert len(papers) == len(unique) == 5670  # SOURCE.md: 7,037 lines, 5,670 unique ids


@requires_shared
def test_mixed_dialect_snapshot_directory(tmp_path):
    # The Kaggle sample and the API-field ML set searched together, by path.
    index = indexed(SHARED_DATA / "arxiv_kaggle_sample", tmp_path)
    hits = index.search(Query(0, "keywords", "OR", ("diphoton", "tevatron")), 5, None)
    assert ids(index, hits)[0] == "0704.0001"
    ml = indexed(SHARED_DATA / "arxiv_ml_stars", tmp_path)
    hits = ml.search(Query(1, "phrases", "OR", ("mixture of experts",)), 50, "2024-12-31")
    assert len(hits) >= 5


def test_phrases_do_not_match_across_title_and_abstract(tmp_path):
    records = [rec("2501.00001", "Routing for Mixture", "Experts are routed.")]
    index = indexed(write_jsonl(tmp_path / "s.jsonl", records), tmp_path)
    assert index.search(Query(1, "phrases", "OR", ("mixture experts",)), 5, None) == []
    assert index.search(Query(1, "phrases", "OR", ("mixture routing",)), 5, None) == []
    assert len(index.search(Query(1, "phrases", "OR", ("routing for mixture",)), 5, None)) == 1


def test_undecodable_bytes_and_odd_field_types_name_the_line(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_bytes(json.dumps(CORPUS[0]).encode() + b"\n" + b'{"id": "caf\xe9"}\n')
    with pytest.raises(
        InputFileError, match=r"s\.jsonl:2: not UTF-8 text \(byte 0xe9 at column 12\)"
    ):
        load_snapshot(path)
    with pytest.raises(InputFileError, match=r"s\.jsonl:2.*UTF-8"):
        build_index(path, tmp_path / "index", workers=2)
    write_jsonl(path, [dict(CORPUS[0], authors_parsed=[[1, 2, 3]])])
    with pytest.raises(InputFileError, match=r"s\.jsonl:1.*unexpected type"):
        load_snapshot(path)
    assert not (tmp_path / "index" / "index.json").exists()  # no half-built index is left
