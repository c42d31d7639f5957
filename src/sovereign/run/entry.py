"""What every Snakemake script does around a stage: log to the rule's log, turn expected
failures into one clear message (no traceback), and exit non-zero so Snakemake removes outputs."""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any, TextIO

from ..errors import LedgerMiss, SovereignError


class StageLog:
    """Appends timestamped lines to the rule's log file (logs are never compared or hashed)."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.start = time.monotonic()

    def __call__(self, message: str) -> None:
        self.stream.write(f"[{time.monotonic() - self.start:7.2f}s] {message}\n")
        self.stream.flush()


LEDGER_MISS_TAG = "ledger miss: "


def run(smk: Any, stage: Callable[[Any, StageLog], None]) -> None:
    """Run `stage(snakemake, log)`; a SovereignError ends the job with its message only."""
    log_path = smk.log[0] if smk.log else None
    sink = open(log_path, "w", encoding="utf-8") if log_path else nullcontext(sys.stderr)  # noqa: SIM115
    startup_cpu = _cpu_now()  # interpreter, Snakemake's preamble and every import so far
    with sink as stream:
        log = StageLog(stream)
        try:
            stage(smk, log)
        except SovereignError as err:
            log(f"ERROR {err.message}")
            # A ledger miss is said as such: Gate 2 tells "needs the network" from "broken".
            tag = LEDGER_MISS_TAG if isinstance(err, LedgerMiss) else ""
            print(f"sovereign: {tag}{err.message}", file=sys.stderr)
            sys.exit(1)
        log(f"done: {usage(log.start, startup_cpu)}")


def _process_age() -> float | None:
    """Seconds since this process started (Linux /proc), None where unknown."""
    try:
        with open(f"/proc/{os.getpid()}/stat", encoding="ascii") as handle:
            started = int(handle.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime", encoding="ascii") as handle:
            uptime = float(handle.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return uptime - started / os.sysconf("SC_CLK_TCK")


def usage(stage_start: float, startup_cpu: float) -> str:
    """The job's cost, for benchmarks/many_questions.py: the stage's own wall and CPU time, the
    start-up before it (interpreter, Snakemake's preamble, imports) and the peak memory."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
    wall = time.monotonic() - stage_start
    age = _process_age()
    startup = f"{age - wall:.3f}" if age is not None else "nan"
    peak_mb = max(own.ru_maxrss, kids.ru_maxrss) / 1024
    return (
        f"stage_wall={wall:.3f}s stage_cpu={cpu - startup_cpu:.3f}s "
        f"startup_wall={startup}s startup_cpu={startup_cpu:.3f}s peak_rss={peak_mb:.0f}MB"
    )


def _cpu_now() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime
