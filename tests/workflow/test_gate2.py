"""Gate 2 end to end: bundles built by the real workflow, verified offline by the real command.

A bundle must verify (VERIFIED) from another directory and as a copied tarball; a changed byte of
an output, of the frozen raw stage or of the code must give FAILED naming the file; a missing
ledger entry must give UNVERIFIED naming the request; two builds must give the same bytes; the
verdict goes to the corrections once per identity, and the record shows it.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sovereign.errors import InputFileError
from sovereign.gate2.archive import read_archive
from sovereign.gate2.limits import Limits
from sovereign.gate2.verdict import record_verdict
from sovereign.gate2.verify import verify
from support.bundles import OLD_BUNDLE, requires_sandbox, tampered
from support.fake_llm import FakeLlm, reviewer_or_writer
from support.paths import REPO
from support.workflow import fixture_snapshot, make_workdir, snakemake

pytestmark = [pytest.mark.slow, requires_sandbox]

QID = "routing"
ROWS = [[QID, "How does expert routing affect VQA accuracy?", "2026-05-28"]]
KEY_ENV = "SOVEREIGN_TEST_GATE2_KEY"
CANARY = "sk-canary-gate2-5be1d9"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A workflow run with the LLM reviewer and the writer model (so the bundle holds ledger
    entries the re-run needs), then `snakemake gate2`."""
    root = tmp_path_factory.mktemp("gate2")
    search = {"backend": "snapshot", "snapshot": str(fixture_snapshot(root / "snap.jsonl"))}
    with FakeLlm(content=reviewer_or_writer) as server:
        # (a credential in the URL is refused by the config check: tests/workflow/test_bad_input.py)
        review = {"llm": {"url": server.url, "model": "fake-reviewer", "api_key_env": KEY_ENV}}
        answer = {"writer": {"url": server.url, "model": "fake-writer", "api_key_env": KEY_ENV}}
        wd = make_workdir(root / "work", ROWS, search, review=review, answer=answer)
        snakemake(wd, "-c2", env={KEY_ENV: CANARY})
    snakemake(wd, "-c2", "gate2", env={KEY_ENV: CANARY})
    return wd


def bundle_of(wd: Path) -> Path:
    return wd / "results" / QID / "gate2" / "bundle.tar.gz"


def reproduce(bundle: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sovereign.reproduce", str(bundle), "--verdict", "v.json", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO / "src")},
    )


def flip(members: dict[str, bytes], name: str) -> None:
    data = bytearray(members[name])
    data[len(data) // 2] ^= 0x01
    members[name] = bytes(data)


def test_the_workflow_bundle_verifies_and_the_record_shows_it(built):
    verdict = json.loads((built / "results" / QID / "gate2" / "verdict.json").read_text())
    assert verdict["status"] == "VERIFIED", verdict
    assert verdict["files"] == []
    assert verdict["environment"]["isolation"].startswith("bubblewrap")
    assert verdict["evaluated"].endswith("Z")
    corrections = (built / "corrections" / f"{QID}.jsonl").read_text().splitlines()
    assert len(corrections) == 1 and json.loads(corrections[0])["kind"] == "gate2"
    # the next run shows the verdict in the record
    snakemake(built, "-c2")
    record = json.loads((built / "results" / QID / "record.json").read_text())
    assert record["gate2"]["status"] == "VERIFIED"
    assert record["gate2"]["evaluated"] == verdict["evaluated"]
    assert record["correction_record"]["count"] == 1
    assert record["quality_dimensions"]["reproducibility_status"]["level"] == "HIGH"
    # verifying again (the record changed, so the bundle is rebuilt) adds no second correction
    snakemake(built, "-c2", "gate2")
    assert len((built / "corrections" / f"{QID}.jsonl").read_text().splitlines()) == 1


def test_bundle_holds_no_absolute_path_and_no_secret(built):
    members = read_archive(bundle_of(built))
    assert "manifest.json" in members and "workflow/Snakefile" in members
    assert f"work/results/{QID}/raw.parquet" in members
    assert any(name.startswith("work/ledger/llm-review/") for name in members)
    assert any(name.startswith("work/ledger/llm-writer/") for name in members)
    for name, data in members.items():
        assert str(built).encode() not in data, name
        assert str(REPO).encode() not in data, name
        assert CANARY.encode() not in data, name


def test_building_twice_gives_the_same_bytes(built):
    first = bundle_of(built).read_bytes()
    bundle_of(built).unlink()
    snakemake(built, "-c1", str(bundle_of(built).relative_to(built)))
    assert bundle_of(built).read_bytes() == first


def test_a_copied_bundle_verifies_from_another_directory(built, tmp_path):
    copy = tmp_path / "elsewhere" / "copy.tar.gz"
    copy.parent.mkdir()
    shutil.copy(bundle_of(built), copy)
    proc = reproduce(copy, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "VERIFIED" in proc.stdout
    verdict = json.loads((tmp_path / "v.json").read_text())
    assert verdict["status"] == "VERIFIED"


@pytest.mark.parametrize(
    "member",
    [
        "expected/record.json",
        f"work/results/{QID}/raw.parquet",
        "workflow/src/sovereign/filter/stage.py",
    ],
)
def test_one_changed_byte_fails_naming_the_file(built, tmp_path, member):
    bad = tampered(
        bundle_of(built), tmp_path / "bad.tar.gz", lambda m: flip(m, member), fix_manifest=False
    )
    verdict = verify(bad)
    assert verdict["status"] == "FAILED"
    assert {f["file"] for f in verdict["files"]} == {member}
    assert member in verdict["reason"]


def test_a_consistent_forgery_of_the_raw_stage_fails_on_the_rerun(built, tmp_path):
    """Raw rows changed and the manifest updated to match: only the re-run can tell."""
    name = f"work/results/{QID}/raw.parquet"

    def drop_first_paper(members):
        table = pq.read_table(io.BytesIO(members[name]))
        first = table.column("arxiv_id")[0].as_py()
        keep = [i for i, a in enumerate(table.column("arxiv_id").to_pylist()) if a != first]
        buf = io.BytesIO()
        pq.write_table(table.take(keep), buf)
        members[name] = buf.getvalue()

    forged = tmp_path / "forged.tar.gz"
    bad = tampered(bundle_of(built), forged, drop_first_paper, fix_manifest=True)
    verdict = verify(bad)
    assert verdict["status"] == "FAILED"
    files = {f["file"]: f for f in verdict["files"]}
    assert "filtered.parquet" in files
    assert "rows expected" in files["filtered.parquet"]["summary"]


def first_llm_entry(members):
    return sorted(k for k in members if k.startswith("work/ledger/llm-review/"))[0]


@pytest.mark.parametrize("fix_manifest", [False, True])
def test_a_missing_ledger_entry_gives_unverified_naming_the_request(built, tmp_path, fix_manifest):
    """Removed from the bundle (the manifest still lists it), or forged away consistently (the
    re-run then misses it): either way the network would be needed, and the request is named."""
    entry = first_llm_entry(read_archive(bundle_of(built)))
    key = Path(entry).stem
    bad = tampered(
        bundle_of(built),
        tmp_path / "noledger.tar.gz",
        lambda m: m.pop(entry),
        fix_manifest=fix_manifest,
    )
    verdict = verify(bad)
    assert verdict["status"] == "UNVERIFIED", verdict
    assert "network" in verdict["reason"]
    if fix_manifest:
        assert "llm-review" in verdict["reason"]  # the re-run's ledger miss names the service
    else:
        assert f"llm-review/{key[:2]}/{key}.json" in verdict["reason"]


def test_code_that_reaches_for_the_network_is_cut_off(built, tmp_path):
    """A (consistently forged) stage script that connects out: the sandbox refuses it, and the
    verdict says the re-run tried to reach the network."""
    name = "workflow/scripts/filter.py"
    probe = b'import socket\nsocket.create_connection(("192.0.2.1", 9), timeout=5)\n'

    def connect_first(members):
        members[name] = probe + members[name]

    bad = tampered(bundle_of(built), tmp_path / "net.tar.gz", connect_first, fix_manifest=True)
    verdict = verify(bad, limits=Limits(**{**Limits.defaults().as_dict(), "wall_seconds": 120}))
    assert verdict["status"] == "UNVERIFIED", verdict
    assert "tried to reach the network" in verdict["reason"]


def test_a_forged_expected_output_is_refused(built, tmp_path):
    """expected/ and the manifest's outputs must agree, and the identity must be the members'."""

    def forge(members):
        members["expected/report.md"] = members["expected/report.md"] + b"\nforged\n"

    bad = tampered(bundle_of(built), tmp_path / "forged-out.tar.gz", forge, fix_manifest=True)
    verdict = verify(bad)
    assert verdict["status"] == "FAILED"
    assert "expected/report.md" in verdict["reason"]


def test_a_verdict_goes_only_to_its_own_question(built, tmp_path):
    verdict = json.loads((built / "results" / QID / "gate2" / "verdict.json").read_text())
    with pytest.raises(InputFileError) as caught:
        record_verdict(verdict, tmp_path / "another_question.jsonl")
    assert f"the verdict is for question {QID!r}" in caught.value.problem


@pytest.mark.parametrize("kind", ["garbage", "missing", "directory"])
def test_a_bad_bundle_is_one_clear_error(tmp_path, kind):
    bad = tmp_path / "bad.tar.gz"
    if kind == "garbage":
        bad.write_bytes(b"not a bundle")
    elif kind == "directory":
        bad.mkdir()
    proc = reproduce(bad, tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("sovereign: ") and "Traceback" not in proc.stderr


def test_a_record_whose_outputs_changed_since_the_verdict_is_unverified(built, tmp_path):
    """A verdict holds for the stage files it reproduced, not for what a later run makes."""
    wd = tmp_path / "wd"
    shutil.copytree(built, wd, symlinks=True)
    snakemake(wd, "-c2")  # the record with the verdict
    assert json.loads((wd / "results" / QID / "record.json").read_text())["gate2"]["status"] == (
        "VERIFIED"
    )
    # a new threshold, and the LLM reviewer off (its loopback server is gone)
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text("filter: {threshold: 0.3}\nreview: {llm: {url: null}}\n")
    snakemake(wd, "-c2", "--configfile", str(overlay))
    record = json.loads((wd / "results" / QID / "record.json").read_text())
    assert record["gate2"]["status"] == "UNVERIFIED"
    assert "is for earlier outputs" in record["gate2"]["reason"]
    assert record["quality_dimensions"]["reproducibility_status"]["level"] != "HIGH"


# A bundle built before the library moved into subpackages (commit 2cf7d2c, the shipped sheet's
# control question: `snakemake results/control_load_balancing/gate2/bundle.tar.gz`). It carries
# its own code, in the old flat layout; today's verifier must still verify it. (It re-runs with
# the installed packages: an upgrade of a pinned package would rightly fail it.)


def test_a_bundle_from_before_the_layout_change_still_verifies(tmp_path):
    members = read_archive(OLD_BUNDLE)
    assert "workflow/src/sovereign/filter.py" in members  # the flat layout of its day
    assert not any(m.startswith("workflow/src/sovereign/filter/") for m in members)
    bundle = tmp_path / "old.tar.gz"
    shutil.copy(OLD_BUNDLE, bundle)
    done = reproduce(bundle, tmp_path)
    verdict = json.loads((tmp_path / "v.json").read_text())
    assert done.returncode == 0, done.stderr[-2000:]
    assert verdict["status"] == "VERIFIED", verdict["reason"]
    assert verdict["question_id"] == "control_load_balancing"
