"""The sealed sandbox's parts that need no sandbox: the limits, how a stopped re-run is named,
what the bwrap command line binds, and that no sandbox means no re-run (UNVERIFIED)."""

from __future__ import annotations

import io
import os
import shutil
import struct
import tarfile
from pathlib import Path

import pytest

from sovereign.config.checks import default_config
from sovereign.gate2 import reasons, seal, seccomp, verify, watch
from sovereign.gate2.limits import MIB, Limits, describe, limit_hit
from support.bundles import OLD_BUNDLE


def test_the_limits_default_to_the_schema_and_are_overridden_by_config():
    assert Limits.defaults() == Limits.from_config(default_config()["gate2"]["limits"])
    assert Limits.defaults().wall_seconds == 3600
    assert Limits.from_config({"processes": 64}).processes == 64
    rlimits = Limits.from_config({"written_mb": 100, "cpu_seconds": 7}).rlimits()
    assert rlimits["RLIMIT_FSIZE"] == [100 * MIB, 100 * MIB]
    assert rlimits["RLIMIT_CPU"] == [7, 8]  # SIGXCPU names the limit, then SIGKILL
    assert rlimits["RLIMIT_CORE"] == [0, 0]


@pytest.mark.parametrize(
    ("stderr", "limit"),
    [
        ("Traceback ...\nMemoryError\n", "memory"),
        ("terminate called after throwing an instance of 'std::bad_alloc'", "memory"),
        ("BlockingIOError: [Errno 11] Resource temporarily unavailable", "processes"),
        ("RuntimeError: can't start new thread", "processes"),
        ("OSError: [Errno 28] No space left on device", "written"),
        ("OSError: [Errno 27] File too large", "written"),
        ("Command 'python x.py' died with <Signals.SIGXCPU: 24>.", "cpu"),
        ("FileNotFoundError: [Errno 2] No such file or directory: 'x'", None),
        # the first sign is the cause; what follows it is the consequence
        ("OSError: [Errno 28] No space left on device\n...\nMemoryError", "written"),
    ],
)
def test_a_stopped_rerun_is_named_by_the_first_sign_of_a_limit(stderr, limit):
    assert limit_hit(stderr) == limit


def test_each_limit_is_described_with_its_value():
    limits = Limits.from_config({"written_mb": 256, "processes": 64, "wall_seconds": 15})
    assert describe("written", limits) == "the bytes-written limit (256 MiB)"
    assert describe("processes", limits) == "the process limit (64 processes and threads)"
    assert describe("wall", limits) == "the wall-time limit (15 s)"


def test_the_sandbox_sees_only_the_system_the_interpreter_and_the_bundle(tmp_path):
    command = seal.sandbox_command(tmp_path, Limits.defaults(), {"results_fd": 3})
    binds = [
        (command[i + 1], command[i + 2])
        for i, arg in enumerate(command)
        if arg in ("--ro-bind", "--bind", "--dev-bind", "--ro-bind-try")
    ]
    assert ("--bind" not in command) and ("--dev-bind" not in command)  # nothing writable
    assert (str(tmp_path), seal.BUNDLE_DIR) in binds
    sources = [Path(src) for src, _ in binds]
    interpreter = seal._interpreter_dirs()
    etc = [p for p in (Path("/etc/ld.so.cache"), Path("/etc/alternatives")) if p.exists()]
    assert set(sources) == {Path("/usr"), tmp_path, *etc, *interpreter}
    # no bind exposes the home directory or the project (the interpreter may live below them,
    # as pyenv's and a project .venv do, but only its own directories are bound)
    home, repo = Path.home(), Path(__file__).parents[3]
    for src in sources:
        assert src not in (home, repo, Path("/")) and src not in (*home.parents, *repo.parents)
    for flag in ("--unshare-net", "--unshare-pid", "--die-with-parent", "--clearenv"):
        assert flag in command
    size = command[command.index("--tmpfs") - 1]
    assert size == str(Limits.defaults().written_mb * MIB)


def test_a_directory_made_for_a_bind_is_readable_by_the_dropped_user(tmp_path):
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    args = seal._file_system(tmp_path / "bundle", [deep])
    made = [args[i + 3] for i, a in enumerate(args) if a == "--perms" and args[i + 2] == "--dir"]
    assert str(tmp_path / "a") in made and str(tmp_path) in made
    assert args.index(str(tmp_path / "a")) < args.index(str(deep))


def test_root_drops_to_a_user_of_its_own_and_a_user_gets_a_user_namespace(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    as_root = seal._namespaces("bwrap", 7)
    assert "--unshare-user" not in as_root and as_root[as_root.index("--cap-drop") + 1] == "ALL"
    assert as_root[as_root.index("--seccomp") + 1] == "7"
    uid, gid = seal.sandbox_user()
    assert uid == gid and uid >= seal.SANDBOX_UID_BASE and uid != 65534
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    as_user = seal._namespaces("bwrap", 7)
    assert "--unshare-user" in as_user and "--disable-userns" in as_user
    assert "--cap-add" not in as_user and "--seccomp" in as_user


def test_the_sandboxs_own_root_and_dev_are_read_only_once_mounted(tmp_path):
    args = seal._file_system(tmp_path, [])
    assert args[-4:] == ["--remount-ro", "/dev", "--remount-ro", "/"]


@pytest.mark.parametrize("machine", ["x86_64", "aarch64"])
def test_the_system_call_filter_is_a_whole_bpf_program(machine):
    program = seccomp.program(machine)
    assert program is not None and len(program) % 8 == 0 and 10 <= len(program) // 8 <= 30
    # every jump lands inside the program
    for at in range(len(program) // 8):
        code, jt, jf, _k = struct.unpack("=HBBI", program[at * 8 : at * 8 + 8])
        if code & 0x07 == 0x05:  # BPF_JMP
            assert at + 1 + max(jt, jf) < len(program) // 8
    assert seccomp.program("riscv64") is None


def test_without_bwrap_there_is_no_sandbox_and_the_hint_says_what_to_install(monkeypatch):
    seal.availability.cache_clear()
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    try:
        isolation, why = seal.availability()
    finally:
        seal.availability.cache_clear()
    assert isolation is None and "apt-get install bubblewrap" in why


def test_without_a_sandbox_the_bundle_never_runs_and_is_unverified(monkeypatch, tmp_path):
    monkeypatch.setattr(verify, "availability", lambda: (None, "bwrap is not installed"))

    def never(*_args, **_kwargs):
        raise AssertionError("the bundle's code ran unsealed")

    monkeypatch.setattr(verify, "run_sealed", never)
    bundle = tmp_path / "old.tar.gz"
    shutil.copy(OLD_BUNDLE, bundle)
    verdict = verify.verify(bundle)
    assert verdict["status"] == "UNVERIFIED"
    assert (
        "no sealed sandbox" in verdict["reason"] and "bwrap is not installed" in verdict["reason"]
    )


def outputs_of(data: bytes, wanted: list[str], budget: int = 1 << 20) -> dict[str, bytes]:
    read_end, write_end = os.pipe()
    reader = watch._Outputs(read_end, wanted, budget)
    reader.start()
    with os.fdopen(write_end, "wb") as stream:
        stream.write(data)
    reader.join()
    return reader.found


def test_the_drivers_tar_stream_gives_only_the_regular_files_asked_for(tmp_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w|") as tar:
        for name, data in (("filtered.parquet", b"rows"), ("other.txt", b"x")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("claims.parquet")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    found = outputs_of(buf.getvalue(), ["filtered.parquet", "claims.parquet"])
    assert found == {"filtered.parquet": b"rows"}
    assert outputs_of(buf.getvalue()[:700], ["filtered.parquet"]) in ({}, found)
    assert outputs_of(b"garbage" * 1000, ["filtered.parquet"]) == {}
    assert outputs_of(buf.getvalue(), ["filtered.parquet"], budget=3) == {}  # over the budget


def test_a_flood_on_stderr_keeps_only_its_tail():
    read_end, write_end = os.pipe()
    tail = watch._Tail(read_end, 1000)
    tail.start()
    with os.fdopen(write_end, "wb") as stream:
        for _ in range(200):
            stream.write(b"x" * 65536)
        stream.write(b"the end")
    tail.join()
    assert tail.text().endswith("the end") and len(tail.text()) == 1000
    assert tail.size < 2 * 65536 + 1000


def test_what_the_rerun_prints_is_quoted_clipped_and_named_by_its_cause():
    limits = Limits.defaults()
    huge = "sovereign: " + "x" * 100_000
    status, reason = reasons.rerun_failure(huge + "\nError in rule filter:\n", limits)
    assert status == "FAILED" and "in rule filter" in reason
    assert len(reason) < 2 * reasons.REASON_QUOTE
    stderr = (
        "Traceback (most recent call last):\n  File 'x.py', line 1\n"
        "FileNotFoundError: [Errno 2] No such file or directory: 'secret.txt'\n"
        "RuleException:\nCalledProcessError in file rules/filter.smk\nError in rule filter:\n"
        "WorkflowError:\nAt least one job did not complete successfully.\n"
    )
    status, reason = reasons.rerun_failure(stderr, limits)
    assert reason == (
        "the re-run failed in rule filter: "
        "FileNotFoundError: [Errno 2] No such file or directory: 'secret.txt'"
    )
    status, reason = reasons.rerun_failure("MemoryError\nError in rule embed:\n", limits)
    assert status == "UNVERIFIED" and "memory limit" in reason


def test_only_the_driver_says_the_sandbox_could_not_be_set_up():
    limits = Limits.from_config({"written_mb": 64})
    said = "sovereign-sandbox: setup failed: OSError: [Errno 28] No space left on device\n"
    assert "bytes-written limit (64 MiB)" in reasons.setup_failure(125, said, limits)
    failed = "sovereign-sandbox: setup failed: PermissionError: [Errno 1] setgid\n"
    assert reasons.setup_failure(125, failed, limits).startswith("the sandbox could not be set up")
    assert reasons.setup_failure(1, failed, limits) is None  # the bundle's own words: not believed
    refused = "bwrap: Can't mount proc on /newroot/proc: Operation not permitted\n"
    assert reasons.setup_failure(1, refused, limits).startswith("the sandbox could not be set up")
    assert reasons.setup_failure(0, refused, limits) is None  # a run that completed was set up
