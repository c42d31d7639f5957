#!/usr/bin/env python3
"""Fake cluster, status: print `running`, `success` or `failed` for one job id.

The cluster-generic executor's status command. success or failed comes from the job's exit
code, recorded by submit.py's runner when the job ends; running while the runner is alive;
failed if the runner is gone without a record (cancelled or killed: what a lost node looks like).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

STATE = Path(".snakemake") / "fake-cluster"


def ended(job_id: str) -> str | None:
    record = STATE / f"{job_id}.json"
    if not record.exists():
        return None
    return "success" if json.loads(record.read_text())["exit_code"] == 0 else "failed"


def status(job_id: str) -> str:
    state = ended(job_id)
    if state:
        return state
    try:
        os.kill(int((STATE / f"{job_id}.pid").read_text()), 0)
    except (OSError, ValueError):
        # the runner writes its record before it exits: look once more, else it was lost
        return ended(job_id) or "failed"
    return "running"


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: status.py JOBID")
    print(status(sys.argv[1]))
