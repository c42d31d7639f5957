"""No key leaks anywhere (slow): real runs with a canary in every key variable, then every byte
they leave behind is searched for it.

The variables the project reads a key from: NVIDIA_API_KEY (the NIM embedder, and the LLM
reviewer's default `review.llm.api_key_env`), a custom `review.llm.api_key_env`, and
OPENAI_API_KEY (ChatClient's own default, which the config never selects: its canary must not
even be sent). Each holds its own canary. Two complete runs (NIM embedder and LLM reviewer
against loopback fakes; the reviewer's key from the default variable, then from a custom one)
and their Gate 2 bundles, verified, are searched: every file under the test's directory (the
working directory with results, logs, ledger, indexes and .snakemake, the snapshot, and TMPDIR),
inside gzip, tar and zip files and Parquet tables, and every command's stdout and stderr. Then
services that refuse (401, 403) or fail (500) while echoing the Authorization header: each run
must fail with one message (naming the variable for 401 and 403), and leave the canary nowhere
either. Last, the Gate 2 re-run's sandbox must be handed none of the variables.

A canary is looked for whole, by its first and last 12 characters (a message cut short) and
base64-encoded at each alignment.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sovereign.gate2.limits import Limits
from sovereign.gate2.seal import sandbox_command
from support.bundles import requires_sandbox
from support.fake_llm import FakeLlm
from support.fake_nim import FakeNim
from support.workflow import fixture_snapshot, make_workdir, snakemake

pytestmark = pytest.mark.slow

NIM_KEY_ENV = "NVIDIA_API_KEY"
LLM_KEY_ENV = "SOVEREIGN_SECRETS_LLM_KEY"  # the custom review.llm.api_key_env
CANARIES = {
    NIM_KEY_ENV: "nvapi-Qz7CANARYnim-4Kd9Wm2Xv8Lp3Rt6Yh1",
    LLM_KEY_ENV: "llm-Vx3CANARYcustom-6Tb8Pm1Hs5Ke2Dn7Gc4",
    "OPENAI_API_KEY": "sk-Jh5CANARYopenai-8Ns2Bq7Yc4Gf1Zw9Ua3",
}
ROWS = [["routing", "How does expert routing affect VQA accuracy?", "2026-05-28"]]
QID = ROWS[0][0]
DIM = 16
# Fast failures: a 500 is asked again twice, 10 ms apart.
QUICK = {"retries": 2, "backoff": 0.01, "timeout": 5}
# Compressed formats the sweep cannot open: a file in one would be a blind spot.
UNREADABLE = {b"\x28\xb5\x2f\xfd": "zstd", b"BZh": "bzip2", b"\xfd7zXZ": "xz"}


def leak_forms(secret: str) -> dict[str, bytes]:
    """What a leak of `secret` can look like: whole, its first or last 12 characters, and
    base64 at each of the three alignments (less the characters its neighbours change)."""
    raw = secret.encode()
    forms = {"whole": raw, "first 12": raw[:12], "last 12": raw[-12:]}
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw)
        forms[f"base64+{shift}"] = encoded[4 if shift else 0 : -4]
    return forms


def unpacked(where: str, data: bytes) -> Iterator[tuple[str, bytes]]:
    """(where, bytes) for `data` and everything packed in it, recursively: gzip decompressed,
    tar and zip members (and their names) opened, Parquet tables decoded to JSON."""
    yield where, data
    if data[:2] == b"\x1f\x8b":
        yield from unpacked(f"{where}|gunzip", gzip.decompress(data))
    elif data[257:262] == b"ustar":
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            for member in tar:
                yield f"{where}|{member.name}|name", member.name.encode()
                handle = tar.extractfile(member)
                if handle is not None:
                    yield from unpacked(f"{where}|{member.name}", handle.read())
    elif data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                yield f"{where}|{name}|name", name.encode()
                yield from unpacked(f"{where}|{name}", archive.read(name))
    elif data[:4] == b"PAR1":  # zstd pages inside: only the decoded rows can be searched
        table = pq.read_table(io.BytesIO(data))
        yield f"{where}|rows", json.dumps(table.to_pylist(), default=str).encode()
        yield f"{where}|metadata", repr(table.schema.metadata).encode()
    else:
        for magic, kind in UNREADABLE.items():
            assert not data.startswith(magic), f"{where} is {kind}: teach the sweep to open it"


def sweep(root: Path, texts: dict[str, str] | None = None) -> tuple[list[str], set[str]]:
    """Every leak of every canary under `root` (file names and contents, hidden files and
    archives included) and in `texts` (label -> a command's output); and where was searched."""
    found, searched = [], set()
    forms = {
        (var, kind): form for var, c in CANARIES.items() for kind, form in leak_forms(c).items()
    }

    def check(where: str, data: bytes) -> None:
        searched.add(where)
        found.extend(
            f"{var} ({kind}) in {where}" for (var, kind), form in forms.items() if form in data
        )

    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        check(f"{relative}|path", relative.encode())
        if path.is_file() and not path.is_symlink():
            for where, data in unpacked(relative, path.read_bytes()):
                check(where, data)
    for label, text in (texts or {}).items():
        check(label, text.encode())
    return found, searched


def environment(tmpdir: Path) -> dict[str, str]:
    """Every key variable set to its canary, and temporary files kept under the swept tree."""
    tmpdir.mkdir(parents=True, exist_ok=True)
    return {**CANARIES, "TMPDIR": str(tmpdir)}


def workdir(root: Path, **config) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    search = {"backend": "snapshot", "snapshot": str(fixture_snapshot(root / "snap.jsonl"))}
    return make_workdir(root / "wd", ROWS, search, **config)


def auth_headers(server) -> set[str | None]:
    return {headers.get("Authorization") for _path, headers, _body in server.requests}


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """Two complete runs with the NIM embedder and the LLM reviewer (its key from the default
    variable, then from a custom one), each followed by `snakemake gate2`."""
    root = tmp_path_factory.mktemp("secrets")
    env = environment(root / "tmp")
    outputs, servers = {}, {}
    for name, llm in (("default", {}), ("custom", {"api_key_env": LLM_KEY_ENV})):
        with FakeNim(dimension=DIM) as nim, FakeLlm() as chat:
            wd = workdir(
                root / name,
                embed={"backend": "nim", "nim_url": nim.url, "dimension": DIM},
                review={"llm": {"url": chat.url, "model": "fake-reviewer", **llm}},
            )
            for step, args in (("all", ()), ("gate2", ("gate2",))):
                proc = snakemake(wd, "-c2", *args, env=env)
                outputs[f"{name} {step} stdout"] = proc.stdout
                outputs[f"{name} {step} stderr"] = proc.stderr
        servers[name] = SimpleNamespace(nim=nim, chat=chat, workdir=wd)
    return SimpleNamespace(root=root, outputs=outputs, servers=servers)


def test_the_sweep_finds_every_form_of_a_canary_in_every_container(tmp_path):
    """The sweep itself can fail: a canary hidden whole, cut short or base64-encoded, inside a
    Parquet table, a gzip file, a tar.gz in a tar.gz, a zip or a file name, is found."""
    secret = CANARIES[LLM_KEY_ENV]
    inner = io.BytesIO()
    with tarfile.open(fileobj=inner, mode="w:gz") as tar:
        data = f"cut: {secret[:12]}...".encode()
        info = tarfile.TarInfo("deep/log.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    outer = tmp_path / "bundle.tar.gz"
    with tarfile.open(outer, mode="w:gz") as tar:
        info = tarfile.TarInfo("inner.tar.gz")
        info.size = len(inner.getvalue())
        tar.addfile(info, io.BytesIO(inner.getvalue()))
    pq.write_table(pa.table({"finding": [f"key {secret} echoed"]}), tmp_path / "t.parquet")
    (tmp_path / "log.gz").write_bytes(gzip.compress(f"Bearer {secret}".encode()))
    with zipfile.ZipFile(tmp_path / "a.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("b64.txt", base64.b64encode(f"x:{secret}".encode()))
    (tmp_path / f"named-{secret[-12:]}").write_bytes(b"")
    (tmp_path / ".hidden").write_text(f"Bearer {secret}")

    found, _ = sweep(tmp_path, {"stderr": f"... {secret[:12]}"})
    places = {line.split(" in ", 1)[1] for line in found}
    assert places >= {
        "bundle.tar.gz|gunzip|inner.tar.gz|gunzip|deep/log.txt",
        "t.parquet|rows",
        "log.gz|gunzip",
        "a.zip|b64.txt",
        f"named-{secret[-12:]}|path",
        ".hidden",
        "stderr",
    }, found
    assert f"{LLM_KEY_ENV} (base64+2) in a.zip|b64.txt" in found  # two bytes before it

    (tmp_path / "packed.zst").write_bytes(b"\x28\xb5\x2f\xfd" + b"\0" * 8)
    with pytest.raises(AssertionError, match="zstd: teach the sweep"):
        sweep(tmp_path)


@requires_sandbox
def test_complete_runs_and_their_gate2_bundles_hold_no_key(recorded):
    for name, expected_llm_key in (("default", NIM_KEY_ENV), ("custom", LLM_KEY_ENV)):
        run = recorded.servers[name]
        # The canaries were live: each service got the key of its variable, and only that.
        assert run.nim.requests and auth_headers(run.nim) == {f"Bearer {CANARIES[NIM_KEY_ENV]}"}
        assert run.chat.requests
        assert auth_headers(run.chat) == {f"Bearer {CANARIES[expected_llm_key]}"}
        verdict = json.loads((run.workdir / f"results/{QID}/gate2/verdict.json").read_text())
        assert verdict["status"] == "VERIFIED", verdict
    found, searched = sweep(recorded.root, recorded.outputs)
    assert found == []
    # Every place a key could land was searched, bundle members and decoded tables included.
    for name in ("default", "custom"):
        for place in (
            f"{name}/wd/results/{QID}/reviews.parquet|rows",
            f"{name}/wd/results/{QID}/record.json",
            f"{name}/wd/results/{QID}/gate2/verdict.json",
            f"{name}/wd/corrections/{QID}.jsonl",
            f"{name}/wd/logs/embed/{QID}.log",
            f"{name}/wd/logs/review/{QID}.log",
            f"{name}/wd/config/config.yaml",
        ):
            assert place in searched, place
        bundle = f"{name}/wd/results/{QID}/gate2/bundle.tar.gz|gunzip"
        for member in (
            "work/config/config.yaml",
            "expected/reviews.parquet|rows",
            "manifest.json",
        ):
            assert f"{bundle}|{member}" in searched, member
        prefixes = (
            f"{bundle}|work/ledger/nim-embeddings/",
            f"{bundle}|work/ledger/llm-review/",
            f"{name}/wd/ledger/nim-embeddings/",
            f"{name}/wd/ledger/llm-review/",
            f"{name}/wd/.snakemake/metadata/",
            f"{name}/wd/.snakemake/log/",
            f"{name}/wd/indexes/",
        )
        for prefix in prefixes:
            assert any(where.startswith(prefix) for where in searched), prefix


def test_the_gate2_rerun_is_handed_no_key(monkeypatch, tmp_path):
    """The sealed re-run needs no key, so none is passed into its sandbox (the runs above
    could not show it: a replay sends nothing, whatever it holds): its environment is cleared,
    and only PATH, USER and the locale are set."""
    for var, canary in CANARIES.items():
        monkeypatch.setenv(var, canary)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy-user:proxy-pass@proxy.example:3128")
    command = sandbox_command(tmp_path, Limits.defaults(), {"results_fd": 3})
    assert "--clearenv" in command
    setenv = [command[i + 1] for i, arg in enumerate(command) if arg == "--setenv"]
    assert "PATH" in setenv and not set(CANARIES) & set(setenv) and "HTTPS_PROXY" not in setenv
    found = [var for var, canary in CANARIES.items() if canary in json.dumps(command)]
    assert found == [] and "proxy-pass" not in json.dumps(command)


def echo(status: int):
    """An answer that quotes the request's Authorization header back, padded so that a message
    quoting the answer's first 200 characters would cut it 12 characters into the key."""
    pad = "x" * (200 - len("denied  Bearer ") - 12)
    return (status, {}, lambda headers: f"denied {pad} {headers['Authorization']}".encode())


# service -> (its key variable, the stage that calls it, that stage's output, its ledger)
SERVICES = {
    "nim": (NIM_KEY_ENV, "embed", "embeddings.parquet", "nim-embeddings"),
    "llm": (LLM_KEY_ENV, "review", "reviews.parquet", "llm-review"),
}


def failing_service(service: str, status: int):
    """The fake service answering every request with `status`, and the config that uses it."""
    if service == "nim":
        fake = FakeNim(always=echo(status), dimension=DIM)
        return fake, {"embed": {"backend": "nim", "nim_url": fake.url, "dimension": DIM, **QUICK}}
    fake = FakeLlm(always=echo(status))
    llm = {"url": fake.url, "model": "fake-reviewer", "api_key_env": LLM_KEY_ENV, **QUICK}
    return fake, {"review": {"llm": llm}}


@pytest.mark.parametrize(
    ("service", "status"),
    [("nim", 401), ("nim", 403), ("nim", 500), ("llm", 401), ("llm", 403), ("llm", 500)],
)
def test_a_service_that_echoes_the_key_in_a_refusal_or_an_error_fails_with_one_clean_message(
    tmp_path, service, status
):
    """401 and 403: one request, the message names the variable and quotes the echo masked.
    500: asked again as configured, then one message (a server fault: no key to blame)."""
    key_env, stage, output, ledger = SERVICES[service]
    fake, config = failing_service(service, status)
    with fake:
        wd = workdir(tmp_path, **config)
        proc = snakemake(wd, "-c2", env=environment(tmp_path / "tmp"), check=False)
    assert proc.returncode != 0
    assert auth_headers(fake) == {f"Bearer {CANARIES[key_env]}"}  # the canary was sent
    # 401/403 are not asked again; a 500 is, as often as configured.
    assert fake.statuses == ([status] if status < 500 else [status] * (1 + QUICK["retries"]))
    errors = [line for line in proc.stderr.splitlines() if line.startswith("sovereign: ")]
    assert len(errors) == 1 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert f"HTTP {status}" in errors[0]
    if status < 500:
        assert "x Bearer [redacted]" in errors[0]  # the echo is quoted, masked
        assert f"fix: set {key_env} to a valid key" in proc.stderr
    else:
        assert f"HTTP {status}, after {1 + QUICK['retries']} attempts" in errors[0]
    assert not (wd / f"results/{QID}/{output}").exists()
    assert not list((wd / "ledger").glob(f"{ledger}/**/*.json"))  # nothing of it recorded
    found, searched = sweep(tmp_path, {"stdout": proc.stdout, "stderr": proc.stderr})
    assert found == []
    assert f"wd/logs/{stage}/{QID}.log" in searched
