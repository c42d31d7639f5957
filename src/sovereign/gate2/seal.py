"""The sealed sandbox a Gate 2 re-run runs in: bubblewrap (`bwrap`, Debian's `bubblewrap`).

Inside, the re-run sees:

* the unpacked bundle, read-only at /bundle, copied by the driver into /tmp: a fresh tmpfs, the
  only writable place, its size the bytes-written limit;
* read-only: /usr (with /bin, /lib, /lib64, /sbin as the host has them) and the interpreter's
  own directories (its installation and the virtual environment's packages);
* a new /proc, a minimal /dev (null, zero, random, urandom, tty), and nothing else: no home
  directory, no project files, no host /tmp; of /etc only the linker's cache and Debian's
  alternatives.

It runs in new PID, network (no interface but its own loopback), IPC, UTS and cgroup
namespaces, as an unprivileged user with no capability (started by root, it drops to nobody
before the bundle's code starts; started by a user, it runs in a new user namespace that cannot
make another), with the resource limits of `limits.Limits`. Killing the sandbox's first process
(on the wall-time or memory limit, or when the verifier itself dies) kills every process in it.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import tarfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from . import driver
from .limits import MIB, Limits

BUBBLEWRAP = "bubblewrap"
NOBODY = (65534, 65534)  # the user a root-started sandbox runs its processes as
BUNDLE_DIR = "/bundle"
SCRATCH_DIR = "/tmp"
WATCH_INTERVAL = 0.25  # seconds between two looks at the sandbox's memory and clock
OUTPUT_TAIL = 1 << 20  # bytes kept of the re-run's stdout and of its stderr (the last ones)
_ENV_PASSED = ("LANG", "LC_ALL", "LC_CTYPE", "TZ")
_ETC = (Path("/etc/ld.so.cache"), Path("/etc/alternatives"))
INSTALL_HINT = "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap)"


@dataclass(frozen=True)
class Sealed:
    """What came out of one sealed re-run."""

    returncode: int | None  # None: the verifier stopped it (see `stopped`)
    stdout: str
    stderr: str
    outputs: dict[str, bytes]  # the stage files it wrote, by name
    stopped: str | None  # "wall" or "memory": the limit the verifier stopped it at
    peak_memory_mb: float  # the largest resident memory of all its processes seen together
    cpu_seconds: float  # user + system time of all its processes (sampled: a lower bound)
    peak_tasks: int  # the most processes and threads seen at once (sampled)
    busiest_cpu_seconds: float  # the most CPU time one process was seen to have used


@functools.cache
def availability() -> tuple[str | None, str]:
    """(the isolation's name with its version, "") where a sealed sandbox works here, else
    (None, why not). Probed once: a trial sandbox must start and see only what it is given."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return None, f"bwrap is not installed; {INSTALL_HINT}"
    try:
        version = subprocess.run(
            [bwrap, "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout.split()
        probe = subprocess.run(
            [*_namespaces(bwrap), *_file_system(Path(os.sep), []), "ls", "/"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as err:
        return None, f"bwrap could not be run ({err}); {INSTALL_HINT}"
    if probe.returncode != 0:
        why = " ".join(probe.stderr.split())[:300] or f"exit status {probe.returncode}"
        return None, (
            f"bwrap cannot make a sandbox on this machine ({why}); it needs user namespaces "
            "(kernel.unprivileged_userns_clone=1, or no AppArmor rule against them) or root"
        )
    if set(probe.stdout.split()) - {
        "bin",
        "dev",
        "etc",
        "lib",
        "lib64",
        "proc",
        "sbin",
        "tmp",
        "usr",
    }:
        return None, f"the trial sandbox saw more than it was given: {probe.stdout.split()}"
    name = BUBBLEWRAP + (f" {version[-1]}" if version else "")
    return name, ""


def _namespaces(bwrap: str) -> list[str]:
    common = ["--die-with-parent", "--new-session", "--clearenv", "--hostname", "gate2"]
    spaces = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts"]
    if os.geteuid() == 0:
        # Root's processes are exempt from the process limit, and a user namespace started by
        # root keeps root's user: so no user namespace, and the driver drops to nobody (the
        # only capabilities it keeps until then are the two that lets it do so).
        privileges = ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        return [bwrap, *common, *spaces, "--unshare-cgroup-try", *privileges]
    return [bwrap, *common, *spaces, "--unshare-cgroup-try", "--unshare-user", "--disable-userns"]


def _interpreter_dirs() -> list[Path]:
    """The directories the interpreter and its packages live in (outside /usr, which is bound
    whole): its installation, the virtual environment, and site-packages found elsewhere."""
    found = {Path(sys.base_prefix), Path(sys.prefix), Path(os.path.realpath(sys.base_prefix))}
    for key in ("purelib", "platlib", "stdlib", "platstdlib"):
        found.add(Path(sysconfig.get_path(key)))
    found |= {Path(p) for p in sys.path if p.endswith(("site-packages", "dist-packages"))}
    usr = Path("/usr")
    dirs = sorted(p for p in found if p.is_dir() and usr not in (p, *p.parents))
    # the outermost only: a directory inside another bound one comes with it
    return [p for p in dirs if not any(q != p and q in p.parents for q in dirs)]


def _file_system(bundle: Path, binds: list[Path], scratch_bytes: int = 16 * MIB) -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "lib", "lib64", "sbin"):
        host = Path("/") / name
        if host.is_symlink():
            args += ["--symlink", os.readlink(host), str(host)]
        elif host.is_dir():
            args += ["--ro-bind", str(host), str(host)]
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += ["--perms", "1777", "--size", str(scratch_bytes), "--tmpfs", SCRATCH_DIR]
    made: set[Path] = {Path("/"), Path("/usr"), Path(SCRATCH_DIR)}

    def bind(path: Path) -> None:
        for parent in reversed(path.parents):
            if parent not in made:  # bwrap would make it 0700: unreadable after the drop
                args.extend(["--perms", "0755", "--dir", str(parent)])
                made.add(parent)
        args.extend(["--ro-bind", str(path), str(path)])
        made.add(path)

    # Of /etc only what programs need to start: the dynamic linker's cache and Debian's
    # alternatives (/usr/bin/which, awk, ... are links through it); no users, hosts or keys.
    for path in (*_ETC, *binds):
        if path.exists():
            bind(path)
    if bundle != Path(os.sep):
        args += ["--ro-bind", str(bundle), BUNDLE_DIR]
    return args


def sandbox_command(bundle: Path, limits: Limits, spec: dict) -> list[str]:
    """The bwrap command line that runs the driver on `bundle` (a pure function of its inputs
    and of which user runs it)."""
    bwrap = shutil.which("bwrap") or "bwrap"
    env = ["--setenv", "PATH", f"{Path(sys.executable).parent}:/usr/bin:/bin"]
    env += ["--setenv", "USER", "gate2"]
    for name in _ENV_PASSED:
        if name in os.environ:
            env += ["--setenv", name, os.environ[name]]
    return [
        *_namespaces(bwrap),
        *_file_system(bundle, _interpreter_dirs(), limits.written_mb * MIB),
        *env,
        "--chdir",
        SCRATCH_DIR,
        sys.executable,
        "-I",
        "-S",
        "-c",
        Path(driver.__file__).read_text(encoding="utf-8"),
        json.dumps(spec, sort_keys=True),
    ]


class _Tail(threading.Thread):
    """Reads a pipe to its end, keeping at most `keep` bytes (the last ones, or with
    `head` the first ones): whatever the sandbox writes, the verifier's memory stays bounded."""

    def __init__(self, fd: int, keep: int, head: bool = False):
        super().__init__(daemon=True)
        self.fd, self.keep, self.head = fd, keep, head
        self.data, self.overflow = bytearray(), False

    def run(self) -> None:
        with os.fdopen(self.fd, "rb", buffering=0) as stream:
            while chunk := stream.read(1 << 16):
                self.data += chunk
                if len(self.data) > self.keep:
                    self.overflow = True
                    if self.head:
                        del self.data[self.keep :]
                    else:
                        del self.data[: len(self.data) - self.keep]


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


_PAGE = os.sysconf("SC_PAGE_SIZE")
_TICKS = os.sysconf("SC_CLK_TCK")


def _usage(processes: dict[int, list[str]]) -> tuple[int, float, int, float]:
    """(resident bytes, CPU seconds, threads) of these processes together, and the CPU seconds
    of the busiest one; the total includes the children each has reaped, so the re-run's
    finished jobs count through Snakemake."""
    resident = sum(int(fields[21]) for fields in processes.values()) * _PAGE
    ticks = sum(sum(int(f) for f in fields[11:15]) for fields in processes.values())
    threads = sum(int(fields[17]) for fields in processes.values())
    busiest = max((int(f[11]) + int(f[12]) for f in processes.values()), default=0)
    return resident, ticks / _TICKS, threads, busiest / _TICKS


def _unpack(data: bytes, outputs: list[str]) -> dict[str, bytes]:
    """The stage files in the driver's tar stream (only regular files it was asked for)."""
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r|") as tar:
            for member in tar:
                if member.isfile() and member.name in outputs and member.name not in found:
                    handle = tar.extractfile(member)
                    if handle is not None:
                        found[member.name] = handle.read()
    except (tarfile.TarError, EOFError):
        pass  # a cut or garbled stream: what was read so far stands, the rest is missing
    return found


def run_sealed(bundle: Path, *, qid: str, cores: int, outputs: list[str], limits: Limits) -> Sealed:
    """Re-run the unpacked bundle at `bundle` (its workflow/ and work/) in the sandbox."""
    channel_r, channel_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    spec = {
        "results_fd": channel_w,  # the same number in the sandbox: bwrap passes it through
        "drop_to": list(NOBODY) if os.geteuid() == 0 else None,
        "limits": limits.rlimits(),
        "bundle": BUNDLE_DIR,
        "scratch": SCRATCH_DIR,
        "python": sys.executable,
        "qid": qid,
        "cores": cores,
        "outputs": outputs,
    }
    started = time.monotonic()
    proc = subprocess.Popen(  # the command is ours; the bundle is only its data
        sandbox_command(bundle, limits, spec),
        stdin=subprocess.DEVNULL,
        stdout=out_w,
        stderr=err_w,
        pass_fds=(channel_w,),
        start_new_session=True,
    )
    for fd in (channel_w, out_w, err_w):
        os.close(fd)
    readers = [
        _Tail(out_r, OUTPUT_TAIL),
        _Tail(err_r, OUTPUT_TAIL),
        _Tail(channel_r, limits.written_mb * MIB + MIB, head=True),
    ]
    for reader in readers:
        reader.start()
    stopped, peak, cpu, tasks, busiest = None, 0, 0.0, 0, 0.0
    while True:
        pid, status = os.waitpid(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() - started > limits.wall_seconds:
            stopped = "wall"
        else:
            resident, seconds, threads, one = _usage(_sandbox_processes(proc.pid))
            peak, cpu, tasks = max(peak, resident), max(cpu, seconds), max(tasks, threads)
            busiest = max(busiest, one)
            if resident > limits.memory_mb * MIB:
                stopped = "memory"
        if stopped:
            _kill(proc)
            _, status = os.waitpid(proc.pid, 0)
            break
        time.sleep(WATCH_INTERVAL)
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    for reader in readers:
        reader.join()
    stdout, stderr, channel = (bytes(r.data) for r in readers)
    return Sealed(
        returncode=None if stopped else proc.returncode,
        stdout=stdout.decode("utf-8", "replace"),
        stderr=stderr.decode("utf-8", "replace"),
        outputs={} if stopped else _unpack(channel, outputs),
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
