"""Run a command with the network cut, for tests that prove a command needs no network (the
fresh clone's `make run`). Gate 2 itself runs bundles in a sealed sandbox
(`sovereign.gate2.seal`); this only cuts the network, for the project's own trusted code.

Two methods, best first:

* ``"network-namespace"``: the command runs under ``unshare --net`` (plus ``--map-root-user``
  when not root), in a fresh network namespace that has no interfaces up, not even loopback.
  Nothing the command or any of its descendants does (Python or not) can reach another host, nor a
  service listening on the host's 127.0.0.1.
* ``"socket-guard"``: the fallback where unprivileged namespaces are unavailable. A
  ``sitecustomize.py`` written into a fresh temporary directory, put *first* on the child's
  ``PYTHONPATH``, patches ``socket`` at interpreter start-up so any connection to a non-loopback
  address raises ``OSError(GUARD_MESSAGE + host)``. Loopback (127.0.0.0/8, ::1) and ``AF_UNIX``
  stay open. Every Python process started below the command inherits the guard through
  ``PYTHONPATH``; non-Python programs (curl, git, ...) are *not* guarded, and neither is a Python
  started with ``-I``/``-E``/``-S`` or with ``PYTHONPATH`` dropped from its environment.

  Shadowing: because the guard is named ``sitecustomize`` and sits in the first ``PYTHONPATH``
  entry, it is the module ``site`` imports even when another ``sitecustomize`` is importable (from
  the caller's ``PYTHONPATH`` or site-packages). After installing itself the guard runs that other
  ``sitecustomize`` (the next one on ``sys.path``), so its behaviour is kept.

`isolation_method()` probes once (cached) which method works here; `run_isolated()` runs a command
under one of them and says which.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

GUARD_MESSAGE = "sovereign gate2: network access blocked: "
NAMESPACE = "network-namespace"
SOCKET_GUARD = "socket-guard"
METHODS = (NAMESPACE, SOCKET_GUARD)

_GUARD_SOURCE = '''\
"""sovereign Gate 2 socket guard (written by tests/support/offline.py; removed after the run).

Blocks connections to non-loopback addresses, then runs the sitecustomize it shadows, if any.
"""


def _sovereign_gate2_install():
    import ipaddress
    import socket

    message = {message!r}
    guard_dir = {guard_dir!r}
    families = {{socket.AF_INET, socket.AF_INET6}}

    def literal(host):
        try:
            return ipaddress.ip_address(str(host).split("%", 1)[0])
        except ValueError:
            return None

    def loopback(host):
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        host = str(host).strip("[]")
        if host.lower().rstrip(".") == "localhost" or host.lower().endswith(".localhost"):
            return True
        ip = literal(host)
        if ip is None:
            return False
        mapped = getattr(ip, "ipv4_mapped", None)
        return (mapped or ip).is_loopback

    def blocked(host):
        return OSError(message + str(host))

    def check(family, address):
        if family in families and isinstance(address, tuple) and address:
            if not loopback(address[0]):
                raise blocked(address[0])

    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_sendto = socket.socket.sendto
    real_create_connection = socket.create_connection
    real_getaddrinfo = socket.getaddrinfo
    real_gethostbyname = socket.gethostbyname
    real_gethostbyname_ex = socket.gethostbyname_ex

    def connect(self, address):
        check(self.family, address)
        return real_connect(self, address)

    def connect_ex(self, address):
        check(self.family, address)
        return real_connect_ex(self, address)

    def sendto(self, data, *args):
        if args:
            check(self.family, args[-1])
        return real_sendto(self, data, *args)

    def create_connection(address, *args, **kwargs):
        if not loopback(address[0]):
            raise blocked(address[0])
        return real_create_connection(address, *args, **kwargs)

    def resolvable(host):
        # No lookup may go to a name server: only no host (bind), loopback names, this machine's
        # own name and address literals (their connections are checked at connect time).
        if host is None or host in ("", b""):
            return True
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        if loopback(host) or literal(host) is not None:
            return True
        try:
            return host == socket.gethostname()
        except OSError:
            return False

    def getaddrinfo(host, *args, **kwargs):
        if not resolvable(host):
            raise blocked(host)
        return real_getaddrinfo(host, *args, **kwargs)

    def gethostbyname(host):
        if not resolvable(host):
            raise blocked(host)
        return real_gethostbyname(host)

    def gethostbyname_ex(host):
        if not resolvable(host):
            raise blocked(host)
        return real_gethostbyname_ex(host)

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.socket.sendto = sendto
    socket.create_connection = create_connection
    socket.getaddrinfo = getaddrinfo
    socket.gethostbyname = gethostbyname
    socket.gethostbyname_ex = gethostbyname_ex

    # Run the sitecustomize this module shadows (the next one on sys.path), if any.
    import importlib.machinery
    import importlib.util
    import os
    import sys

    def same(path):
        try:
            return os.path.samefile(path or ".", guard_dir)
        except OSError:
            return False

    rest = [p for p in sys.path if not same(p)]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is not None and spec.loader is not None:
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception as exc:  # as site.py does: report, carry on
            print(f"Error in shadowed sitecustomize {{spec.origin}}: {{exc!r}}", file=sys.stderr)


_sovereign_gate2_install()
del _sovereign_gate2_install
'''


def _unshare_prefix() -> list[str]:
    unshare = shutil.which("unshare") or "unshare"
    prefix = [unshare, "--net"]
    if os.geteuid() != 0:
        prefix.append("--map-root-user")
    return prefix


@functools.cache
def isolation_method() -> str:
    """``"network-namespace"`` when ``unshare --net`` works here (probed once, cached), else
    ``"socket-guard"``. Never raises."""
    try:
        probe = subprocess.run(
            [*_unshare_prefix(), "true"],
            capture_output=True,
            timeout=10,
            check=False,
        )
        if probe.returncode == 0:
            return NAMESPACE
    except Exception:  # any failure means "not available"
        pass
    return SOCKET_GUARD


def guard_source(guard_dir: str | os.PathLike[str]) -> str:
    """The text of the guard ``sitecustomize.py`` for a guard directory."""
    return _GUARD_SOURCE.format(message=GUARD_MESSAGE, guard_dir=str(guard_dir))


def run_isolated(
    cmd: list[str],
    *,
    cwd: str | os.PathLike[str] | None,
    env: dict[str, str],
    method: str | None = None,
    timeout: float | None = None,
) -> tuple[subprocess.CompletedProcess[str], str]:
    """Run ``cmd`` (output captured as text, exit status not checked) with the network cut.

    ``method`` is ``"network-namespace"``, ``"socket-guard"`` or None (the best one here, from
    `isolation_method()`). Returns (the completed process, the method used). ``env`` is not
    modified; a ``subprocess.TimeoutExpired`` from ``timeout`` propagates (after clean-up).
    """
    if method is None:
        method = isolation_method()
    if method not in METHODS:
        raise ValueError(f"unknown isolation method {method!r}; expected one of {METHODS}")
    child_env = dict(env)
    if method == NAMESPACE:
        proc = subprocess.run(
            [*_unshare_prefix(), *cmd],
            cwd=cwd,
            env=child_env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return proc, method
    guard_dir = tempfile.mkdtemp(prefix="sovereign-gate2-guard-")
    try:
        Path(guard_dir, "sitecustomize.py").write_text(guard_source(guard_dir), encoding="utf-8")
        previous = child_env.get("PYTHONPATH")
        child_env["PYTHONPATH"] = guard_dir + (os.pathsep + previous if previous else "")
        proc = subprocess.run(
            cmd,
            cwd=cwd,
            env=child_env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    finally:
        shutil.rmtree(guard_dir, ignore_errors=True)
    return proc, method
