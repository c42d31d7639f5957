"""Gate 2 with a stranger's bundle: hostile stage code, verified in the real sealed sandbox.

Each bundle is the shipped 2cf7d2c bundle (which verifies VERIFIED) with hostile code run first
in its filter script, the manifest made to agree, so only the sandbox stands between the code and
the machine. Each must end UNVERIFIED or FAILED with the reason named, within its limit, leaving
the machine as it was: nothing written outside, no process left, no temporary directory left.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from sovereign.gate2.limits import Limits
from sovereign.gate2.verify import verify
from support.bundles import OLD_BUNDLE, requires_sandbox, with_stage_code
from support.paths import REPO

pytestmark = [pytest.mark.slow, requires_sandbox]

# Tight limits, so each hostile bundle is stopped fast; the honest bundle's re-run fits them
# (about 0.5 GB resident, 10 s).
TIGHT = Limits(
    wall_seconds=60,
    cpu_seconds=60,
    memory_mb=1536,
    memory_mb_virtual=8192,
    processes=256,
    written_mb=256,
)
MARK = "sovereign-hostile-bundle"  # in every hostile script and in the names it tries to write


def leftovers(scratch: Path) -> list[str]:
    """What a verification using `scratch` as its temporary directory left behind: files there,
    and any process in another PID namespace than ours (only a sandbox makes one here)."""
    found = [f"file:{p}" for p in scratch.iterdir()]
    ours = os.readlink("/proc/self/ns/pid")
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.readlink(entry / "ns" / "pid") != ours:
                    found.append(f"process:{entry.name}:{(entry / 'cmdline').read_bytes()[:200]!r}")
            except OSError:
                continue  # ended meanwhile, or not ours to look at
    return found


@pytest.fixture
def machine(tmp_path, monkeypatch):
    """The verifier's temporary directory, checked to be left as it was: empty, and no process
    of the sandbox still running."""
    scratch = tmp_path / "verifier-tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    yield scratch
    deadline = time.monotonic() + 10  # the kernel tears the PID namespace down
    while (left := leftovers(scratch)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert left == []


def run(tmp_path: Path, code: str, limits: Limits = TIGHT) -> tuple[dict, float]:
    bundle = with_stage_code(OLD_BUNDLE, tmp_path / "hostile.tar.gz", f"# {MARK}\n{code}")
    started = time.monotonic()
    verdict = verify(bundle, limits=limits)
    return verdict, time.monotonic() - started


def test_the_honest_bundle_verifies_in_the_sandbox(tmp_path, machine):
    bundle = tmp_path / "old.tar.gz"
    shutil.copy(OLD_BUNDLE, bundle)
    verdict = verify(bundle, limits=TIGHT)
    assert verdict["status"] == "VERIFIED", verdict["reason"]
    assert verdict["environment"]["isolation"].startswith("bubblewrap")
    assert verdict["environment"]["limits"] == TIGHT.as_dict()


def test_canaries_in_the_home_directory_and_the_hosts_tmp_are_out_of_reach(tmp_path, machine):
    secret = f"canary-{secrets.token_hex(8)}"
    canaries = [
        Path.home() / f".sovereign-gate2-canary-{secrets.token_hex(4)}",
        Path("/tmp") / f"sovereign-gate2-canary-{secrets.token_hex(4)}",  # readable by anyone
    ]
    for canary in canaries:
        canary.write_text(secret)
        canary.chmod(0o644)
    try:
        code = (
            "import sys\n"
            f"for path in {[str(c) for c in canaries]!r}:\n"
            "    try:\n"
            "        print('stolen:', open(path).read(), file=sys.stderr)\n"
            "    except FileNotFoundError:\n"
            "        continue\n"
            "    raise RuntimeError('a canary was read')\n"
            "raise FileNotFoundError('no canary within reach')\n"
        )
        bundle = with_stage_code(OLD_BUNDLE, tmp_path / "canary.tar.gz", f"# {MARK}\n{code}")
        proc = subprocess.run(
            [sys.executable, "-m", "sovereign.reproduce", str(bundle), "--verdict", "v.json"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO / "src"), "TMPDIR": str(machine)},
        )
        verdict_text = (tmp_path / "v.json").read_text()
    finally:
        for canary in canaries:
            canary.unlink()
    verdict = json.loads(verdict_text)
    assert verdict["status"] == "FAILED", verdict["reason"]
    assert "rule filter" in verdict["reason"] and "no canary within reach" in verdict["reason"]
    for text in (verdict_text, proc.stdout, proc.stderr):
        assert secret not in text


def test_writes_outside_the_bundle_change_nothing(tmp_path, machine):
    """Every place outside its scratch space is missing or read-only in the sandbox: even a
    directory anyone may write to, and the sandbox's own /, /dev and /dev/shm."""
    outside = Path(tempfile.mkdtemp(prefix=f"{MARK}-", dir="/tmp"))
    try:
        outside.chmod(0o777)
        (outside / "keep.txt").write_text("as it was")
        (outside / "keep.txt").chmod(0o666)
        targets = [outside / "keep.txt", outside / "new.txt", Path.home() / f".{MARK}"]
        targets += [REPO / MARK, Path(f"/{MARK}"), Path(f"/dev/{MARK}"), Path(f"/dev/shm/{MARK}")]
        code = (
            "import errno\nfrom pathlib import Path\ncodes = []\n"
            f"for path in {[str(t) for t in targets]!r}:\n"
            "    try:\n"
            "        Path(path).write_text('owned')\n"
            "        codes.append('WROTE')\n"
            "    except OSError as err:\n"
            "        codes.append(errno.errorcode[err.errno])\n"
            "raise RuntimeError('writes outside: ' + ' '.join(codes))\n"
        )
        verdict, _ = run(tmp_path, code)
        assert (outside / "keep.txt").read_text() == "as it was"
        assert sorted(p.name for p in outside.iterdir()) == ["keep.txt"]
    finally:
        shutil.rmtree(outside)
    assert verdict["status"] == "FAILED", verdict["reason"]
    said = verdict["reason"].split("writes outside: ")[1].split()
    assert len(said) == len(targets) and "WROTE" not in said, said
    codes = dict(zip(map(str, targets), said, strict=True))
    # Where a leaked mount would let anyone write (the 0777 directory), and the sandbox's own
    # /, /dev and /dev/shm: missing or read-only, not merely forbidden to the sandbox's user.
    # (The home and the project may be forbidden instead: a directory the sandbox made on the
    # way to the interpreter it binds, owned by root, when the interpreter lives below them.)
    for target in [*targets[:2], *targets[-3:]]:
        assert codes[str(target)] in ("ENOENT", "EROFS"), (target, codes)
    assert not (Path.home() / f".{MARK}").exists() and not (REPO / MARK).exists()
    assert not Path(f"/{MARK}").exists() and not Path(f"/dev/shm/{MARK}").exists()


def test_no_way_around_the_limits_is_open(tmp_path, machine):
    """A new user namespace (capabilities again, and a tmpfs of its own with no size limit),
    memory no resident size shows (memfd, System V shared memory): each refused."""
    code = (
        "import ctypes, subprocess\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "opened = []\n"
        "if libc.unshare(0x10000000) == 0: opened.append('unshare(CLONE_NEWUSER)')\n"
        "if libc.memfd_create(b'x', 0) >= 0: opened.append('memfd_create')\n"
        "if libc.shmget(0, 1 << 20, 0o1600) >= 0: opened.append('shmget')\n"
        "if subprocess.run(['unshare', '-Ur', 'true']).returncode == 0:\n"
        "    opened.append('unshare -Ur')\n"
        "raise RuntimeError('ways around: ' + (', '.join(opened) or 'none'))\n"
    )
    verdict, _ = run(tmp_path, code)
    assert verdict["status"] == "FAILED", verdict["reason"]
    assert "ways around: none" in verdict["reason"]


def test_a_fork_bomb_is_held_at_the_process_limit(tmp_path, machine):
    code = (
        "import os, time\n"
        "while True:\n"
        "    try:\n"
        "        os.fork()\n"
        "    except OSError:\n"
        "        time.sleep(0.05)  # never gives up: only the sandbox ends it\n"
    )
    limits = Limits(**{**TIGHT.as_dict(), "wall_seconds": 20, "processes": 64})
    verdict, took = run(tmp_path, code, limits)
    assert verdict["status"] == "UNVERIFIED", verdict["reason"]
    assert "process limit (64" in verdict["reason"]
    assert took < 20 + 15


def test_endless_memory_is_stopped_at_the_memory_limit(tmp_path, machine):
    code = "hoard = []\nwhile True:\n    hoard.append(b'x' * (64 << 20))\n"
    verdict, took = run(tmp_path, code)
    assert verdict["status"] == "UNVERIFIED", verdict["reason"]
    assert "memory limit" in verdict["reason"]
    assert took < TIGHT.wall_seconds


def test_endless_writing_is_stopped_at_the_bytes_written_limit(tmp_path, machine):
    code = (
        "with open('endless.bin', 'wb') as out:\n"
        "    while True:\n"
        "        out.write(b'x' * (1 << 20))\n"
    )
    verdict, took = run(tmp_path, code)
    assert verdict["status"] == "UNVERIFIED", verdict["reason"]
    assert "bytes-written limit (256 MiB)" in verdict["reason"]
    assert took < TIGHT.wall_seconds


def test_a_sleeper_is_stopped_at_the_wall_time_limit(tmp_path, machine):
    limits = Limits(**{**TIGHT.as_dict(), "wall_seconds": 15})
    verdict, took = run(tmp_path, "import time\ntime.sleep(3600)\n", limits)
    assert verdict["status"] == "UNVERIFIED", verdict["reason"]
    assert "wall-time limit (15 s)" in verdict["reason"]
    assert 15 <= took < 15 + 15


def test_spinners_are_stopped_at_the_cpu_time_limit(tmp_path, machine):
    """One process that spins is stopped by the kernel (SIGXCPU); four that share the work are
    stopped by the verifier, which counts the CPU time of them all."""
    limits = Limits(**{**TIGHT.as_dict(), "cpu_seconds": 5})
    verdict, took = run(tmp_path, "while True:\n    pass\n", limits)
    assert verdict["status"] == "UNVERIFIED", verdict["reason"]
    assert "CPU-time limit (5 s)" in verdict["reason"]
    assert took < TIGHT.wall_seconds
    shared = (
        "import os\nfor _ in range(3):\n    if os.fork() == 0:\n        break\n"
        "while True:\n    pass\n"
    )
    verdict, took = run(tmp_path, shared, limits)
    assert verdict["status"] == "UNVERIFIED", verdict["reason"]
    assert "CPU-time limit (5 s)" in verdict["reason"]
    assert took < TIGHT.wall_seconds


def test_the_network_is_out_of_reach(tmp_path, machine):
    """Not even the host's loopback: a server listening there is not reachable (the sandbox's
    127.0.0.1 is its own, with nothing listening)."""
    import socket

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        code = (
            "import socket\n"
            "try:\n"
            f"    socket.create_connection(('127.0.0.1', {port}), timeout=5)\n"
            "except ConnectionRefusedError:\n"
            "    pass\n"
            "else:\n"
            "    raise SystemExit('reached the host loopback')\n"
            "socket.create_connection(('192.0.2.1', 80), timeout=5)\n"
        )
        verdict, _ = run(tmp_path, code)
    assert verdict["status"] == "UNVERIFIED", verdict["reason"]
    assert "tried to reach the network" in verdict["reason"]


SYSTEM_PYTHON = Path("/usr/bin/python3.11")


@pytest.mark.skipif(
    os.geteuid() != 0 or not SYSTEM_PYTHON.exists(),
    reason="needs root (to become another user) and Debian's /usr/bin/python3.11",
)
def test_an_unprivileged_user_gets_the_same_sandbox(machine):
    """Verified by a user who is not root, the sandbox is a user namespace of that user's (the
    tests above run as root, which drops to nobody instead): honest still VERIFIED, and a fork
    bomb still held at the process limit, which binds per user namespace."""
    place = Path(tempfile.mkdtemp(prefix="unprivileged-", dir="/tmp"))
    try:
        place.chmod(0o755)
        venv = place / "venv"  # the verifier's Python for that user: this one's packages
        subprocess.run([SYSTEM_PYTHON, "-m", "venv", "--without-pip", venv], check=True)
        site = next(venv.glob("lib/python3.11/site-packages"))
        borrowed = [p for p in sys.path if p.endswith("site-packages")] + [str(REPO / "src")]
        (site / "borrowed.pth").write_text("\n".join(borrowed) + "\n")
        bomb = (
            "import os, time\nwhile True:\n    try:\n        os.fork()\n"
            "    except OSError:\n        time.sleep(0.05)\n"
        )
        shutil.copy(OLD_BUNDLE, place / "honest.tar.gz")
        with_stage_code(OLD_BUNDLE, place / "bomb.tar.gz", f"# {MARK}\n{bomb}")
        os.chown(place, 65534, 65534)
        verdicts = {}
        for name, flags in (
            ("honest", []),
            ("bomb", ["--wall-seconds", "20", "--processes", "64"]),
        ):
            subprocess.run(
                ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"]
                + [venv / "bin" / "python", "-m", "sovereign.reproduce", f"{name}.tar.gz"]
                + ["--verdict", f"{name}.json", *flags],
                cwd=place,
                env={"PATH": "/usr/bin:/bin", "HOME": str(place), "TMPDIR": str(place)},
                capture_output=True,
                check=False,
            )
            verdicts[name] = json.loads((place / f"{name}.json").read_text())
    finally:
        shutil.rmtree(place)
    assert verdicts["honest"]["status"] == "VERIFIED", verdicts["honest"]["reason"]
    assert verdicts["bomb"]["status"] == "UNVERIFIED", verdicts["bomb"]["reason"]
    assert "process limit (64" in verdicts["bomb"]["reason"]
