"""support.offline: commands run with the network cut (loopback only, no real network)."""

from __future__ import annotations

import errno
import json
import os
import socket
import sys
import textwrap
from pathlib import Path

import pytest

from support import offline as sandbox
from support.offline import (
    GUARD_MESSAGE,
    NAMESPACE,
    SOCKET_GUARD,
    isolation_method,
    run_isolated,
)

METHODS = [SOCKET_GUARD] + ([NAMESPACE] if isolation_method() == NAMESPACE else [])

# Tries a TCP connection to argv[1]:argv[2]; prints JSON: ok, errno, message, PYTHONPATH.
PROBE = textwrap.dedent(
    """
    import json, os, socket, sys
    host, port = sys.argv[1], int(sys.argv[2])
    out = {"pythonpath": os.environ.get("PYTHONPATH", "")}
    try:
        with socket.create_connection((host, port), timeout=3):
            out.update(ok=True, errno=None, message="")
    except OSError as exc:
        out.update(ok=False, errno=exc.errno, message=str(exc))
    print(json.dumps(out))
    """
)

# The same, but via a raw socket.connect (not create_connection).
RAW_PROBE = textwrap.dedent(
    """
    import json, socket, sys
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(3)
    try:
        s.connect((sys.argv[1], int(sys.argv[2])))
        out = {"ok": True, "errno": None, "message": ""}
    except OSError as exc:
        out = {"ok": False, "errno": exc.errno, "message": str(exc)}
    print(json.dumps(out))
    """
)


@pytest.fixture
def server():
    """A listening TCP socket on 127.0.0.1 (the kernel completes connects; no accept needed)."""
    with socket.create_server(("127.0.0.1", 0)) as srv:
        srv.listen(8)
        yield srv.getsockname()[1]


def _run(args, tmp_path, method, env=None, script=PROBE):
    env = dict(os.environ if env is None else env)
    proc, used = run_isolated(
        [sys.executable, "-c", script, *map(str, args)],
        cwd=tmp_path,
        env=env,
        method=method,
        timeout=20,
    )
    assert used == method
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_isolation_method_is_cached_and_valid():
    assert isolation_method() in (NAMESPACE, SOCKET_GUARD)
    assert isolation_method() is isolation_method()
    assert isolation_method.cache_info().hits >= 1


def test_default_method_is_isolation_method(tmp_path):
    proc, used = run_isolated(
        [sys.executable, "-c", "print(1)"], cwd=tmp_path, env=dict(os.environ)
    )
    assert used == isolation_method()
    assert proc.stdout.strip() == "1"


def test_unknown_method_rejected(tmp_path):
    with pytest.raises(ValueError, match="unknown isolation method"):
        run_isolated(["true"], cwd=tmp_path, env={}, method="chroot")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("script", [PROBE, RAW_PROBE], ids=["create_connection", "connect"])
def test_loopback(method, script, server, tmp_path):
    out = _run(["127.0.0.1", server], tmp_path, method, script=script)
    if method == SOCKET_GUARD:
        assert out["ok"], out  # loopback stays open under the guard
    else:
        assert not out["ok"], out  # the host's loopback is out of the namespace's reach
        assert GUARD_MESSAGE not in out["message"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("script", [PROBE, RAW_PROBE], ids=["create_connection", "connect"])
def test_remote_address_blocked(method, script, tmp_path):
    out = _run(["192.0.2.1", 9], tmp_path, method, script=script)
    assert not out["ok"], out
    if method == SOCKET_GUARD:
        assert out["message"] == GUARD_MESSAGE + "192.0.2.1"
    else:
        assert out["errno"] == errno.ENETUNREACH, out


def test_guard_blocks_name_resolution(tmp_path):
    out = _run(["example.org", 80], tmp_path, SOCKET_GUARD)
    assert out["message"] == GUARD_MESSAGE + "example.org"


def test_guard_blocks_connect_ex_and_ipv6(tmp_path):
    script = textwrap.dedent(
        """
        import socket
        results = []
        for family, addr in [(socket.AF_INET, ("192.0.2.1", 9)),
                             (socket.AF_INET6, ("2001:db8::1", 9, 0, 0))]:
            s = socket.socket(family, socket.SOCK_STREAM)
            try:
                s.connect_ex(addr)
                results.append("open")
            except OSError as exc:
                results.append(str(exc))
        print("|".join(results))
        """
    )
    proc, _ = run_isolated(
        [sys.executable, "-c", script], cwd=tmp_path, env=dict(os.environ), method=SOCKET_GUARD
    )
    assert proc.stdout.strip() == f"{GUARD_MESSAGE}192.0.2.1|{GUARD_MESSAGE}2001:db8::1"


@pytest.mark.parametrize("method", METHODS)
def test_grandchild_blocked(method, server, tmp_path):
    spawner = textwrap.dedent(
        f"""
        import subprocess, sys
        for host, port in [("192.0.2.1", 9), ("127.0.0.1", {server})]:
            r = subprocess.run([sys.executable, "-c", {PROBE!r}, host, str(port)],
                               capture_output=True, text=True)
            print(r.stdout.strip())
        """
    )
    proc, used = run_isolated(
        [sys.executable, "-c", spawner], cwd=tmp_path, env=dict(os.environ), method=method
    )
    assert used == method
    assert proc.returncode == 0, proc.stderr
    remote, local = (json.loads(line) for line in proc.stdout.strip().splitlines())
    assert not remote["ok"]
    if method == SOCKET_GUARD:
        assert remote["message"] == GUARD_MESSAGE + "192.0.2.1"
        assert local["ok"], local
    else:
        assert remote["errno"] == errno.ENETUNREACH
        assert not local["ok"]


def test_pythonpath_preserved_and_guard_dir_removed(tmp_path):
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "callers_module.py").write_text("VALUE = 42\n")
    env = dict(os.environ, PYTHONPATH=str(extra))
    script = (
        "import os, callers_module; print(os.environ['PYTHONPATH']); print(callers_module.VALUE)"
    )
    proc, _ = run_isolated(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, method=SOCKET_GUARD
    )
    assert proc.returncode == 0, proc.stderr
    pythonpath, value = proc.stdout.strip().splitlines()
    entries = pythonpath.split(os.pathsep)
    assert entries[1:] == [str(extra)]
    assert value == "42"
    assert env["PYTHONPATH"] == str(extra)  # the caller's env is not modified
    guard_dir = Path(entries[0])
    assert guard_dir.name.startswith("sovereign-gate2-guard-")
    assert not guard_dir.exists()


def test_guard_dir_removed_on_timeout(tmp_path, monkeypatch):
    made = []
    real_mkdtemp = sandbox.tempfile.mkdtemp

    def mkdtemp(*args, **kwargs):
        made.append(real_mkdtemp(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(sandbox.tempfile, "mkdtemp", mkdtemp)
    with pytest.raises(sandbox.subprocess.TimeoutExpired):
        run_isolated(
            [sys.executable, "-c", "import time; time.sleep(5)"],
            cwd=tmp_path,
            env=dict(os.environ),
            method=SOCKET_GUARD,
            timeout=0.5,
        )
    assert made and not Path(made[0]).exists()


def test_guard_shadows_and_chains_existing_sitecustomize(tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "sitecustomize.py").write_text("import builtins\nbuiltins.OTHER_SITECUSTOMIZE = 1\n")
    env = dict(os.environ, PYTHONPATH=str(other))
    script = textwrap.dedent(
        """
        import builtins, socket
        print(getattr(builtins, "OTHER_SITECUSTOMIZE", 0))
        try:
            socket.create_connection(("192.0.2.1", 9), timeout=3)
        except OSError as exc:
            print(exc)
        """
    )
    proc, _ = run_isolated(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, method=SOCKET_GUARD
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines() == ["1", GUARD_MESSAGE + "192.0.2.1"]
