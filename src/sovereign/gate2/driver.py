"""The first program inside the Gate 2 sandbox (standard library only: it runs as
``python -I -S -c <this file's text> SPEC``, before any of the bundle's code).

It is the verifier's code, not the bundle's. It

1. keeps the results channel (a pipe to the verifier) to itself: not inherited by the re-run,
   and not reachable through /proc (the driver makes itself non-dumpable);
2. gives up root where the sandbox was started by root (the sandbox's processes then run as an
   unprivileged user of their own, so the process limit binds them and no capability is left),
   and checks that root cannot be had back;
3. sets the resource limits, soft and hard, so nothing below can raise them again (a hard
   limit already lower stays);
4. copies the unpacked bundle (read-only) into the sandbox's size-capped scratch file system;
5. runs Snakemake there, its output going to the verifier's capped pipes;
6. sends back, through the results channel, the stage files the re-run wrote (a tar stream),
   and on failure prints the tail of each rule log, so the verifier can name what stopped it.

SPEC is a JSON object: results_fd, drop_to ([uid, gid] or null), limits (resource name ->
[soft, hard]), bundle, scratch, python, qid, cores, outputs. If steps 1-4 fail, nothing of the
bundle's has run: the driver prints SETUP_FAILED and the reason, and exits with SETUP_EXIT.
"""

import ctypes
import json
import os
import resource
import shutil
import subprocess
import sys
import tarfile

SETUP_FAILED = "sovereign-sandbox: setup failed: "
SETUP_EXIT = 125
PR_SET_DUMPABLE = 4
LOG_TAIL_BYTES = 4000  # per rule log, printed when the re-run fails
LOG_TAIL_TOTAL = 64000


def _drop_privileges(uid, gid):
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    if os.getresuid() != (uid, uid, uid) or os.getresgid() != (gid, gid, gid):
        raise OSError(f"still {os.getresuid()}/{os.getresgid()} after dropping to {uid}/{gid}")
    try:
        os.setuid(0)
    except PermissionError:
        return
    raise OSError("root could be had back after dropping it")


def _not_dumpable():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")


def _limit(spec):
    for name, (soft, hard) in sorted(spec.items()):
        number = getattr(resource, name)
        _soft, now = resource.getrlimit(number)
        if now != resource.RLIM_INFINITY:
            hard = min(hard, now)
        resource.setrlimit(number, (min(soft, hard), hard))


def _set_up(spec):
    """Steps 1-4; returns the working directory."""
    os.set_inheritable(spec["results_fd"], False)
    if spec["drop_to"]:
        _drop_privileges(*spec["drop_to"])
    _not_dumpable()  # after the drop: setuid would make it dumpable again
    _limit(spec["limits"])
    run = os.path.join(spec["scratch"], "run")
    shutil.copytree(spec["bundle"], run, symlinks=True)
    os.environ["HOME"] = os.environ["TMPDIR"] = os.path.join(spec["scratch"], "home")
    os.makedirs(os.environ["HOME"], exist_ok=True)
    return run


def _print_log_tails(work):
    logs = os.path.join(work, "logs")
    budget = LOG_TAIL_TOTAL
    for root, _dirs, files in sorted(os.walk(logs)):
        for name in sorted(files):
            path = os.path.join(root, name)
            if budget <= 0 or os.path.islink(path) or not os.path.isfile(path):
                continue
            with open(path, "rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                handle.seek(max(0, size - min(LOG_TAIL_BYTES, budget)))
                tail = handle.read().decode("utf-8", "replace")
            budget -= len(tail)
            if not tail.strip():
                continue
            rel = os.path.relpath(path, work)
            print(f"sovereign-sandbox: log {rel}:\n{tail}", file=sys.stderr, flush=True)


def _send_outputs(channel, out_dir, outputs):
    with os.fdopen(channel, "wb") as stream, tarfile.open(fileobj=stream, mode="w|") as tar:
        for name in outputs:
            path = os.path.join(out_dir, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            tar.add(path, arcname=name, recursive=False)


def main(argv):
    spec = json.loads(argv[1])
    channel = spec["results_fd"]
    try:
        run = _set_up(spec)
    except Exception as err:  # noqa: BLE001 (any failure here is the sandbox's, not the bundle's)
        print(f"{SETUP_FAILED}{type(err).__name__}: {err}", file=sys.stderr, flush=True)
        return SETUP_EXIT
    work = os.path.join(run, "work")
    cmd = [
        spec["python"],
        "-m",
        "snakemake",
        "--snakefile",
        os.path.join(run, "workflow", "Snakefile"),
        "--directory",
        work,
        "--workflow-profile",
        os.path.join(run, "workflow", "profiles", "default"),
        "--cores",
        str(spec["cores"]),
        f"results/{spec['qid']}/record.json",
    ]
    code = subprocess.run(cmd, cwd=work, check=False).returncode
    if code != 0:
        _print_log_tails(work)
    _send_outputs(channel, os.path.join(work, "results", spec["qid"]), spec["outputs"])
    return 0 if code == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
