"""A job cancelled on a SLURM cluster (`scancel`, an administrator, a preempting job) ends the
job, not the run: the SLURM executor plugin then retries it as it retries any failed job.

The pinned plugin (snakemake-executor-plugin-slurm 2.8.0) reads each job's state from sacct and
fails a job whose state is one of its failure states, "CANCELLED" among them; but sacct writes a
cancelled job's state as "CANCELLED by <uid>", which the plugin takes for a job still running,
so the run waits for it for ever. (The older Snakemake-Profiles/slurm status script had the same
bug and fixed it the same way.) This normalises the state before the plugin looks at it, for the
plugin version it was read from only: with any other, nothing changes.
`tests/workflow/test_slurm.py` cancels a job on a real SLURM and checks the run ends identical.
"""

from __future__ import annotations

import sys
from typing import Any

PLUGIN = "snakemake_executor_plugin_slurm"
PLUGIN_VERSION = "2.8.0"  # the version this was read from (requirements.lock pins it)
_MARK = "sovereign_cancelled_state"


def normalised(states: dict[str, str] | None) -> dict[str, str] | None:
    """sacct's states with "CANCELLED by <uid>" said as "CANCELLED"."""
    if states is None:
        return None
    return {
        job: state.split(" by ", 1)[0] if state.startswith("CANCELLED by ") else state
        for job, state in states.items()
    }


def treat_cancelled_jobs_as_failed() -> bool:
    """Install the normalisation in the loaded plugin; whether it is in place."""
    plugin = sys.modules.get(PLUGIN)  # loaded by Snakemake when the executor is slurm
    if plugin is None or not hasattr(plugin, "query_job_status"):
        return False
    from importlib.metadata import PackageNotFoundError, version

    try:
        if version("snakemake-executor-plugin-slurm") != PLUGIN_VERSION:
            return False
    except PackageNotFoundError:
        return False
    query = plugin.query_job_status
    if getattr(query, _MARK, False):
        return True

    async def query_job_status(command: str, logger: Any) -> tuple[Any, Any]:
        states, duration = await query(command, logger)
        return normalised(states), duration

    setattr(query_job_status, _MARK, True)
    plugin.query_job_status = query_job_status
    return True
