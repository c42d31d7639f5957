"""What every Snakemake script does around a stage: log to the rule's log, turn expected
failures into one clear message (no traceback), and exit non-zero so Snakemake removes outputs."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any, TextIO

from .errors import LedgerMiss, SovereignError


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
        log("done")
