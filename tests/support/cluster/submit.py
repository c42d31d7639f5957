#!/usr/bin/env python3
"""Fake cluster, submit: run a Snakemake jobscript on this machine, in the background.

Used as the cluster-generic executor's submit command (see tests/workflow/test_cluster.py):

    snakemake --executor cluster-generic
        --cluster-generic-submit-cmd "python tests/support/cluster/submit.py" ...

Snakemake appends the jobscript's path. This prints a job id (1, 2, 3, ... per working
directory, like sbatch --parsable) and returns at once; a detached runner executes the
jobscript and, when it ends, records its exit code, wall time and peak memory (the resident
memory of all the job's processes together, as SLURM's cgroup counts a job, and its anonymous
part; sampled every 50 ms) in .snakemake/fake-cluster/<id>.json, and keeps the jobscript as
<id>.sh. status.py reads that file; cancel.py stops the runner. The state lives under the
working directory, so concurrent workflows never share ids.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

STATE = Path(".snakemake") / "fake-cluster"
SAMPLE_SECONDS = 0.05


def next_job_id() -> str:
    """The next id of this working directory's fake cluster (a locked counter)."""
    STATE.mkdir(parents=True, exist_ok=True)
    with open(STATE / "counter", "a+", encoding="ascii") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        job_id = int(handle.read().strip() or 0) + 1
        handle.seek(0)
        handle.truncate()
        handle.write(str(job_id))
    return str(job_id)


def properties(jobscript: str) -> dict:
    """The job's properties (rule, resources, threads) from the jobscript's header line."""
    with open(jobscript, encoding="utf-8") as handle:
        for line in handle:
            match = re.match(r"# properties = (.*)$", line)
            if match:
                return json.loads(match.group(1))
    return {}


def tree_memory(root: int) -> tuple[int, int]:
    """Resident memory of a process and all its descendants, in bytes: all of it, and the
    anonymous part (without file pages, e.g. of a memory-mapped index, which the kernel can
    drop instead of killing the job). (0, 0) once the process is gone."""
    import psutil

    try:
        parent = psutil.Process(root)
        processes = [parent, *parent.children(recursive=True)]
    except psutil.Error:
        return 0, 0
    rss = anon = 0
    for process in processes:
        with contextlib.suppress(psutil.Error):  # ended between listing and reading
            info = process.memory_info()
            rss += info.rss
            anon += info.rss - info.shared
    return rss, anon


def run(job_id: str, jobscript: str) -> None:
    """The runner: execute the jobscript, then record how it ended (atomically)."""
    props = properties(jobscript)
    started = time.monotonic()
    child = subprocess.Popen(["/bin/sh", jobscript], stdin=subprocess.DEVNULL)
    peak = peak_anon = 0
    while child.poll() is None:
        rss, anon = tree_memory(child.pid)
        peak, peak_anon = max(peak, rss), max(peak_anon, anon)
        time.sleep(SAMPLE_SECONDS)
    record = {
        "job_id": job_id,
        "rule": props.get("rule"),
        "jobid": props.get("jobid"),
        "resources": props.get("resources", {}),
        "threads": props.get("threads"),
        "exit_code": child.returncode,
        "wall_s": round(time.monotonic() - started, 3),
        "peak_rss_mb": round(peak / 2**20, 1),
        "peak_anon_mb": round(peak_anon / 2**20, 1),
    }
    tmp = STATE / f"{job_id}.json.tmp"
    tmp.write_text(json.dumps(record, sort_keys=True), encoding="utf-8")
    os.replace(tmp, STATE / f"{job_id}.json")


def submit(jobscript: str) -> str:
    job_id = next_job_id()
    # kept, as a real cluster's spool keeps it: tests check what a job script holds (no key)
    (STATE / f"{job_id}.sh").write_bytes(Path(jobscript).read_bytes())
    log = open(STATE / f"{job_id}.log", "wb")  # noqa: SIM115 (handed to the runner)
    runner = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "--run", job_id, jobscript],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        # its own session: it outlives this command, and cancel.py stops the whole group
        start_new_session=True,
    )
    (STATE / f"{job_id}.pid").write_text(str(runner.pid), encoding="ascii")
    return job_id


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--run":
        run(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 2:
        print(submit(sys.argv[1]))
    else:
        sys.exit("usage: submit.py JOBSCRIPT")
