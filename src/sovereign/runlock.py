"""One run at a time, and nothing stale left by a run that was killed.

Snakemake's own lock is a set of files under `.snakemake/locks`: a run killed with SIGKILL (or by
the OOM killer, or a lost node) leaves them behind, and the next run refuses to start until the
user runs `snakemake --unlock`. An `flock` is released by the kernel when its process dies,
however it dies, so it tells a live run from a dead one:

- `hold_run` (at the start of a run, after planning): takes the lock of the working directory and
  of the results directory (a file beside it) for the life of the process; a second run on either
  is refused, naming the pid that holds it. Holding both proves every `.*.tmp` under the results
  directory was left by a dead writer, so they are removed.
- `clear_stale_locks` (while planning, which happens before Snakemake checks its own lock): if no
  run holds the working directory, Snakemake's lock files there were left by a dead run; they are
  removed, so the rerun just starts. The flock is let go at once, so dry runs and lints are never
  blocked.
"""

from __future__ import annotations

import fcntl
import os
import socket
from pathlib import Path

from .errors import ConfigError
from .leftovers import remove_temporary_files

LOCK_NAME = ".sovereign-run.lock"
SNAKEMAKE_DIR = ".snakemake"

_held: list[int] = []  # descriptors of the locks this process holds until it exits


def _try_lock(path: Path) -> int | None:
    """An open descriptor holding an exclusive flock on `path`, or None if another holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _holder(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        text = ""
    return text or "a process that has not said who it is"


def _lock_for_run(path: Path, what: str) -> None:
    fd = _try_lock(path)
    if fd is None:
        raise ConfigError(
            what,
            f"another sovereign run is using it ({_holder(path)}; lock {path})",
            "wait for that run to finish (or stop it) and run again; two runs at once would "
            "write the same files",
        )
    os.ftruncate(fd, 0)
    os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode())
    _held.append(fd)


def hold_run(results: str | os.PathLike[str], workdir: Path = Path()) -> list[Path]:
    """Lock the working and results directories for this process's life; returns the leftover
    temporary files of killed writers it removed from the results directory."""
    _lock_for_run(workdir / SNAKEMAKE_DIR / LOCK_NAME, f"working directory {workdir.resolve()}")
    results_dir = Path(results)
    _lock_for_run(results_lock(results_dir), f"results directory {results_dir}")
    return remove_temporary_files(results_dir)


def results_lock(results_dir: Path) -> Path:
    """Beside the results directory, not in it: the results stay outputs only, and every working
    directory that writes there finds the same lock."""
    absolute = results_dir.absolute()
    return absolute.parent / f".{absolute.name}{LOCK_NAME}"


def clear_stale_locks(workdir: Path = Path()) -> list[Path]:
    """Remove Snakemake's lock files if no sovereign run is alive in `workdir`; returns them."""
    locks = workdir / SNAKEMAKE_DIR / "locks"
    if not locks.is_dir():
        return []
    fd = _try_lock(workdir / SNAKEMAKE_DIR / LOCK_NAME)
    if fd is None:
        return []  # a run is alive: its locks are real
    try:
        stale = sorted(p for p in locks.iterdir() if p.is_file())
        for path in stale:
            path.unlink(missing_ok=True)
        return stale
    finally:
        os.close(fd)
