"""Planning thousands of jobs cheaply: two per-job costs of Snakemake 9.27 that the workflow layer
pays for every question, taken out without changing what is planned.

Measured on a 1,000-question dry run (benchmarks/dryrun_ratio.py): Snakemake checks that a rule's
`script:` exists by reading it through its source cache for every job (a quarter of the dry run),
and asks `inspect.signature` two or three times per call of every input or params function.
Both reach into Snakemake's internals, so both apply only to the Snakemake they were read from
and measured on (the pinned SNAKEMAKE version); with any other, nothing changes and Snakemake
does as it always does. (Worth dropping once Snakemake checks each script once per rule.)
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])
_MARK = "sovereign_once_per_rule"
SNAKEMAKE = "9.27.1"  # the version these hooks were read from (pyproject.toml pins it)


def _pinned() -> bool:
    try:
        import snakemake
    except ImportError:
        return False
    return getattr(snakemake, "__version__", None) == SNAKEMAKE


def per_job(func: F) -> F:
    """Mark an input or params function that Snakemake calls for every job: its parameters are
    told to Snakemake once, instead of being inspected on every call (same calls, same values)."""
    if not _pinned():  # another Snakemake: it inspects the function itself
        return func
    from snakemake.common import overwrite_function_params

    overwrite_function_params(func, inspect.signature(func).parameters)
    return func


def check_scripts_once_per_rule() -> bool:
    """Have Snakemake check a rule's `script:` once per rule rather than once per job, where
    the script's path is the same file for every job (no wildcard in it); a path with wildcards
    is still checked for each job. The check still runs before any job does, and a missing
    script still stops the run with Snakemake's own message. Returns whether it is in place."""
    if not _pinned():  # another Snakemake: it checks every job, as before
        return False
    from snakemake.dag import ScriptProcessor

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
        if id(job.rule) not in checked:  # the rule itself, not its name
            check(self, job)
            checked.add(id(job.rule))

    setattr(once_per_rule, _MARK, True)
    ScriptProcessor.process_job = once_per_rule
    return True
