"""The SLURM profile, run on a fake cluster (slow: about a minute), for what a real cluster does not
show quickly (tests/workflow/test_slurm.py runs it on a real SLURM): each job's peak memory
measured against what the profile asks for, and planning with no SLURM installed.

The fake cluster (tests/support/cluster/) is the cluster-generic executor with submit, status and
cancel scripts that run each job on this machine in the background. The runs below take the real
profiles/slurm (resources, threads, retries, local rules) and swap only its executor,
so what SLURM would be asked for is what these jobs get.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import sys
import tomllib
from collections import Counter
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml

from support.paths import CS_DAILY, REPO, SHEET_QUESTIONS, requires_shared
from support.workflow import fixture_snapshot, make_workdir, result_bytes, snakemake

pytestmark = pytest.mark.slow

CLUSTER = REPO / "tests" / "support" / "cluster"
PROFILE = REPO / "profiles" / "slurm"
SLURM_TOOLS = ("sbatch", "srun", "sinfo", "squeue", "sacct", "scontrol", "scancel")
KEY_CANARY = "nvapi-CANARY-cluster-7f3a9c1e5b"  # a key no job script may hold
# Rules that only name targets: no job of theirs is ever submitted.
TARGET_RULES = {"all", "gate2"}
STAGES = (
    *("search", "filter", "embed", "fulltext"),
    *("claims", "answer", "review", "report"),
)
# SLURM runs a job as two Snakemake processes (sbatch step, then srun step); the fake cluster runs
# one, so a job's measured peak plus one more must fit in the memory the profile asks for.
SECOND_SNAKEMAKE_MB = 200


def profile() -> dict:
    return yaml.safe_load((PROFILE / "config.yaml").read_text(encoding="utf-8"))


def fake_cluster(workdir: Path, *args: str, env: dict | None = None, check: bool = True):
    """Run the workflow with profiles/slurm, its executor swapped for the fake cluster."""
    python = shlex.quote(sys.executable)
    fake = [
        "--executor",
        "cluster-generic",
        "--cluster-generic-submit-cmd",
        f"{python} {shlex.quote(str(CLUSTER / 'submit.py'))}",
        "--cluster-generic-status-cmd",
        f"{python} {shlex.quote(str(CLUSTER / 'status.py'))}",
        # run directly, not through a shell: an executable file
        "--cluster-generic-cancel-cmd",
        str(CLUSTER / "cancel.py"),
        # a local fake needs no SLURM-sized pauses
        "--seconds-between-status-checks",
        "1",
        "--max-status-checks-per-second",
        "100",
        "--latency-wait",
        "5",
        "--jobs",
        "4",
    ]
    # A key in the environment, as on a user's login node: no job needs it, so none may carry it.
    env = {"NVIDIA_API_KEY": KEY_CANARY, **(env or {})}
    return snakemake(workdir, *fake, *args, env=env, check=check, profile=PROFILE)


def cluster_jobs(workdir: Path) -> list[dict]:
    """What the fake cluster ran: rule, resources, threads, exit code, peak memory per job."""
    state = workdir / ".snakemake" / "fake-cluster"
    return [json.loads(p.read_text()) for p in sorted(state.glob("*.json"))]


def expected_resources(rule: str, attempt: int = 1) -> dict:
    """The profile's mem_mb, runtime and cpus_per_task for a rule (its expressions evaluated)."""
    settings = profile()
    merged = {**settings["default-resources"], **settings["set-resources"].get(rule, {})}
    threads = settings.get("set-threads", {}).get(rule, 1)
    names = {"attempt": attempt, "threads": threads}
    return {
        key: eval(str(merged[key]), {}, names)  # the profile's own expressions, e.g. 1024 * attempt
        for key in ("mem_mb", "runtime", "cpus_per_task")
    }


@requires_shared
def test_fake_cluster_run_is_byte_identical_to_a_local_run(tmp_path):
    """The whole pipeline through the fake cluster gives the local run's bytes."""
    rows = [r for r in SHEET_QUESTIONS if r[0] in ("control_load_balancing", "seed_vqa_ood")]
    assert len(rows) == 2
    search = {"backend": "snapshot", "snapshot": str(CS_DAILY), "max_results": 50}
    local = make_workdir(tmp_path / "local", rows, search)
    snakemake(local, "-c", "2")
    cluster = make_workdir(tmp_path / "cluster", rows, search)
    proc = fake_cluster(cluster)

    expected = result_bytes(local)
    assert f"{rows[0][0]}/record.json" in expected and "index.html" in expected
    assert result_bytes(cluster) == expected

    jobs = cluster_jobs(cluster)
    submitted = Counter(j["rule"] for j in jobs)
    # Every stage of both questions went to the cluster; the index page is a local rule.
    assert all(submitted[stage] == 2 for stage in STAGES), submitted
    assert "index" not in submitted and "localrule index:" in proc.stdout + proc.stderr
    scripts = sorted((cluster / ".snakemake" / "fake-cluster").glob("*.sh"))
    assert len(scripts) == len(jobs)
    assert not [p for p in scripts if KEY_CANARY.encode() in p.read_bytes()]
    for job in jobs:
        assert job["exit_code"] == 0, job
        wanted = expected_resources(job["rule"])
        assert {k: job["resources"][k] for k in wanted} == wanted, job
        assert job["resources"]["cpus_per_task"] == job["threads"], job
        # What SLURM would count (one more Snakemake process) fits what the profile asks for.
        assert job["peak_rss_mb"] + SECOND_SNAKEMAKE_MB <= wanted["mem_mb"], job


def no_slurm_path(tmp_path: Path) -> str:
    """PATH without any directory that holds a SLURM command; `which` (the plugin runs it when
    Snakemake loads it) comes from a directory of its own, as it sits beside the SLURM commands
    where SLURM is installed (/usr/bin)."""
    kept = [
        d
        for d in os.environ.get("PATH", "").split(os.pathsep)
        if d and not any(os.access(os.path.join(d, t), os.X_OK) for t in SLURM_TOOLS)
    ]
    which = shutil.which("which")
    if which is None:
        pytest.skip("no `which` on this machine: the SLURM plugin needs it")
    own = tmp_path / "which-only"
    own.mkdir()
    (own / "which").symlink_to(which)
    return os.pathsep.join([str(own), *kept])


@pytest.mark.parametrize("key", [None, "nvapi-test"], ids=["no-key", "key-set"])
def test_slurm_profile_dry_run_needs_no_slurm(tmp_path, key):
    """`snakemake -n --workflow-profile profiles/slurm` plans the jobs with no SLURM installed,
    whether or not the key variable is set."""
    snap = fixture_snapshot(tmp_path / "snap.jsonl")
    rows = [
        ["q1", "How does expert routing affect VQA accuracy?", "2026-05-28"],
        ["q2", "Does load balancing improve expert utilization?", "2026-05-28"],
    ]
    workdir = make_workdir(tmp_path / "work", rows, {"backend": "snapshot", "snapshot": str(snap)})
    env = {"PATH": no_slurm_path(tmp_path), **({"NVIDIA_API_KEY": key} if key else {})}
    assert all(shutil.which(t, path=env["PATH"]) is None for t in SLURM_TOOLS)
    proc = snakemake(
        workdir, "-n", env=env, check=False, profile=PROFILE, unset=("NVIDIA_API_KEY",)
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert f"workflow specific profile {PROFILE}" in out
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", out, re.MULTILINE))
    assert {rule: counts.get(rule) for rule in (*STAGES, "index")} == {
        **dict.fromkeys(STAGES, "2"),
        "index": "1",
    }, out[-4000:]
    # The resources SLURM would be asked for, as the profile sets them.
    wanted = expected_resources("search")
    assert f"mem_mb={wanted['mem_mb']}," in out and f"runtime={wanted['runtime']}," in out
    assert not (workdir / "results").exists()


def test_slurm_profile_sets_resources_for_every_rule():
    """A rule added to rules/*.smk needs its SLURM resources here too (and the profile keeps
    the two global limits of profiles/default)."""
    rules = {
        name
        for path in [REPO / "Snakefile", *sorted((REPO / "rules").glob("*.smk"))]
        for name in re.findall(r"^\s*rule (\w+):", path.read_text(encoding="utf-8"), re.MULTILINE)
    }
    settings = profile()
    missing = rules - TARGET_RULES - set(settings["set-resources"])
    assert not missing, f"add {sorted(missing)} to set-resources in profiles/slurm/config.yaml"
    for rule, resources in settings["set-resources"].items():
        assert {"mem_mb", "runtime"} <= set(resources), rule
    default = yaml.safe_load((REPO / "profiles/default/config.yaml").read_text(encoding="utf-8"))
    assert settings["resources"] == default["resources"] == {"arxiv_api": 1, "llm_api": 1}
    assert settings["executor"] == "slurm"


def test_cluster_plugins_are_pinned_and_installed():
    """The executor plugins are pinned in pyproject.toml and requirements.lock, and installed."""
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    declared = dict(
        line.split("==") for line in [*extras["cluster"], *extras["dev"]] if "executor" in line
    )
    locked = dict(
        line.split("==")
        for line in (REPO / "requirements.lock").read_text().splitlines()
        if "executor-plugin" in line
    )
    assert set(declared) == {
        "snakemake-executor-plugin-slurm",
        "snakemake-executor-plugin-cluster-generic",
    }
    assert "snakemake-executor-plugin-slurm-jobstep" in locked
    for name, pin in {**declared, **locked}.items():
        assert locked[name] == pin and version(name) == pin, name
