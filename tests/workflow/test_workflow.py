"""Real `snakemake` runs in temporary working directories (slow: seconds to a minute each)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from sovereign.contracts import SIDE_BY_SIDE, STAGE_FILES
from support.fake_arxiv import FakeArxiv
from support.fixture_papers import PAPERS
from support.paths import CS_DAILY, REPO, SHEET_QUESTIONS, recorded_pages, requires_shared
from support.workflow import fixture_snapshot, make_workdir, result_bytes, snakemake

pytestmark = pytest.mark.slow

# Each question's outputs in pipeline order (the report rule writes the last three at once).
OUTPUTS = STAGE_FILES


def from_stage(qids, first, prefix="results/"):
    """Every output of `first` and what follows it, for each question, plus the index page."""
    names = [
        n for n in OUTPUTS[OUTPUTS.index(first) :] if frozenset({first, n}) not in SIDE_BY_SIDE
    ]
    return sorted([f"{prefix}{q}/{n}" for q in qids for n in names] + [f"{prefix}index.html"])


# Live searches here are about search: their e-prints would be asked of arxiv.org (the live
# full-text path is tested against its own fake in test_fulltext.py).
NO_FULLTEXT = {"source": "off"}

TRICKY = [
    "tricky",
    'Does "expert routing" help? $(touch pwned) `touch pwned2` \\ell_1 $x^2$ ünïcödé;\nrm -rf',
    "2026-05-28",
]


def dry_run_updates(workdir, overrides):
    proc = subprocess.run(
        [
            sys.executable,
            str(REPO / "tests" / "support" / "dryrun_api.py"),
            str(REPO / "Snakefile"),
            str(workdir),
            json.dumps(overrides),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


@requires_shared
def test_snapshot_run_is_deterministic_and_reruns_only_what_changed(tmp_path):
    rows = [*SHEET_QUESTIONS, TRICKY]
    search = {"backend": "snapshot", "snapshot": str(CS_DAILY), "max_results": 50}
    runs = []
    for seed in ("1", "2"):
        workdir = make_workdir(tmp_path / f"run{seed}", rows, search)
        snakemake(workdir, "-c", "2", env={"PYTHONHASHSEED": seed})
        runs.append(workdir)
    first, second = (result_bytes(w) for w in runs)
    qids = sorted(r[0] for r in rows)
    assert sorted(first) == from_stage(qids, "raw.parquet", prefix="")
    assert first == second  # byte-identical across processes and hash seeds

    # The question text never went through a shell.
    assert not any((runs[0] / name).exists() for name in ("pwned", "pwned2"))
    tricky = pq.read_table(runs[0] / "results/tricky/raw.parquet")
    assert tricky.num_rows > 0 and set(tricky.column("question_id").to_pylist()) == {"tricky"}

    for qid in qids:
        raw = pq.read_table(runs[0] / f"results/{qid}/raw.parquet")
        filtered = pq.read_table(runs[0] / f"results/{qid}/filtered.parquet")
        assert set(raw.column("query_index").to_pylist()) <= {0, 1, 2, 3}
        assert filtered.num_rows == len(set(raw.column("arxiv_id").to_pylist()))

    # A complete run leaves nothing to do.
    proc = snakemake(runs[0], "-n")
    assert "Nothing to be done" in proc.stdout + proc.stderr

    # A new threshold reruns filter (and what follows), never search.
    updated = dry_run_updates(runs[0], {"filter": {"threshold": 0.05}})
    assert sorted(updated) == from_stage(qids, "filtered.parquet")
    # New claims settings rerun claims onwards; another embedder reruns embed onwards; review
    # settings rerun review and the record; a new publisher only the record.
    updated = dry_run_updates(runs[0], {"claims": {"evidence_sentences": 3}})
    assert sorted(updated) == from_stage(qids, "claims.parquet")
    updated = dry_run_updates(runs[0], {"embed": {"backend": "hashing"}})
    assert sorted(updated) == from_stage(qids, "embeddings.parquet")
    updated = dry_run_updates(runs[0], {"review": {"revise_below": 7.0}})
    assert sorted(updated) == from_stage(qids, "reviews.parquet")
    updated = dry_run_updates(runs[0], {"record": {"publisher": "Assignee Research"}})
    assert sorted(updated) == from_stage(qids, "report.md")
    # A new max_results reruns search too.
    updated = dry_run_updates(runs[0], {"search": {"max_results": 10}})
    assert f"results/{qids[0]}/raw.parquet" in updated


def test_live_arxiv_run_respects_the_rate_limit_and_records_a_ledger(tmp_path):
    rows = [
        [
            "routing",
            "How does expert routing affect VQA accuracy in mixture-of-experts?",
            "2026-05-28",
        ],
        ["balance", "Does load balancing improve expert utilization?", "2026-05-28"],
    ]
    with FakeArxiv(PAPERS) as fake:
        search = {
            "backend": "arxiv",
            "arxiv_url": fake.url,
            "contact": "mailto:ci@example.org",
            "min_interval": 3.0,
            "max_results": 5,
        }
        # e-prints would be asked of arxiv.org: full text has its own live test (test_fulltext)
        workdir = make_workdir(tmp_path / "live", rows, search, fulltext=NO_FULLTEXT)
        snakemake(workdir, "-c", "8")
        times = sorted(r["time"] for r in fake.requests)
        asked = {json.dumps(r["params"], sort_keys=True) for r in fake.requests}
        assert len(asked) == 8  # 2 questions x 4 queries, one page each
        sent = len(fake.requests)  # plus one repeat per empty first page
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        assert min(gaps) >= 3.0, gaps  # one request per 3 s across the whole workflow, -c 8
        assert all("ci@example.org" in r["user_agent"] for r in fake.requests)
        first = result_bytes(workdir)

        # Outputs gone, ledger kept: the rerun asks arXiv nothing and gives the same bytes.
        shutil.rmtree(workdir / "results")
        snakemake(workdir, "-c", "8")
        assert len(fake.requests) == sent
        assert result_bytes(workdir) == first

    # Replay from the ledger with no server at all.
    shutil.rmtree(workdir / "results")
    snakemake(workdir, "-c", "2", "--config", "search={backend: replay}")
    assert result_bytes(workdir) == first
    assert len(list((workdir / "ledger" / "arxiv-api").rglob("*.json"))) == 8


def test_bad_input_fails_before_any_job_with_one_message(tmp_path):
    rows = [
        ["q1", "How does expert routing work?", "2026-05-28"],
        ["q1", "Does load balancing help?", "2026-05-28"],
    ]
    snap = tmp_path / "snap.jsonl"
    snap.write_text("")
    workdir = make_workdir(tmp_path / "bad", rows, {"backend": "snapshot", "snapshot": str(snap)})
    proc = snakemake(workdir, "-c", "1", check=False)
    assert proc.returncode != 0
    assert "config/questions.tsv: line 3, column question_id" in proc.stderr
    assert "'q1' is used again (first on line 2)" in proc.stderr
    assert "Traceback" not in proc.stderr and not (workdir / "results").exists()

    make_workdir(workdir, rows[:1], {"backend": "snapshot", "snapshot": str(snap)})
    proc = snakemake(workdir, "-c", "1", "--config", "filter={threshold: 7}", check=False)
    assert proc.returncode != 0 and "--config: filter.threshold" in proc.stderr
    assert "fix: use a number from 0 to 1" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_failing_search_leaves_no_output_and_says_why(tmp_path):
    rows = [["q1", "How does expert routing work?", "2026-05-28"]]
    with FakeArxiv(PAPERS) as fake:
        fake.faults = [("status", 400, {})]
        search = {"backend": "arxiv", "arxiv_url": fake.url, "contact": "x", "min_interval": 0}
        workdir = make_workdir(tmp_path / "fail", rows, search)
        proc = snakemake(workdir, "-c", "1", check=False)
    assert proc.returncode != 0
    assert "HTTP 400" in proc.stderr and "arXiv query" in proc.stderr
    assert not (workdir / "results/q1/raw.parquet").exists()
    assert "HTTP 400" in (workdir / "logs/search/q1.log").read_text()


def test_editing_a_stage_module_reruns_that_stage_only(tmp_path):
    """Code inputs: a real edit of filter code reruns filter; a touch alone reruns nothing."""
    workflow = tmp_path / "workflow"
    workflow.mkdir()
    for part in ("Snakefile", "rules", "scripts", "src", "config", "profiles", "envs"):
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, workflow / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, workflow / part)
    snap = fixture_snapshot(tmp_path / "snap.jsonl")
    rows = [["q1", "How does expert routing affect VQA accuracy?", "2026-05-28"]]
    workdir = make_workdir(tmp_path / "work", rows, {"backend": "snapshot", "snapshot": str(snap)})

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "snakemake", "-s", str(workflow / "Snakefile"),
             "-d", str(workdir), "-c", "1", *args],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip

    run()
    module = workflow / "src/sovereign/filter/stage.py"
    module.touch()
    assert "Nothing to be done" in run("-n")
    module.write_text(module.read_text() + "\n# an edit\n")
    plan = run("-n")
    assert "filter" in plan and "search  " not in plan and "rule search" not in plan
    run()
    # a module only the report uses (its SVG toolkit): the report reruns, and the index made
    # from it; no stage before it
    svg = workflow / "src/sovereign/report/svg.py"
    svg.write_text(svg.read_text() + "\n# an edit\n")
    plan = run("-n")
    rules = {line.split()[0] for line in plan.splitlines() if line and line.split()[-1].isdigit()}
    assert {"report", "index"} <= rules
    assert not rules & {"search", "filter", "embed", "claims", "answer", "review"}
    run()
    # a shared module two packages deep (src/sovereign/text/tfidf.py): the stages that use it
    # rerun (filter, claims), the search does not
    shared = workflow / "src/sovereign/text/tfidf.py"
    shared.write_text(shared.read_text() + "\n# an edit\n")
    plan = run("-n")
    assert "filter" in plan and "claims" in plan and "rule search" not in plan


@requires_shared
def test_real_recorded_atom_pages_through_snakemake(tmp_path):
    """Real arXiv answers (the 2025-12 cs listing, 100 per page) through the whole workflow."""
    rows = [["listing", "Which methods for large language model agents appear?", "2026-05-28"]]
    with FakeArxiv() as fake:
        fake.pages = recorded_pages()
        search = {
            "backend": "arxiv",
            "arxiv_url": fake.url,
            "contact": "ci",
            "min_interval": 0,
            "max_results": 150,
        }
        workdir = make_workdir(tmp_path / "atom", rows, search, fulltext=NO_FULLTEXT)
        snakemake(workdir, "-c", "2")
        assert len(fake.requests) == 8  # 4 queries x 2 pages of 100
    raw = pq.read_table(workdir / "results/listing/raw.parquet")
    assert raw.num_rows == 4 * 150
    filtered = pq.read_table(workdir / "results/listing/filtered.parquet")
    assert filtered.num_rows == 150  # every query got the same listing: 150 unique papers
    assert set(filtered.column("query_hits").to_pylist()) == {4}


def test_overlay_configfile_changes_keys_and_is_named_in_errors(tmp_path):
    snap = fixture_snapshot(tmp_path / "snap.jsonl")
    rows = [["q1", "How does expert routing affect VQA accuracy?", "2026-05-28"]]
    workdir = make_workdir(tmp_path / "work", rows, {"backend": "snapshot", "snapshot": str(snap)})
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text("results: elsewhere\nfilter:\n  threshold: 0.01\n")
    snakemake(workdir, "-c", "1", "--configfile", str(overlay))
    kept = pq.read_table(workdir / "elsewhere/q1/filtered.parquet").column("kept").to_pylist()
    assert kept and all(kept)
    overlay.write_text("search:\n  max_results: -3\n")
    proc = snakemake(workdir, "-n", "--configfile", str(overlay), check=False)
    assert proc.returncode != 0 and f"{overlay}: search.max_results" in proc.stderr
