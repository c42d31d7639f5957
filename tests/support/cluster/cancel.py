#!/usr/bin/env python3
"""Fake cluster, cancel: stop the given jobs (each runner's whole process group), like scancel.

Snakemake calls it with one or more job ids when a run is interrupted. The cluster-generic
executor runs this file directly (not through a shell), so it must stay executable.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from pathlib import Path

STATE = Path(".snakemake") / "fake-cluster"


def cancel(job_id: str) -> None:
    if (STATE / f"{job_id}.json").exists():
        return  # it has ended (and its process id may belong to another process by now)
    # a runner that is already gone (or never started) has nothing left to stop
    with contextlib.suppress(OSError, ValueError):
        os.killpg(int((STATE / f"{job_id}.pid").read_text()), signal.SIGTERM)


if __name__ == "__main__":
    for job_id in sys.argv[1:]:
        cancel(job_id)
