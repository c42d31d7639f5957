"""Gate 2 re-runs a live arXiv search too: the bundle carries the arXiv answers the search read
(a query's empty answer included, which no raw row points to) instead of the raw stage, and the
verification replays the search from them and compares raw.parquet with every later output.

A question searched live against a loopback arXiv (one of its queries finds nothing), then
`snakemake gate2` with the server gone: VERIFIED, with the scope saying search was reproduced; a
consistent forgery that drops the empty answer is UNVERIFIED (the re-run would need arXiv), one
that edits a title in a recorded answer is FAILED naming raw.parquet.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil

import pytest
import yaml

from sovereign.gate2.archive import read_archive
from sovereign.gate2.bundle import OUTPUTS_WITH_SEARCH
from sovereign.gate2.verdict import SCOPE_WITH_SEARCH
from sovereign.gate2.verify import verify
from support.bundles import requires_sandbox, tampered
from support.fake_arxiv import FakeArxiv
from support.fixture_papers import PAPERS
from support.workflow import make_workdir, snakemake

pytestmark = [pytest.mark.slow, requires_sandbox]

QID = "balance"
# Its phrase query ("improve expert utilization") finds none of the fixture papers.
ROWS = [[QID, "Does load balancing improve expert utilization?", "2026-05-28"]]
ARXIV = "work/ledger/arxiv-api/"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A live search against the fake arXiv and the rest of the run; then, with the server
    gone, `snakemake gate2`."""
    root = tmp_path_factory.mktemp("gate2-search")
    with FakeArxiv(PAPERS) as fake:
        search = {
            "backend": "arxiv",
            "arxiv_url": fake.url,
            "contact": "mailto:ci@example.org",
            "min_interval": 0,
            "max_results": 5,
        }
        # e-prints would be asked of arxiv.org: full text is tested against its own fake
        wd = make_workdir(root / "work", ROWS, search, fulltext={"source": "off"})
        snakemake(wd, "-c2")
    snakemake(wd, "-c2", "gate2")
    return wd


def bundle_of(wd):
    return wd / "results" / QID / "gate2" / "bundle.tar.gz"


def arxiv_entries(members, *, hits: bool):
    """The bundled arXiv answers with hits (or without), by member name."""
    found = {}
    for name in sorted(members):
        if name.startswith(ARXIV):
            record = json.loads(members[name])
            if ("<entry>" in record["body"]) == hits:
                found[name] = record
    return found


def test_the_search_is_replayed_from_the_bundle_and_verifies(built):
    members = read_archive(bundle_of(built))
    manifest = json.loads(members["manifest.json"])
    assert not [n for n in members if n.startswith("work/results/")]  # no frozen raw stage
    assert set(manifest["outputs"]) == set(OUTPUTS_WITH_SEARCH)
    assert members["expected/raw.parquet"] == (built / "results" / QID / "raw.parquet").read_bytes()
    config = yaml.safe_load(members["work/config/config.yaml"])
    assert config["search"]["backend"] == "replay"
    assert config["gate2"]["frozen_search"] is False
    assert manifest["missing_ledger"] == []
    # the empty answer of the phrase query is carried though no row points to it
    assert len(arxiv_entries(members, hits=False)) == 1
    assert len(arxiv_entries(members, hits=True)) == 3
    assert "every stage, search included" in " ".join(members["README.txt"].decode().split())

    verdict = json.loads((built / "results" / QID / "gate2" / "verdict.json").read_text())
    assert verdict["status"] == "VERIFIED", verdict
    assert verdict["scope"] == SCOPE_WITH_SEARCH
    assert "raw.parquet" in verdict["stage_sha256"]
    # the next run's record shows the verdict: its stage files are the ones verified
    snakemake(built, "-c2")
    record = json.loads((built / "results" / QID / "record.json").read_text())
    assert record["gate2"]["status"] == "VERIFIED", record["gate2"]


def test_building_twice_gives_the_same_bytes(built, tmp_path):
    """The search replayed at build time changes nothing between two builds (in a copy, after
    the record took the verdict in, so both builds see the same corrections)."""
    wd = tmp_path / "wd"
    shutil.copytree(built, wd, symlinks=True)
    snakemake(wd, "-c2")
    target = str(bundle_of(wd).relative_to(wd))
    snakemake(wd, "-c1", target)
    first = bundle_of(wd).read_bytes()
    bundle_of(wd).unlink()
    snakemake(wd, "-c1", target)
    assert bundle_of(wd).read_bytes() == first


def test_a_bundle_without_the_empty_answer_is_unverified(built, tmp_path):
    """The page no row points to, forged away consistently: the re-run's search misses it."""
    members = read_archive(bundle_of(built))
    (empty,) = arxiv_entries(members, hits=False)
    bad = tampered(
        bundle_of(built), tmp_path / "noempty.tar.gz", lambda m: m.pop(empty), fix_manifest=True
    )
    verdict = verify(bad)
    assert verdict["status"] == "UNVERIFIED", verdict
    assert "needs the network" in verdict["reason"]
    assert "improve expert utilization" in verdict["reason"]  # the query it missed


def test_an_edited_arxiv_answer_fails_naming_the_raw_stage(built, tmp_path):
    """A title changed in a recorded answer, its sha256 and the manifest updated to match: the
    replayed search gives another raw.parquet."""
    name, record = next(iter(arxiv_entries(read_archive(bundle_of(built)), hits=True).items()))
    body = re.sub(r"(<entry>.*?<title>)", r"\1Forged ", record["body"], count=1, flags=re.S)
    assert body != record["body"]
    forged = {**record, "body": body}
    forged["body_sha256"] = hashlib.sha256(body.encode("utf-8")).hexdigest()

    def edit(members):
        members[name] = (json.dumps(forged, sort_keys=True, indent=1) + "\n").encode()

    bad = tampered(bundle_of(built), tmp_path / "title.tar.gz", edit, fix_manifest=True)
    verdict = verify(bad)
    assert verdict["status"] == "FAILED", verdict
    files = {f["file"] for f in verdict["files"]}
    assert "raw.parquet" in files and "raw.parquet" in verdict["reason"]


def test_a_search_the_ledger_no_longer_replays_is_frozen_instead(built, tmp_path):
    """The empty answer gone from the ledger before the bundle is built: the search cannot be
    re-run, so the bundle freezes the raw stage (as for a snapshot search), says so in the build
    log, and verifies the stages after search."""
    wd = tmp_path / "wd"
    shutil.copytree(built, wd, symlinks=True)
    snakemake(wd, "-c2")  # the record with the verdict, so the bundle's inputs are settled
    members = read_archive(bundle_of(wd))
    (empty,) = arxiv_entries(members, hits=False)
    (wd / "ledger" / empty.removeprefix("work/ledger/")).unlink()
    bundle_of(wd).unlink()
    snakemake(wd, "-c1", str(bundle_of(wd).relative_to(wd)))
    log = (wd / "logs" / "gate2_bundle" / f"{QID}.log").read_text()
    assert "the raw stage is frozen instead" in log
    frozen = read_archive(bundle_of(wd))
    assert f"work/results/{QID}/raw.parquet" in frozen
    manifest = json.loads(frozen["manifest.json"])
    assert "raw.parquet" not in manifest["outputs"]
    config = yaml.safe_load(frozen["work/config/config.yaml"])
    assert config["gate2"]["frozen_search"] is True
    verdict = verify(bundle_of(wd))
    assert verdict["status"] == "VERIFIED", verdict["reason"]
    assert verdict["scope"] != SCOPE_WITH_SEARCH


def test_a_manifest_that_claims_a_rerun_search_must_replay_it(built, tmp_path):
    """The config edited to freeze the search (and a raw stage added) while the manifest still
    lists raw.parquet as re-run: refused before anything runs."""

    def freeze(members):
        config = yaml.safe_load(members["work/config/config.yaml"])
        config["gate2"]["frozen_search"] = True
        members["work/config/config.yaml"] = yaml.safe_dump(config).encode()
        members[f"work/results/{QID}/raw.parquet"] = members["expected/raw.parquet"]

    bad = tampered(bundle_of(built), tmp_path / "frozen.tar.gz", freeze, fix_manifest=True)
    verdict = verify(bad)
    assert verdict["status"] == "FAILED", verdict
    problems = {f["file"]: f["problem"] for f in verdict["files"]}
    assert problems["work/config/config.yaml"].startswith("does not replay the search")
    assert problems[f"work/results/{QID}/raw.parquet"].startswith("a frozen raw stage")
