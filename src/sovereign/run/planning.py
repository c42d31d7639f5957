"""Planning thousands of jobs cheaply: two per-job costs of Snakemake 9.27 that the workflow layer
pays for every question, taken out without changing what is planned.

Measured on a 1,000-question dry run (benchmarks/dryrun_ratio.py): Snakemake checks that a rule's
`script:` exists by reading it through its source cache for every job (a quarter of the dry run),
and asks `inspect.signature` two or three times per call of every input or params function.
Both are guarded: with another Snakemake, where the hooks they use are absent, nothing changes.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])
_MARK = "sovereign_once_per_rule"


def per_job(func: F) -> F:
    """Mark an input or params function that Snakemake calls for every job: its parameters are
    told to Snakemake once, instead of being inspected on every call (same calls, same values)."""
    try:
        from snakemake.common import overwrite_function_params
    except ImportError:  # another Snakemake: it inspects the function itself
        return func
    overwrite_function_params(func, inspect.signature(func).parameters)
    return func


def check_scripts_once_per_rule() -> bool:
    """Have Snakemake check a rule's `script:` once per rule rather than once per job, where
    the script's path is the same file for every job (no wildcard in it); a path with wildcards
    is still checked for each job. The check still runs before any job does, and a missing
    script still stops the run with Snakemake's own message. Returns whether it is in place."""
    try:
        from snakemake.dag import ScriptProcessor
    except ImportError:  # another Snakemake: it checks every job, as before
        return False
    check = getattr(ScriptProcessor, "process_job", None)
    if check is None:
        return False
    if getattr(check, _MARK, False):
        return True

    def once_per_rule(self: Any, job: Any) -> None:
        path = getattr(job.rule, getattr(self, "script_type", "script"), None)
        if path is None or "{" in str(path):
            check(self, job)
            return
        checked = self.__dict__.setdefault("_sovereign_checked_rules", set())
        if job.rule.name not in checked:
            check(self, job)
            checked.add(job.rule.name)

    setattr(once_per_rule, _MARK, True)
    ScriptProcessor.process_job = once_per_rule
    return True
