"""Why a Gate 2 re-run did not complete, in words for its verdict: the sandbox could not be set
up, the re-run needed the network (a ledger miss, or a connection the sandbox refused), a limit
stopped it (the first sign a process printed), or it failed (the failing rule and the first
exception raised). What the re-run printed is the bundle's to choose: a reason quotes at most
REASON_QUOTE characters of it."""

from __future__ import annotations

import re

from ..run.entry import LEDGER_MISS_TAG
from .driver import SETUP_EXIT, SETUP_FAILED
from .limits import Limits, describe, limit_hit

# What a re-run says when it would need the network: a ledger miss (tagged by sovereign.run.entry),
# or a connection the sandbox refused.
_LEDGER_MISS = re.compile(rf"sovereign: {re.escape(LEDGER_MISS_TAG)}(.*)")
_BLOCKED = re.compile(r"(Network is unreachable|could not connect[^\n]*)")
_SOVEREIGN_ERROR = re.compile(r"sovereign: (.*)")
_FAILED_RULE = re.compile(r"Error in rule (\w+)")
# A Python exception's last line ("FileNotFoundError: [Errno 2] ..."), not Snakemake's own.
_EXCEPTION = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit)(?::.*)?)$", re.M)
_SNAKEMAKE_EXCEPTIONS = ("RuleException", "WorkflowError", "CalledProcessError")
REASON_QUOTE = 500  # characters of the re-run's own output a verdict's reason may quote


def setup_failure(returncode: int | None, stderr: str, limits: Limits) -> str | None:
    """The reason, where the sandbox itself could not be set up (bwrap refused, or the driver
    failed before any of the bundle's code ran): never the bundle's failure. (The driver's exit
    status says so, which no code of the bundle's can set.) A run that exited 0 was set up,
    whatever its stderr begins with."""
    if returncode == 0:
        return None
    setup = (
        re.search(rf"{re.escape(SETUP_FAILED)}(.*)", stderr) if returncode == SETUP_EXIT else None
    )
    bwrap = re.match(r"bwrap: (.*)", stderr)  # bwrap's own error, printed before anything ran
    if not (setup or bwrap):
        return None
    what = (setup or bwrap).group(1)
    if setup and limit_hit(what):  # the bundle alone is more than a limit allows
        return f"the re-run was stopped at {describe(limit_hit(what), limits)}: {_clip(what)}"
    return f"the sandbox could not be set up: {_clip(what)}"


def rerun_failure(stderr: str, limits: Limits) -> tuple[str, str]:
    """(status, reason) for a re-run that did not complete. What the re-run printed is the
    bundle's to choose: each quote of it is clipped (REASON_QUOTE characters)."""
    miss = _LEDGER_MISS.search(stderr)
    if miss:
        return "UNVERIFIED", f"the re-run needs the network: {_clip(miss.group(1))}"
    blocked = _BLOCKED.search(stderr)
    if blocked:
        return "UNVERIFIED", f"the re-run tried to reach the network: {_clip(blocked.group(1))}"
    limit = limit_hit(stderr)
    if limit:
        return "UNVERIFIED", f"the re-run was stopped at {describe(limit, limits)}"
    errors = _SOVEREIGN_ERROR.findall(stderr)
    rules = _FAILED_RULE.findall(stderr)
    where = f" in rule {rules[0]}" if rules else ""
    raised = [e for e in _EXCEPTION.findall(stderr) if not e.startswith(_SNAKEMAKE_EXCEPTIONS)]
    if errors:
        last = errors[-1]
    elif raised:
        last = raised[0]  # the first is the cause; what follows is its consequence
    else:
        last = " ".join(stderr.split()[-30:])
    return "FAILED", f"the re-run failed{_clip(where)}: {_clip(last)}"


def _clip(text: str) -> str:
    return text if len(text) <= REASON_QUOTE else text[: REASON_QUOTE - 1] + "…"
