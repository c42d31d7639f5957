"""The sealed sandbox a Gate 2 re-run runs in: the bubblewrap (`bwrap`) command line.

Inside, the re-run sees:

* the unpacked bundle, read-only at /bundle, copied by the driver into /tmp: a fresh tmpfs, the
  only writable place, its size the bytes-written limit (/ and /dev are remounted read-only);
* read-only: /usr (with /bin, /lib, /lib64, /sbin as the host has them) and the interpreter's
  own directories (its installation, the virtual environment, site-packages elsewhere on its
  path), each at its own path: a parent directory on the way (the home directory of a pyenv
  interpreter, say) is an empty one, made by the sandbox;
* of /etc only the linker's cache and Debian's alternatives;
* a new /proc; bubblewrap's minimal /dev (null, zero, full, random, urandom, tty, pts, shm).

It runs in new PID, network (no interface but its own loopback), IPC, UTS and cgroup
namespaces, with no capability, under a system-call filter (`seccomp`) that refuses new user
namespaces and memory no process's resident size shows. Started by a user, it runs in a new
user namespace of that user's, which cannot make another. Started by root, it makes no user
namespace (one would keep root's kernel identity, which no process limit binds); the driver
drops to a user id of its own (`sandbox_user`: no other process has it, so the process limit
counts this sandbox alone), keeping until then only the two capabilities that lets it do so.
`watch.run_sealed` runs it and stops it at a limit.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from . import driver, seccomp
from .limits import MIB, Limits

BUBBLEWRAP = "bubblewrap"
SANDBOX_UID_BASE = 1_999_000_000  # + the verifier's pid % 1,000,000: a root-started sandbox's user
BUNDLE_DIR = "/bundle"
SCRATCH_DIR = "/tmp"
_ENV_PASSED = ("LANG", "LC_ALL", "LC_CTYPE", "TZ")
_ETC = (Path("/etc/ld.so.cache"), Path("/etc/alternatives"))
# what the trial sandbox may see at its root (the directories it is given, no more)
_GIVEN_ROOT = {"bin", "dev", "etc", "lib", "lib64", "proc", "sbin", "tmp", "usr"}
INSTALL_HINT = "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap)"


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
        filter_fd = seccomp_fd()
        if filter_fd is None and os.geteuid() == 0:
            return None, (
                f"no system-call filter for this machine's architecture ({os.uname().machine}), "
                "which a sandbox started by root needs: verify as a user who is not root"
            )
        try:
            probe = subprocess.run(
                [*_namespaces(bwrap, filter_fd), *_file_system(Path(os.sep), []), "ls", "/"],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
                pass_fds=() if filter_fd is None else (filter_fd,),
            )
        finally:
            if filter_fd is not None:
                os.close(filter_fd)
    except (OSError, subprocess.SubprocessError) as err:
        return None, f"bwrap could not be run ({err}); {INSTALL_HINT}"
    if probe.returncode != 0:
        why = " ".join(probe.stderr.split())[:300] or f"exit status {probe.returncode}"
        return None, (
            f"bwrap cannot make a sandbox on this machine ({why}); it needs user namespaces "
            "(kernel.unprivileged_userns_clone=1, or no AppArmor rule against them) or root"
        )
    if set(probe.stdout.split()) - _GIVEN_ROOT:
        return None, f"the trial sandbox saw more than it was given: {probe.stdout.split()}"
    name = BUBBLEWRAP + (f" {version[-1]}" if version else "")
    how = "a user of its own" if os.geteuid() == 0 else "a user namespace"
    filtered = ", seccomp" if seccomp.program() is not None else ""
    return f"{name}: {how}, no capabilities{filtered}", ""


def sandbox_user() -> tuple[int, int]:
    """The user and group a root-started sandbox runs as: an id no account has, and no other
    verification running at the same time (the process limit counts processes per user)."""
    uid = SANDBOX_UID_BASE + os.getpid() % 1_000_000
    return uid, uid


def seccomp_fd() -> int | None:
    """A pipe's read end holding the system-call filter (bwrap reads it to its end), or None
    where the architecture has none."""
    program = seccomp.program()
    if program is None:
        return None
    read_end, write_end = os.pipe()
    os.write(write_end, program)  # a few hundred bytes: never more than the pipe holds
    os.close(write_end)
    return read_end


def _namespaces(bwrap: str, filter_fd: int | None) -> list[str]:
    common = ["--die-with-parent", "--new-session", "--clearenv", "--hostname", "gate2"]
    spaces = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts"]
    spaces += ["--unshare-cgroup-try"]
    if filter_fd is not None:
        common += ["--seccomp", str(filter_fd)]
    if os.geteuid() == 0:
        # Root's processes are exempt from the process limit, and a user namespace started by
        # root keeps root's user: so no user namespace, and the driver drops to a user of its
        # own (the only capabilities it keeps until then are the two that let it do so).
        privileges = ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        return [bwrap, *common, *spaces, *privileges]
    return [bwrap, *common, *spaces, "--unshare-user", "--disable-userns"]


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
    # Last, once every mount point is made: the sandbox's own / and /dev (tmpfs owned by a
    # user-namespace sandbox's user, else writable past the bytes-written limit) read-only.
    return [*args, "--remount-ro", "/dev", "--remount-ro", "/"]


def sandbox_command(
    bundle: Path, limits: Limits, spec: dict, filter_fd: int | None = None
) -> list[str]:
    """The bwrap command line that runs the driver on `bundle` (a pure function of its inputs
    and of which user runs it), with the system-call filter read from `filter_fd`."""
    bwrap = shutil.which("bwrap") or "bwrap"
    env = ["--setenv", "PATH", f"{Path(sys.executable).parent}:/usr/bin:/bin"]
    env += ["--setenv", "USER", "gate2"]
    for name in _ENV_PASSED:
        if name in os.environ:
            env += ["--setenv", name, os.environ[name]]
    return [
        *_namespaces(bwrap, filter_fd),
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
