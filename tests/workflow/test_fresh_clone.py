"""A fresh clone does the main job on its own: the README's main command (`make run`), in a copy
of this checkout with no ../shared beside it and the network cut, answers the shipped sheet from
the embedded corpus, byte-identically on a rerun; `sovereign ask` answers one question there."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support.offline import run_isolated
from support.paths import REPO, SHEET_QUESTIONS

pytestmark = pytest.mark.slow
# `make run` with the packages already installed: the venv running these tests stands in for the
# .venv that `make setup` builds (CI builds it from a clean clone just before), and -o keeps
# make from rebuilding it (which would need the package index).
MAKE_RUN = ["make", "-o", ".venv/.installed", "run"]
QUESTION = (
    "How do auxiliary load balancing losses affect expert utilization in mixture-of-experts "
    "routing?"
)


def checkout_files() -> list[str]:
    """What a clone holds: the tracked files (and new ones not ignored, in a working tree)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return sorted({name for name in listed.split("\0") if name and (REPO / name).is_file()})


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("fresh-clone") / "sovereign"
    for name in checkout_files():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, root / name)
    (root / ".venv").symlink_to(Path(sys.executable).parents[1])
    assert not (root.parent / "shared").exists()
    return root


def offline(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc, method = run_isolated(cmd, cwd=cwd, env=env)
    assert proc.returncode == 0, f"{cmd} failed offline ({method}):\n{proc.stderr[-4000:]}"
    return proc


def outputs(root: Path) -> dict[str, str]:
    results = root / "results"
    return {
        str(p.relative_to(results)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(results.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def first_run(clone) -> dict[str, str]:
    offline(MAKE_RUN, clone)
    return outputs(clone)


def test_make_run_answers_the_shipped_sheet_offline_without_shared(clone, first_run):
    verdicts = {}
    for qid, *_ in SHEET_QUESTIONS:
        record = json.loads((clone / "results" / qid / "record.json").read_text())
        verdicts[qid] = record["review"]["verdict"]
        assert (clone / "results" / qid / "report.md").is_file()
    seeds = {qid for qid in verdicts if qid.startswith("seed_")}
    assert len(seeds) == 4 and all(verdicts[qid] == "REJECT" for qid in seeds), verdicts
    assert sorted(q for q, v in verdicts.items() if v == "PUBLISH") == [
        "control_load_balancing",
        "control_vlm_hallucination",
    ]
    assert "index.html" in first_run


def test_a_rerun_from_scratch_gives_the_same_bytes(clone, first_run):
    shutil.rmtree(clone / "results")
    offline(MAKE_RUN, clone)
    assert outputs(clone) == first_run


def test_sovereign_ask_answers_one_question_and_says_where(clone, first_run):
    proc = offline(
        [str(clone / ".venv" / "bin" / "sovereign"), "ask", QUESTION, "--as-of", "2026-07-31"],
        clone,
    )
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("auxiliary-load-balancing-losses-affect-")
    assert ": PUBLISH, score " in lines[0]
    report = Path(lines[-2].split("report: ", 1)[1])
    page = Path(lines[-1].split("record: ", 1)[1])
    assert report.is_file() and page.is_file() and page.parent.parent == clone / "results"
    # the same question, asked again, runs nothing and says the same
    again = offline(
        [str(clone / ".venv" / "bin" / "sovereign"), "ask", QUESTION, "--as-of", "2026-07-31"],
        clone,
    )
    assert again.stdout == proc.stdout and "Nothing to be done" in again.stderr
    # asking leaves the sheet's pages alone
    assert outputs(clone)["index.html"] == first_run["index.html"]


def test_sovereign_index_and_run_say_where_things_are(clone, first_run):
    index = offline([str(clone / ".venv" / "bin" / "sovereign"), "index"], clone)
    corpus, where = index.stdout.strip().split(": ")
    assert corpus == "index of resources/corpus/arxiv-cs-daily.jsonl.xz"
    assert Path(where).parent == clone.resolve() / "indexes"
    assert (Path(where) / "index.json").is_file()
    assert "Nothing to be done" in index.stderr  # built once, by the first run
    run = offline([str(clone / ".venv" / "bin" / "sovereign"), "run"], clone)
    lines = run.stdout.splitlines()
    assert sorted(line.split(":")[0] for line in lines[:-1]) == sorted(
        q for q, *_ in SHEET_QUESTIONS
    )
    assert lines[-1] == f"index: {clone.resolve() / 'results' / 'index.html'}"
