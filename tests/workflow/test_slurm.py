"""The SLURM profile on a real SLURM: a single-node cluster started for these tests from Debian's
packages (tests/support/slurm.py), jobs submitted with the real sbatch and followed through sacct
by Snakemake's SLURM plugin, with profiles/slurm itself (not a copy). What a cluster user meets:
byte-identical results, a cancelled job, a node going down, a job past its time limit, and the
limits of --jobs and of the arXiv rate across jobs.

Skipped, with the reason, where the machine cannot run a cluster (no root, no packages), unless
SOVEREIGN_REQUIRE_SLURM=1 (set by .ci/run, which installs the packages), which makes it fail.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import datetime
from pathlib import Path

import pytest

from support.fake_arxiv import FakeArxiv
from support.fixture_papers import PAPERS
from support.paths import REPO, SHEET_QUESTIONS
from support.slurm import SlurmCluster
from support.workflow import make_workdir, result_bytes, snakemake, snakemake_command

WHY_NOT = SlurmCluster.unavailable()
REQUIRED = os.environ.get("SOVEREIGN_REQUIRE_SLURM") == "1"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(WHY_NOT is not None and not REQUIRED, reason=WHY_NOT or ""),
]

PROFILE = REPO / "profiles" / "slurm"
CORPUS = REPO / "resources" / "corpus" / "arxiv-cs-daily.jsonl.xz"
ROWS = [r for r in SHEET_QUESTIONS if r[0] in ("control_load_balancing", "seed_vqa_ood")]
SEARCH = {"backend": "snapshot", "snapshot": str(CORPUS), "max_results": 50}
STAGES = (
    *("search", "filter", "embed", "fulltext"),
    *("claims", "answer", "review", "report"),
)
# Test-sized pauses of the SLURM plugin (the profile's suit real clusters and shared filesystems).
FAST = ("--slurm-init-seconds-before-status-checks", "2", "--latency-wait", "5")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if WHY_NOT is not None:
        pytest.fail(f"SOVEREIGN_REQUIRE_SLURM=1 but {WHY_NOT}")
    with SlurmCluster(tmp_path_factory.mktemp("slurm")) as running:
        yield running


@pytest.fixture(scope="module")
def local(tmp_path_factory) -> dict[str, bytes]:
    """The same questions run locally: the bytes every cluster run must give."""
    workdir = make_workdir(tmp_path_factory.mktemp("local") / "wd", ROWS, SEARCH)
    snakemake(workdir, "-c", "2")
    return result_bytes(workdir)


def on_slurm(cluster, workdir: Path, *args: str, check: bool = True):
    return snakemake(workdir, *FAST, *args, env=cluster.env, check=check, profile=PROFILE)


def start_on_slurm(cluster, workdir: Path, *args: str) -> subprocess.Popen:
    command = snakemake_command(workdir, *FAST, *args, profile=PROFILE)
    return subprocess.Popen(
        command,
        cwd=workdir,
        env=cluster.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def jobs_of(cluster, since: set[str]) -> list[dict[str, str]]:
    """Jobs sacct knows that are not in `since`, each with the rule and question it ran (the
    plugin's comment: rule_<rule>[_wildcards_<qid>])."""
    found = []
    for job in cluster.jobs():
        if job["id"] in since or not job["comment"].startswith("rule_"):
            continue
        rule, _, qid = job["comment"][len("rule_") :].partition("_wildcards_")
        found.append({**job, "rule": rule, "qid": qid})
    return found


def running_job(cluster, rule: str, timeout: float = 180.0) -> str:
    """The id of a job of `rule` once SLURM runs it (squeue), waiting up to `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = cluster.run("squeue", "-h", "-t", "RUNNING", "-o", "%i|%k", check=False).stdout
        for line in out.splitlines():
            job_id, _, comment = line.partition("|")
            if comment.startswith(f"rule_{rule}_"):
                return job_id
        time.sleep(0.3)
    raise AssertionError(f"no {rule} job ran within {timeout:.0f} s")


def only_victim(cluster, job_id: str, timeout: float = 300.0) -> None:
    """Wait until `job_id` is the only job SLURM holds (running or queued)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = cluster.run("squeue", "-h", "-o", "%i", check=False).stdout.split()
        if jobs == [job_id]:
            return
        time.sleep(0.5)
    raise AssertionError(f"other jobs still held beside {job_id} after {timeout:.0f} s")


def finish(process: subprocess.Popen, timeout: float = 600) -> str:
    out, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, out[-4000:]
    return out


def test_a_run_on_real_slurm_is_byte_identical_to_a_local_run(cluster, local, tmp_path):
    before = {j["id"] for j in cluster.jobs()}
    workdir = make_workdir(tmp_path / "wd", ROWS, SEARCH)
    proc = on_slurm(cluster, workdir, "--jobs", "4")
    assert result_bytes(workdir) == local
    jobs = jobs_of(cluster, before)
    ran = sorted((j["rule"], j["qid"]) for j in jobs)
    expected = [("snapshot_index", "")] + [(s, qid) for s in STAGES for qid, *_ in ROWS]
    assert ran == sorted(expected), ran
    assert all(j["state"] == "COMPLETED" for j in jobs), jobs
    assert "localrule index:" in proc.stdout + proc.stderr  # the index page stays local


def test_a_job_cancelled_with_scancel_is_retried_and_the_run_ends_identical(
    cluster, local, tmp_path
):
    before = {j["id"] for j in cluster.jobs()}
    workdir = make_workdir(tmp_path / "wd", ROWS, SEARCH)
    run = start_on_slurm(cluster, workdir, "--jobs", "4")
    victim = running_job(cluster, "filter")
    cluster.run("scancel", victim)
    out = finish(run)
    assert result_bytes(workdir) == local
    jobs = jobs_of(cluster, before)
    cancelled = next(j for j in jobs if j["id"] == victim)
    assert cancelled["state"].startswith("CANCELLED"), cancelled
    again = [
        j
        for j in jobs
        if (j["rule"], j["qid"]) == (cancelled["rule"], cancelled["qid"]) and j["id"] != victim
    ]
    assert [j["state"] for j in again] == ["COMPLETED"], jobs
    assert "Trying to restart job" in out or "attempt" in out


def test_a_node_down_mid_run_fails_its_jobs_cleanly_and_the_rerun_ends_identical(
    cluster, local, tmp_path
):
    """The plugin fails a job whose node fails and leaves that node out of the run's later
    submissions (on a one-node cluster, every later job); the profile keeps SLURM from also
    requeueing it, so nothing of the run is left queued, and the rerun once the node is back
    ends byte-identical."""
    workdir = make_workdir(tmp_path / "wd", ROWS, SEARCH)
    run = start_on_slurm(cluster, workdir, "--jobs", "4")
    # The node fails under one embed job, frozen so that it is still running then, once the
    # rest of the run has drained: a job queued behind a down node would wait for ever (the
    # plugin leaves the node out of later submissions, not of jobs already queued).
    victim = running_job(cluster, "embed")
    for pid in cluster.job_pids(victim):
        os.kill(pid, signal.SIGSTOP)
    only_victim(cluster, victim)
    node = f"NodeName={cluster.node}"
    cluster.run("scontrol", "update", node, "State=DOWN", "Reason=sovereign-test")
    try:
        out, _ = run.communicate(timeout=600)
        assert run.returncode != 0
        assert "failed due to a node failure" in out, out[-4000:]
        assert cluster.run("squeue", "-h").stdout.strip() == ""  # no requeued copy left
    finally:
        cluster.run("scontrol", "update", node, "State=RESUME")
    deadline = time.monotonic() + 60
    while not cluster.node_ready() and time.monotonic() < deadline:
        time.sleep(0.5)
    on_slurm(cluster, workdir, "--jobs", "4")
    assert result_bytes(workdir) == local


def test_a_job_past_its_time_limit_is_reported_with_its_rule_and_question(cluster, tmp_path):
    workdir = make_workdir(tmp_path / "wd", ROWS[:1], SEARCH)
    qid = ROWS[0][0]
    # a one-minute limit, no retry, and the filter job frozen so that it outlives its limit
    run = start_on_slurm(
        cluster, workdir, "--jobs", "2", "--retries", "0", "--set-resources", "filter:runtime=1"
    )
    victim = running_job(cluster, "filter")
    for pid in cluster.job_pids(victim):
        os.kill(pid, signal.SIGSTOP)
    out, _ = run.communicate(timeout=300)
    assert run.returncode != 0
    assert "Error in rule filter" in out and "TIMEOUT" in out, out[-4000:]
    assert f"qid={qid}" in out or f"results/{qid}/filtered.parquet" in out, out[-4000:]
    state = next(j for j in cluster.jobs() if j["id"] == victim)["state"]
    assert state == "TIMEOUT", state
    assert not (workdir / "results" / qid / "filtered.parquet").exists()


def test_jobs_and_the_arxiv_rate_hold_across_compute_jobs(cluster, tmp_path):
    """--jobs 2 bounds what runs at once; live searches stay on the submitting node, so their
    requests keep the 3 s spacing however many compute jobs run."""
    before = {j["id"] for j in cluster.jobs()}
    rows = [
        ["routing", "How does expert routing affect VQA accuracy?", "2026-05-28"],
        ["balance", "Does load balancing improve expert utilization?", "2026-05-28"],
        [
            "pruning",
            "Does expert pruning reduce memory of mixture-of-experts models?",
            "2026-05-28",
        ],
    ]
    with FakeArxiv(PAPERS) as fake:
        search = {
            "backend": "arxiv",
            "arxiv_url": fake.url,
            "contact": "mailto:ci@example.org",
            "min_interval": 3.0,
            "max_results": 5,
        }
        # e-prints would be asked of arxiv.org (test_fulltext.py tests that path on a fake)
        workdir = make_workdir(tmp_path / "wd", rows, search, fulltext={"source": "off"})
        on_slurm(cluster, workdir, "--jobs", "2")
        times = sorted(r["time"] for r in fake.requests)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(times) >= 12 and min(gaps) >= 3.0, gaps
    jobs = jobs_of(cluster, before)
    assert {j["rule"] for j in jobs} == set(STAGES) - {"search"}  # search ran locally
    spans = [(datetime.fromisoformat(j["start"]), datetime.fromisoformat(j["end"])) for j in jobs]
    at_once = max(sum(1 for s, e in spans if s <= t < e) for t, _ in spans)
    assert at_once <= 2, spans
