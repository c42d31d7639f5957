"""`sovereign corpus` and the shipped default corpus: every record once, verbatim, in id order,
the same bytes on every build; the shipped file is what its SOURCE.md says and what the project
script makes from ../shared."""

import json
import lzma
import re

import pytest
from test_snapshot import rec, write_jsonl

from sovereign.errors import InputFileError
from sovereign.search.corpus import build_corpus, content_sha256
from sovereign.search.snapshot import load_snapshot
from support.paths import CS_DAILY, REPO, requires_shared

SHIPPED = REPO / "resources" / "corpus" / "arxiv-cs-daily.jsonl.xz"
SOURCE_NOTE = REPO / "resources" / "corpus" / "SOURCE.md"


def sources(tmp_path):
    v1 = rec("2501.00002", "Old", "v1 text", versions=[{"version": "v1"}], categories="cs.CL")
    v2 = rec(
        "2501.00002",
        "New",
        "v2",
        versions=[{"version": "v1"}, {"version": "v2"}],
        categories="cs.CL",
    )
    write_jsonl(tmp_path / "a" / "x.jsonl", [rec("2501.00009", "Z", "z"), v1, {"note": "no id"}])
    write_jsonl(tmp_path / "a" / "y.jsonl", [v2, rec("2501.00001", "First", "seen first")])
    write_jsonl(
        tmp_path / "b.jsonl",
        [
            rec("2501.00001", "Second", "seen later"),
            rec("2501.00005", "Bio", "q", categories="q-bio.GN cs.LG"),
        ],
    )
    return [tmp_path / "a", tmp_path / "b.jsonl"]


def test_every_record_once_verbatim_in_id_order(tmp_path):
    summary = build_corpus(sources(tmp_path), tmp_path / "c.jsonl")
    lines = (tmp_path / "c.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["id"] for r in records] == ["2501.00001", "2501.00002", "2501.00005", "2501.00009"]
    # the highest version; else the first seen (sources in order, files sorted within each)
    assert records[1]["title"] == "New" and records[0]["title"] == "First"
    assert lines[0] == json.dumps(rec("2501.00001", "First", "seen first"))
    assert summary["records"] == 4
    # the papers a search of the corpus sees are those a search of the sources saw
    assert load_snapshot(tmp_path / "c.jsonl")[0][:2] == load_snapshot(tmp_path / "a")[0][:2]


def test_categories_keep_primary_and_cross_listed_papers_by_prefix(tmp_path):
    build_corpus(sources(tmp_path), tmp_path / "cl.jsonl", categories=("cs.CL",))
    assert [json.loads(x)["id"] for x in (tmp_path / "cl.jsonl").read_text().splitlines()] == [
        "2501.00002"
    ]
    build_corpus(sources(tmp_path), tmp_path / "cs.jsonl", categories=("cs.LG",))
    kept = [json.loads(x)["id"] for x in (tmp_path / "cs.jsonl").read_text().splitlines()]
    assert kept == ["2501.00001", "2501.00005", "2501.00009"]  # 00005 is cross-listed in cs.LG
    with pytest.raises(InputFileError, match="in the categories math.AG"):
        build_corpus(sources(tmp_path), tmp_path / "none.jsonl", categories=("math.AG",))
    assert not (tmp_path / "none.jsonl").exists()


@pytest.mark.parametrize("suffix", [".jsonl.xz", ".jsonl.gz", ".jsonl.bz2"])
def test_compressed_corpora_are_the_same_bytes_on_every_build(tmp_path, suffix):
    first = build_corpus(sources(tmp_path), tmp_path / f"one{suffix}")
    second = build_corpus(sources(tmp_path), tmp_path / f"two{suffix}")
    assert (tmp_path / f"one{suffix}").read_bytes() == (tmp_path / f"two{suffix}").read_bytes()
    assert first == second
    plain = build_corpus(sources(tmp_path), tmp_path / "plain.jsonl")
    assert content_sha256(tmp_path / f"one{suffix}") == (4, plain["content_sha256"])
    assert not list(tmp_path.glob(".one*"))  # no temporary file left beside it


def _recorded() -> dict[str, str]:
    note = SOURCE_NOTE.read_text(encoding="utf-8")
    return {
        "records": re.search(r"\| records \| (\d+) ", note).group(1),
        "sha256": re.search(r"sha256 `([0-9a-f]{64})`", note).group(1),
        "bytes": re.search(r"\| JSON lines \| (\d+) bytes", note).group(1),
        "file": re.search(r"\| file \| xz, (\d+) bytes", note).group(1),
    }


def test_the_shipped_corpus_is_what_its_source_note_says():
    recorded = _recorded()
    records, digest = content_sha256(SHIPPED)
    assert (str(records), digest) == (recorded["records"], recorded["sha256"])
    assert len(lzma.decompress(SHIPPED.read_bytes())) == int(recorded["bytes"])
    assert SHIPPED.stat().st_size == int(recorded["file"])
    assert SHIPPED.stat().st_size < 5_000_000  # small enough to commit


@requires_shared
def test_the_project_script_rebuilds_the_shipped_corpus_from_shared(tmp_path):
    summary = build_corpus([CS_DAILY], tmp_path / "rebuilt.jsonl.xz")
    assert summary["content_sha256"] == _recorded()["sha256"]
    assert summary["records"] == int(_recorded()["records"])
    # the same records the evaluation corpus gives a search: nothing lost, nothing changed
    assert load_snapshot(SHIPPED)[0] == load_snapshot(CS_DAILY)[0]
