"""One run at a time, and nothing stale left by a run that was killed.

Snakemake's own lock is a set of files under `.snakemake/locks`: a run killed with SIGKILL (or by
the OOM killer, or a lost node) leaves them behind, and the next run refuses to start until the
user runs `snakemake --unlock`. An `flock` is released by the kernel when its process dies,
however it dies, so it tells a live run from a dead one:

- `hold_run` (at the start of a run, after planning): takes the lock of the working directory and
  of the results directory (a file beside it) for the life of the process, and writes its pid and
  host into them (cleared on a normal exit). A second run on either is refused, naming the
  holder. Holding both, the `.*.tmp` files under the results directory were left by writers of
  an earlier run, which are removed.
- `clear_stale_locks` (while planning, which happens before Snakemake checks its own lock): every
  Snakemake process of this workflow (runs, dry runs, lints) holds a shared lock on the working
  directory from the moment it reads the workflow until it exits. One that finds no other holder
  knows Snakemake's lock files there were left by a dead process and removes them, so the rerun
  just starts; a run still planning (its Snakemake locks written, its run lock not yet taken)
  holds the shared lock, so its locks are never taken for stale. Shared, it blocks no dry run.

On a shared filesystem whose locks do not reach across machines (Lustre `localflock`, NFS
`local_lock`), a lock last taken on another host proves nothing: such a run is refused, naming
the lock to delete once that run is over, and its Snakemake locks are left alone. Where `flock`
is not supported at all, sovereign says so once and leaves locking to Snakemake.
"""

from __future__ import annotations

import atexit
import fcntl
import os
import socket
import sys
from pathlib import Path

from ..errors import ConfigError
from .leftovers import remove_temporary_files

LOCK_NAME = ".sovereign-run.lock"
ALIVE_NAME = ".sovereign-alive.lock"  # shared by every live Snakemake process of the workflow
SNAKEMAKE_DIR = ".snakemake"

_held: list[int] = []  # descriptors of the locks this process holds until it exits
_warned: list[bool] = []


class _Unsupported(Exception):
    """This filesystem does not support flock."""


def _open(path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)


def _flock(fd: int, how: int) -> bool:
    """Take `how` without waiting: False if another process holds a conflicting lock."""
    try:
        fcntl.flock(fd, how | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError as err:
        raise _Unsupported(str(err)) from None
    return True


def _unsupported(err: _Unsupported) -> None:
    if not _warned:
        _warned.append(True)
        print(
            f"sovereign: warning: this filesystem does not support flock ({err}); two runs at "
            "once are refused by Snakemake's own lock only, and after a killed run "
            "`snakemake --unlock` is needed",
            file=sys.stderr,
        )


def _me() -> str:
    return f"pid {os.getpid()} on {socket.gethostname()}"


def _holder(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def _other_host(holder: str) -> bool:
    return bool(holder) and not holder.endswith(f" on {socket.gethostname()}")


def _lock_for_run(path: Path, what: str) -> None:
    fd = _open(path)
    try:
        got = _flock(fd, fcntl.LOCK_EX)
    except _Unsupported:
        os.close(fd)
        raise
    holder = _holder(path)
    if not got or _other_host(holder):
        os.close(fd)
        path = path.absolute()
        alive = "is using it" if not got else "took it last, on another machine"
        raise ConfigError(
            what,
            f"another sovereign run {alive} ({holder or 'no pid recorded'}; lock {path})",
            "wait for that run to finish (or stop it) and run again; two runs at once would "
            "write the same files"
            + ("" if not got else f". If it is over, delete {path} and run again"),
        )
    os.ftruncate(fd, 0)
    os.write(fd, f"{_me()}\n".encode())
    _held.append(fd)
    # a normal exit says it is over; a killed run's pid stays, for the message above
    atexit.register(os.ftruncate, fd, 0)


def hold_run(results: str | os.PathLike[str], workdir: Path = Path()) -> list[Path]:
    """Lock the working and results directories for this process's life; returns the leftover
    temporary files of killed writers it removed from the results directory."""
    results_dir = Path(results)
    try:
        _lock_for_run(workdir / SNAKEMAKE_DIR / LOCK_NAME, f"working directory {workdir.resolve()}")
        _lock_for_run(results_lock(results_dir), f"results directory {results_dir}")
    except _Unsupported as err:
        _unsupported(err)
        return []
    return remove_temporary_files(results_dir)


def results_lock(results_dir: Path) -> Path:
    """Beside the results directory, not in it: the results stay outputs only, and every working
    directory that writes there finds the same lock."""
    absolute = results_dir.absolute()
    return absolute.parent / f".{absolute.name}{LOCK_NAME}"


def run_in_progress(workdir: Path = Path()) -> bool:
    """True while a run (not a dry run) holds the working directory's run lock."""
    path = workdir / SNAKEMAKE_DIR / LOCK_NAME
    if not path.exists():
        return False
    fd = _open(path)
    try:
        return not _flock(fd, fcntl.LOCK_SH)
    except _Unsupported:
        return False
    finally:
        os.close(fd)


def clear_stale_locks(workdir: Path = Path()) -> list[Path]:
    """Hold the working directory's shared "alive" lock for this process's life; if no other
    process holds it, first remove Snakemake's lock files there (left by a dead run) and return
    them."""
    fd = _open(workdir / SNAKEMAKE_DIR / ALIVE_NAME)
    _held.append(fd)
    try:
        if not _flock(fd, fcntl.LOCK_EX):
            # others are alive: their locks are real; wait only for a peer's brief check
            fcntl.flock(fd, fcntl.LOCK_SH)
            return []
    except _Unsupported as err:
        _unsupported(err)
        return []
    try:
        if _other_host(_holder(workdir / SNAKEMAKE_DIR / LOCK_NAME)):
            return []  # a run elsewhere may be alive: locks may not reach across machines
        locks = workdir / SNAKEMAKE_DIR / "locks"
        stale = sorted(p for p in locks.iterdir() if p.is_file()) if locks.is_dir() else []
        for stale_lock in stale:
            stale_lock.unlink(missing_ok=True)
        return stale
    finally:
        fcntl.flock(fd, fcntl.LOCK_SH)  # downgrade: others may now join
