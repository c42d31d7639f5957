"""One request per interval across every process on this machine.

Snakemake runs search jobs as separate processes (and `-c 8` runs several at once), so an
in-process delay is not enough. Each request takes an exclusive `flock` on a shared file that holds
the time the last request finished, sleeps out the rest of the interval, and holds the lock while
the request runs. Wall-clock time is used only for waiting, never written to an output.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

# The one lock every request to arXiv waits on (API pages and e-prints alike), in the ledger.
ARXIV_RATE_LOCK = ".arxiv-rate.lock"


class IntervalLock:
    def __init__(
        self,
        path: str | os.PathLike[str],
        interval: float,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.path = Path(path)
        self.interval = interval
        self.clock = clock
        self.sleep = sleep

    @contextmanager
    def slot(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+", encoding="ascii") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                handle.seek(0)
                try:
                    last = float(handle.read().strip() or 0.0)
                except ValueError:
                    last = 0.0
                wait = last + self.interval - self.clock()
                if wait > 0:
                    self.sleep(min(wait, self.interval))
                try:
                    yield
                finally:
                    handle.seek(0)
                    handle.truncate()
                    handle.write(f"{self.clock():.6f}\n")
                    handle.flush()
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
