"""Run a Gate 2 re-run in the sealed sandbox (`seal`) and watch it: its clock, its processes'
resident memory and CPU time, sampled every WATCH_INTERVAL; at a limit it is killed, and
killing bwrap kills every process in the sandbox (--die-with-parent, the PID namespace).

Whatever the sandbox writes, the verifier's memory stays bounded: the last OUTPUT_TAIL bytes of
stdout and stderr are kept, and the stage files are taken from the driver's tar stream as it
comes, only the regular files asked for, at most the bytes-written limit in all.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tarfile
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from .limits import MIB, Limits
from .seal import BUNDLE_DIR, SCRATCH_DIR, sandbox_command, sandbox_user, seccomp_fd

WATCH_INTERVAL = 0.25  # seconds between two looks at the sandbox's clock, memory and CPU
OUTPUT_TAIL = 1 << 20  # bytes kept of the re-run's stdout and of its stderr (the last ones)
_PAGE = os.sysconf("SC_PAGE_SIZE")
_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Sealed:
    """What came out of one sealed re-run."""

    returncode: int | None  # None: the verifier stopped it (see `stopped`)
    stdout: str
    stderr: str
    outputs: dict[str, bytes]  # the stage files it wrote, by name
    stopped: str | None  # "wall", "memory" or "cpu": the limit the verifier stopped it at
    peak_memory_mb: float  # the largest resident memory of all its processes seen together
    cpu_seconds: float  # user + system time of all its processes (sampled: a lower bound)
    peak_tasks: int  # the most processes and threads seen at once (sampled)
    busiest_cpu_seconds: float  # the most CPU time one process was seen to have used


class _Tail(threading.Thread):
    """Reads a pipe to its end, keeping its last `keep` bytes."""

    def __init__(self, fd: int, keep: int):
        super().__init__(daemon=True)
        self.fd, self.keep = fd, keep
        self.chunks: deque[bytes] = deque()
        self.size = 0

    def run(self) -> None:
        with os.fdopen(self.fd, "rb", buffering=0) as stream:
            while chunk := stream.read(1 << 16):
                self.chunks.append(chunk)
                self.size += len(chunk)
                while self.size - len(self.chunks[0]) >= self.keep:
                    self.size -= len(self.chunks.popleft())

    def text(self) -> str:
        return b"".join(self.chunks)[-self.keep :].decode("utf-8", "replace")


class _Outputs(threading.Thread):
    """Takes the stage files from the driver's tar stream as it comes (regular files named in
    `wanted`, at most `budget` bytes in all), and reads the rest of the pipe to its end."""

    def __init__(self, fd: int, wanted: list[str], budget: int):
        super().__init__(daemon=True)
        self.fd, self.wanted, self.budget = fd, set(wanted), budget
        self.found: dict[str, bytes] = {}

    def run(self) -> None:
        with os.fdopen(self.fd, "rb") as stream:
            try:
                with tarfile.open(fileobj=stream, mode="r|") as tar:
                    for member in tar:
                        take = member.isfile() and member.name in self.wanted
                        if take and member.name not in self.found and member.size <= self.budget:
                            handle = tar.extractfile(member)
                            if handle is not None:
                                self.found[member.name] = handle.read(member.size)
                                self.budget -= member.size
                        tar.members = []  # no memory of what went by
            except (tarfile.TarError, EOFError, OSError):
                pass  # a cut or garbled stream: what was read so far stands, the rest is missing
            while stream.read(1 << 16):
                pass


def _sandbox_processes(root: int) -> dict[int, list[str]]:
    """The processes below `root` (itself excluded), each with its /proc stat fields."""
    stats: dict[int, list[str]] = {}
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue  # it ended meanwhile
            stats[int(entry.name)] = fields
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = {}, list(children.get(root, []))
    while todo:
        pid = todo.pop()
        found[pid] = stats[pid]
        todo += children.get(pid, [])
    return found


def _usage(processes: dict[int, list[str]]) -> tuple[int, float, int, float]:
    """(resident bytes, CPU seconds, threads) of these processes together, and the CPU seconds
    of the busiest one. The CPU total includes the children each has reaped, so the re-run's
    finished jobs count through Snakemake. Resident sizes are summed, so pages two processes
    share count twice: the measure errs towards stopping."""
    resident = sum(int(fields[21]) for fields in processes.values()) * _PAGE
    ticks = sum(sum(int(f) for f in fields[11:15]) for fields in processes.values())
    threads = sum(int(fields[17]) for fields in processes.values())
    busiest = max((int(f[11]) + int(f[12]) for f in processes.values()), default=0)
    return resident, ticks / _TICKS, threads, busiest / _TICKS


def run_sealed(bundle: Path, *, qid: str, cores: int, outputs: list[str], limits: Limits) -> Sealed:
    """Re-run the unpacked bundle at `bundle` (its workflow/ and work/) in the sandbox."""
    channel_r, channel_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    filter_fd = seccomp_fd()
    spec = {
        "results_fd": channel_w,  # the same number in the sandbox: bwrap passes it through
        "drop_to": list(sandbox_user()) if os.geteuid() == 0 else None,
        "limits": limits.rlimits(),
        "bundle": BUNDLE_DIR,
        "scratch": SCRATCH_DIR,
        "python": sys.executable,
        "qid": qid,
        "cores": cores,
        "outputs": outputs,
    }
    passed = (channel_w,) if filter_fd is None else (channel_w, filter_fd)
    try:
        proc = subprocess.Popen(  # the command is ours; the bundle is only its data
            sandbox_command(bundle, limits, spec, filter_fd),
            stdin=subprocess.DEVNULL,
            stdout=out_w,
            stderr=err_w,
            pass_fds=passed,
            start_new_session=True,
        )
    except BaseException:
        for fd in (channel_r, out_r, err_r):
            os.close(fd)
        raise
    finally:
        for fd in (*passed, out_w, err_w):
            os.close(fd)
    readers = (
        _Tail(out_r, OUTPUT_TAIL),
        _Tail(err_r, OUTPUT_TAIL),
        _Outputs(channel_r, outputs, limits.written_mb * MIB),
    )
    for reader in readers:
        reader.start()
    stopped, peak, cpu, tasks, busiest = None, 0, 0.0, 0, 0.0
    status = (0, 0)  # (pid, wait status): pid 0 while it runs
    started = time.monotonic()
    try:
        while not (status := os.waitpid(proc.pid, os.WNOHANG)[0:2])[0]:
            resident, seconds, threads, one = _usage(_sandbox_processes(proc.pid))
            peak, cpu, tasks = max(peak, resident), max(cpu, seconds), max(tasks, threads)
            busiest = max(busiest, one)
            if time.monotonic() - started > limits.wall_seconds:
                stopped = "wall"
            elif resident > limits.memory_mb * MIB:
                stopped = "memory"
            elif cpu > limits.cpu_seconds:
                stopped = "cpu"
            if stopped:
                break
            time.sleep(WATCH_INTERVAL)
    finally:
        if not status[0]:  # stopped at a limit, or the verifier itself interrupted
            _kill(proc)
            status = os.waitpid(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status[1])  # reaped here, not by Popen
        for reader in readers:
            reader.join()
    return Sealed(
        returncode=None if stopped else proc.returncode,
        stdout=readers[0].text(),
        stderr=readers[1].text(),
        outputs={} if stopped else readers[2].found,
        stopped=stopped,
        peak_memory_mb=round(peak / MIB, 1),
        cpu_seconds=round(cpu, 1),
        peak_tasks=tasks,
        busiest_cpu_seconds=round(busiest, 1),
    )


def _kill(proc: subprocess.Popen) -> None:
    """Kill bwrap (and with it, by --die-with-parent and the PID namespace, all it started)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
