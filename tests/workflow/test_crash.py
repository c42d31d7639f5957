"""Killed runs and concurrent runs, with real processes: `kill -9` of the whole run while a stage
is writing its outputs, then the same command again, must finish with outputs byte-identical to
an uninterrupted run; a second run on the same directories at once is refused."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from sovereign.contracts import STAGE_FILES
from sovereign.run.runlock import run_in_progress
from support.fake_arxiv import wait_for
from support.paths import REPO
from support.workflow import (
    fixture_snapshot,
    make_workdir,
    result_bytes,
    snakemake,
    snakemake_command,
)

pytestmark = pytest.mark.slow

ROWS = [["q1", "How does expert routing in mixture-of-experts models affect VQA accuracy?",
         "2026-05-28"]]  # fmt: skip

# Loaded by every Python process of the run (PYTHONPATH): the process that is about to put the
# named output in place (the atomic rename) says so and stops, so the test kills the run exactly
# while that stage is writing: its temporary file written, the output not yet in place.
FREEZER = """
import os, time
_name = os.environ.get("SOVEREIGN_TEST_FREEZE_ON")
if _name:
    _replace = os.replace
    def _frozen_replace(src, dst, *args, **kwargs):
        if os.path.basename(os.fspath(dst)) == _name:
            with open(os.environ["SOVEREIGN_TEST_FROZEN"], "w") as marker:
                marker.write(str(os.getpid()))
            time.sleep(600)
        return _replace(src, dst, *args, **kwargs)
    os.replace = _frozen_replace
"""

# The output each stage is killed while writing (the report rule writes report.md first).
STAGES = {
    "snapshot_index": "index.json",
    "search": "raw.parquet",
    "filter": "filtered.parquet",
    "embed": "embeddings.parquet",
    "fulltext": "sections.parquet",
    "claims": "claims.parquet",
    "answer": "answer.parquet",
    "review": "reviews.parquet",
    "report": "record.json",
    "index": "index.html",
}


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    """One snapshot file for every run here: its path names the index directory."""
    return fixture_snapshot(tmp_path_factory.mktemp("snapshot") / "snapshot.jsonl")


def workdir_for(root, snapshot):
    return make_workdir(root, ROWS, {"backend": "snapshot", "snapshot": str(snapshot)})


def start_run(workdir, env=None):
    """`snakemake` in its own process group (so the whole run can be killed at once)."""
    return subprocess.Popen(
        snakemake_command(workdir),
        cwd=workdir,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def outputs(workdir):
    """What a run produces, by path: results and the snapshot index (logs are not outputs)."""
    files = {f"results/{k}": v for k, v in result_bytes(workdir).items()}
    files.update(
        (str(p.relative_to(workdir)), p.read_bytes())
        for p in sorted((workdir / "indexes").rglob("*"))
        if p.is_file()
    )
    return files


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, snapshot):
    workdir = workdir_for(tmp_path_factory.mktemp("whole"), snapshot)
    snakemake(workdir)
    return outputs(workdir)


def kill_while_writing(workdir, name, tmp_path):
    """Start a run, wait until a process is about to put `name` in place, kill the run's whole
    process group with SIGKILL; returns the frozen writer's pid (dead by then)."""
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(FREEZER, encoding="utf-8")
    marker = tmp_path / "frozen"
    env = {
        "PYTHONPATH": str(hook),
        "SOVEREIGN_TEST_FREEZE_ON": name,
        "SOVEREIGN_TEST_FROZEN": str(marker),
    }
    run = start_run(workdir, env)
    try:
        assert wait_for(lambda: marker.exists() and marker.read_text(), timeout=120), (
            run.poll(),
            run.stderr.read() if run.poll() is not None else "",
        )
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.communicate()
    writer = int(marker.read_text())
    assert wait_for(lambda: not alive(writer), timeout=10)
    return writer


@pytest.mark.parametrize("stage", list(STAGES))
def test_kill_9_while_a_stage_writes_then_rerun_gives_identical_outputs(
    tmp_path, snapshot, uninterrupted, stage
):
    workdir = workdir_for(tmp_path / "w", snapshot)
    kill_while_writing(workdir, STAGES[stage], tmp_path)
    # the run died holding Snakemake's lock, with a half-made output on disk
    assert list((workdir / ".snakemake/locks").iterdir())
    assert list(workdir.rglob(f".{STAGES[stage]}.*.tmp")) or stage == "snapshot_index"
    rerun = snakemake(workdir)  # the same command again; no --unlock, no cleanup by hand
    assert outputs(workdir) == uninterrupted
    assert not [p for p in workdir.rglob("*.tmp")]
    assert not list(workdir.glob("indexes/*/.building-*"))
    assert "removed" in rerun.stderr and "left by a run that was killed" in rerun.stderr
    assert snakemake(workdir, "--dry-run").stdout.count("Nothing to be done") == 1


def test_a_second_run_on_the_same_directories_is_refused_and_the_first_finishes(
    tmp_path, snapshot, uninterrupted
):
    workdir = workdir_for(tmp_path / "w", snapshot)
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(FREEZER, encoding="utf-8")
    marker = tmp_path / "frozen"
    # the first run pauses while writing q1's filter output, holding its locks
    first = start_run(
        workdir,
        {"PYTHONPATH": str(hook), "SOVEREIGN_TEST_FREEZE_ON": "filtered.parquet",
         "SOVEREIGN_TEST_FROZEN": str(marker)},
    )  # fmt: skip
    try:
        assert wait_for(lambda: marker.exists() and marker.read_text(), timeout=120)
        second = snakemake(workdir, check=False)
        assert second.returncode != 0
        assert "Traceback" not in second.stderr
        # Snakemake's own lock or sovereign's: either way, one clear refusal and no writes
        assert (
            "another sovereign run is using it" in second.stderr
            or "Directory cannot be locked" in second.stderr
        )
        # a run from another working directory that shares the results directory is refused too
        other = workdir_for(tmp_path / "other", snapshot)
        shared = other / "config" / "shared.yaml"
        shared.write_text(f"results: {workdir / 'results'}\n", encoding="utf-8")
        third = snakemake(other, "--configfile", str(shared), check=False)
        assert third.returncode != 0
        assert f"sovereign: results directory {workdir / 'results'}: another sovereign run" in (
            third.stderr
        )
        assert f"pid {first.pid} on " in third.stderr
        assert "Traceback" not in third.stderr
        # a dry run is never blocked
        assert snakemake(workdir, "--dry-run").returncode == 0
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.communicate()
    snakemake(workdir)
    assert outputs(workdir) == uninterrupted


def hold(results, *, stay: bool = False) -> subprocess.Popen:
    """A process that takes the run locks for `results` (and keeps them if `stay`)."""
    code = (
        "import sys, time\n"
        "from sovereign.errors import SovereignError\n"
        "from sovereign.run.runlock import hold_run\n"
        f"try:\n    hold_run({str(results)!r})\n"
        "except SovereignError as err:\n    sys.exit(err.message)\n"
        f"print('held', flush=True)\n{'time.sleep(600)' if stay else ''}\n"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=results.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_the_lock_dies_with_its_run(tmp_path):
    """A killed holder's lock is gone at once: the lock file left behind blocks nothing."""
    results = tmp_path / "results"
    holder = hold(results, stay=True)
    assert holder.stdout.readline().strip() == "held"
    out, err = hold(results).communicate()
    assert out == "" and "another sovereign run is using it (pid " in err
    holder.kill()
    holder.communicate()
    assert hold(results).communicate()[0].strip() == "held"


def test_a_truncated_stage_file_is_named_with_its_fix_and_the_fix_works(
    tmp_path, snapshot, uninterrupted
):
    workdir = workdir_for(tmp_path / "w", snapshot)
    snakemake(workdir)
    damaged = workdir / "results/q1/filtered.parquet"
    damaged.write_bytes(damaged.read_bytes()[: damaged.stat().st_size // 2])
    # the next stage reads it (its checksum changed) and stops with one message
    proc = snakemake(workdir, check=False)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    message = proc.stderr[proc.stderr.index("sovereign: results/q1/filtered.parquet") :]
    assert message.startswith(
        "sovereign: results/q1/filtered.parquet: not a readable Parquet file ("
    )
    fix = "delete results/q1/filtered.parquet and run the workflow again to rebuild it"
    assert f"\n  fix: {fix}" in message
    # what was made from the failed stage's output is gone too: no stale files under a gap
    assert "sovereign: removed results/q1/claims.parquet: it was made from a file" in proc.stderr
    assert not (workdir / "results/q1/record.json").exists()
    damaged.unlink()
    snakemake(workdir)
    assert outputs(workdir) == uninterrupted


def test_a_stage_file_lost_under_later_ones_is_named_with_the_command_that_rebuilds_it(
    tmp_path, snapshot, uninterrupted
):
    """A run killed while rebuilding raw.parquet (Snakemake removes an output before its job
    runs) leaves the later files from before: every run then says so, with the fix."""
    workdir = workdir_for(tmp_path / "w", snapshot)
    snakemake(workdir)
    (workdir / "results/q1/raw.parquet").unlink()
    plan = snakemake(workdir, "--dry-run")
    assert (
        "sovereign: warning: results/q1/raw.parquet is missing but files made from it exist (a "
        "run was stopped while rebuilding it)\n  fix: snakemake --forcerun results/q1/raw.parquet"
    ) in plan.stderr
    before = {p: p.stat().st_mtime_ns for p in (workdir / "results").rglob("*") if p.is_file()}
    snakemake(workdir, "--forcerun", "results/q1/raw.parquet")
    assert outputs(workdir) == uninterrupted
    assert all(p.stat().st_mtime_ns > t for p, t in before.items())  # every later file rebuilt
    again = snakemake(workdir, "--dry-run")
    assert "Nothing to be done" in again.stdout and "warning" not in again.stderr


def test_the_stage_files_repaired_are_the_ones_the_rules_write():
    rules = "".join(p.read_text() for p in (REPO / "rules").glob("*.smk"))
    for name in STAGE_FILES:
        assert f'{{RESULTS}}/{{{{qid}}}}/{name}"' in rules, name


def attach(workdir, *, stay: bool = False) -> subprocess.Popen:
    """A process that reads the workflow as Snakemake's main process does (clear_stale_locks),
    printing what it removed, and stays alive if `stay`."""
    code = (
        "import time\nfrom sovereign.run.runlock import clear_stale_locks\n"
        "print(len(clear_stale_locks()), flush=True)\n" + ("time.sleep(600)\n" if stay else "")
    )
    return subprocess.Popen(
        [sys.executable, "-c", code], cwd=workdir, stdout=subprocess.PIPE, text=True
    )


def test_snakemake_locks_are_cleared_only_when_no_process_of_the_workflow_is_alive(tmp_path):
    locks = tmp_path / ".snakemake" / "locks"
    locks.mkdir(parents=True)
    (locks / "0.input.lock").write_text("x")
    planning = attach(tmp_path, stay=True)  # a run planning: its locks are real
    assert planning.stdout.readline().strip() == "1"  # it found the stale one, and removed it
    (locks / "0.input.lock").write_text("x")  # now its own
    assert attach(tmp_path).communicate()[0].strip() == "0"  # a dry run meanwhile: kept
    assert (locks / "0.input.lock").exists()
    planning.kill()
    planning.communicate()
    assert attach(tmp_path).communicate()[0].strip() == "1"  # its owner died: stale, removed
    assert not (locks / "0.input.lock").exists()


def test_a_lock_last_taken_on_another_machine_is_not_trusted(tmp_path):
    """Where a filesystem's locks do not reach across machines, a free lock that another host
    took last proves nothing: the run is refused naming the lock, and no Snakemake lock of that
    run is cleared."""
    results = tmp_path / "results"
    run_lock = tmp_path / ".snakemake" / ".sovereign-run.lock"
    run_lock.parent.mkdir(parents=True)
    run_lock.write_text("pid 4242 on login-node-elsewhere\n")
    (tmp_path / ".snakemake" / "locks").mkdir()
    (tmp_path / ".snakemake" / "locks" / "0.output.lock").write_text("x")
    assert attach(tmp_path).communicate()[0].strip() == "0"
    assert (tmp_path / ".snakemake" / "locks" / "0.output.lock").exists()
    out, err = hold(results).communicate()
    assert out == ""
    assert (
        "another sovereign run took it last, on another machine (pid 4242 on "
        "login-node-elsewhere; lock" in err
    )
    assert f"If it is over, delete {run_lock} and run again" in err.replace("\n  ", " ")
    run_lock.unlink()  # as the message says
    assert hold(results).communicate()[0].strip() == "held"


def test_a_normal_exit_clears_the_holder_and_a_run_in_progress_is_seen(tmp_path):
    results = tmp_path / "results"
    holder = hold(results, stay=True)
    assert holder.stdout.readline().strip() == "held"
    assert run_in_progress(tmp_path)
    holder.kill()
    holder.communicate()
    assert not run_in_progress(tmp_path)
    assert "pid" in (tmp_path / ".snakemake" / ".sovereign-run.lock").read_text()  # killed: kept
    assert hold(results).communicate()[0].strip() == "held"  # same host, dead holder: taken
    assert (tmp_path / ".snakemake" / ".sovereign-run.lock").read_text() == ""  # exit cleared it
