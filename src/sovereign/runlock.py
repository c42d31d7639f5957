"""One run at a time, and nothing stale left by a run that was killed.

Snakemake's own lock is a set of files under `.snakemake/locks`: a run killed with SIGKILL (or by
the OOM killer, or a lost node) leaves them behind, and the next run refuses to start until the
user runs `snakemake --unlock`. An `flock` is released by the kernel when its process dies,
however it dies, so it tells a live run from a dead one:

- `hold_run` (at the start of a run, after planning): takes the lock of the working directory and
  of the results directory (a file beside it) for the life of the process; a second run on either
  is refused, naming the pid that holds it. Holding both proves every `.*.tmp` under the results
  directory was left by a dead writer, so they are removed.
- `clear_stale_locks` (while planning, which happens before Snakemake checks its own lock): every
  Snakemake process of this workflow (runs, dry runs, lints) holds a shared lock on the working
  directory from the moment it reads the workflow until it exits. One that finds no other holder
  knows Snakemake's lock files there were left by a dead process and removes them, so the rerun
  just starts; a run still planning (its Snakemake locks written, its run lock not yet taken)
  holds the shared lock, so its locks are never taken for stale. Shared, it blocks no dry run.
"""

from __future__ import annotations

import fcntl
import os
import socket
from pathlib import Path

from .errors import ConfigError
from .leftovers import remove_temporary_files

LOCK_NAME = ".sovereign-run.lock"
ALIVE_NAME = ".sovereign-alive.lock"  # shared by every live Snakemake process of the workflow
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
    """Hold the working directory's shared "alive" lock for this process's life; if no other
    process holds it, first remove Snakemake's lock files there (left by a dead run) and return
    them."""
    path = workdir / SNAKEMAKE_DIR / ALIVE_NAME
    fd = _try_lock(path)
    if fd is None:
        # others are alive: their locks are real; wait only for a peer's brief exclusive check
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        fcntl.flock(fd, fcntl.LOCK_SH)
        _held.append(fd)
        return []
    try:
        locks = workdir / SNAKEMAKE_DIR / "locks"
        stale = sorted(p for p in locks.iterdir() if p.is_file()) if locks.is_dir() else []
        for stale_lock in stale:
            stale_lock.unlink(missing_ok=True)
        return stale
    finally:
        fcntl.flock(fd, fcntl.LOCK_SH)  # downgrade: others may now join
        _held.append(fd)
