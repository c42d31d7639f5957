"""Gate 2 verification: replay a bundle in a fresh directory with the network cut, compare hashes.

    python -m sovereign.reproduce BUNDLE [--verdict verdict.json] [--correction FILE] [--cores N]

1. Every member is checked against the manifest's sha256 (a changed byte anywhere: FAILED,
   naming the member).
2. workflow/ and work/ are unpacked into a new temporary directory, and every stage after search
   is re-run there by Snakemake (search is frozen) with the network cut: a network namespace
   where the machine allows one, else a guard that refuses any non-loopback connection. The
   verdict says which.
3. Each output's sha256 is compared with the manifest: VERIFIED when all match; FAILED with each
   differing file and what differs; UNVERIFIED when the re-run could not be completed offline
   (e.g. a ledger entry is missing: the network would be needed), with the reason.

The verdict carries the evaluation time (the one clock reading Gate 2 is meant to record), the
environment, and the bundle's sha256 and identity. With --correction it is appended to the
question's correction file (once per identity and status), so the record shows it."""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ..contracts import is_question_id
from ..errors import SovereignError
from ..run.entry import LEDGER_MISS_TAG
from ..versions import package_versions
from .archive import extract_members, read_archive
from .bundle import BUNDLE_CONTRACT, LAYOUTS, identity, sha256
from .diffsummary import summarize
from .sandbox import GUARD_MESSAGE, METHODS, run_isolated
from .verdict import now, record_verdict, verdict_of

# What a re-run says when it would need the network: a ledger miss (tagged by sovereign.run.entry),
# or a connection the sandbox refused.
_LEDGER_MISS = re.compile(rf"sovereign: {re.escape(LEDGER_MISS_TAG)}(.*)")
_BLOCKED = re.compile(
    rf"({re.escape(GUARD_MESSAGE)}\S*|Network is unreachable|could not connect[^\n]*)"
)
_SOVEREIGN_ERROR = re.compile(r"sovereign: (.*)")
_FAILED_RULE = re.compile(r"Error in rule (\w+)")
# Only what a Python program needs reaches the sandbox: never a key, a token or a proxy.
_ENV_ALLOWED = ("PATH", "HOME", "USER", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ", "TERM")
RERUN_TIMEOUT = 3600.0  # seconds; a re-run that hangs is no verification


def check_members(members: dict[str, bytes]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The manifest, and every member whose bytes differ from it (or is missing or extra).

    The manifest is held to the bundle too: its outputs must be exactly the stage outputs and
    the `expected/` members, and its identity must be the one its members give."""
    manifest = json.loads(members["manifest.json"])
    if not isinstance(manifest, dict) or manifest.get("contract") != BUNDLE_CONTRACT:
        raise ValueError("not a sovereign Gate 2 manifest")
    listed, outputs = manifest["members"], manifest["outputs"]
    question = manifest["question"]
    if not (isinstance(listed, dict) and isinstance(outputs, dict) and isinstance(question, dict)):
        raise ValueError("members, outputs and question must be objects")
    if not is_question_id(question.get("question_id")):
        raise ValueError(f"question_id {question.get('question_id')!r} is not a question id")
    bad = []
    for name in sorted(set(listed) | set(members) - {"manifest.json"}):
        if name not in members:
            bad.append({"file": name, "problem": "listed in the manifest but missing"})
        elif name not in listed:
            bad.append({"file": name, "problem": "not listed in the manifest"})
        elif sha256(members[name]) != listed[name]:
            bad.append(
                {
                    "file": name,
                    "problem": "bytes differ from the manifest",
                    "expected_sha256": listed[name],
                    "actual_sha256": sha256(members[name]),
                }
            )
    if not any(set(outputs) == set(layout) for layout in LAYOUTS):
        bad.append({"file": "manifest.json", "problem": "its outputs are not the stage outputs"})
    else:
        for name in sorted(outputs):
            expected = members.get(f"expected/{name}")
            if expected is not None and sha256(expected) != outputs[name]:
                bad.append(
                    {"file": f"expected/{name}", "problem": "differs from the manifest's outputs"}
                )
        if identity(listed, outputs) != manifest.get("identity"):
            bad.append({"file": "manifest.json", "problem": "its identity is not its members'"})
    return manifest, bad


def _missing_ledger(bad: list[dict[str, Any]]) -> list[str]:
    """Ledger entries the manifest lists but the bundle lacks, when nothing else is wrong."""
    if not bad or any(not b["file"].startswith("work/ledger/") for b in bad):
        return []
    if any(b["problem"] != "listed in the manifest but missing" for b in bad):
        return []
    return [b["file"].removeprefix("work/ledger/") for b in bad]


def _environment(method: str, manifest: dict[str, Any]) -> dict[str, Any]:
    versions = package_versions()
    bundled = manifest.get("versions", {})
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "isolation": method,
        "versions": versions,
        "version_mismatches": {
            k: {"bundle": bundled[k], "here": versions.get(k)}
            for k in sorted(bundled)
            if bundled[k] != versions.get(k)
        },
    }


def _sandbox_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k in _ENV_ALLOWED}


def _rerun_failure(stderr: str) -> tuple[str, str]:
    """(status, reason) for a re-run that did not complete."""
    miss = _LEDGER_MISS.search(stderr)
    if miss:
        return "UNVERIFIED", f"the re-run needs the network: {miss.group(1)}"
    blocked = _BLOCKED.search(stderr)
    if blocked:
        return "UNVERIFIED", f"the re-run tried to reach the network: {blocked.group(1)}"
    errors = _SOVEREIGN_ERROR.findall(stderr)
    rules = _FAILED_RULE.findall(stderr)
    where = f" in rule {rules[0]}" if rules else ""
    last = errors[-1] if errors else " ".join(stderr.split()[-30:])
    return "FAILED", f"the re-run failed{where}: {last}"


def _differing(
    manifest: dict[str, Any], members: dict[str, bytes], out_dir: Path, written_only: bool = False
) -> list[dict[str, Any]]:
    """The outputs whose bytes are not the manifest's (missing ones too, unless `written_only`),
    each with what differs."""
    files = []
    for name, expected in sorted(manifest["outputs"].items()):
        path = out_dir / name
        actual = path.read_bytes() if path.exists() else None
        if actual is None and written_only:
            continue
        if actual is None or sha256(actual) != expected:
            files.append(
                {
                    "file": name,
                    "expected_sha256": expected,
                    "actual_sha256": sha256(actual) if actual is not None else None,
                    "summary": summarize(name, members[f"expected/{name}"], actual),
                }
            )
    return files


def verify(
    bundle_path: Path,
    *,
    cores: int = 2,
    isolation: str | None = None,
    timeout: float = RERUN_TIMEOUT,
) -> dict[str, Any]:
    """The verdict for one bundle (never raises for a bad bundle: that is a verdict)."""
    started = time.monotonic()
    members = read_archive(Path(bundle_path))  # a missing or unreadable bundle: InputFileError
    bundle = Path(bundle_path).read_bytes()
    try:
        manifest, bad = check_members(members)
    except (KeyError, ValueError, TypeError, AttributeError) as err:
        return verdict_of(
            {},
            bundle,
            status="FAILED",
            reason=f"the bundle's manifest is missing or unreadable ({err})",
            evaluated=now(),
        )
    missing = _missing_ledger(bad) + list(manifest.get("missing_ledger", []))
    if missing and not [b for b in bad if not b["file"].startswith("work/ledger/")]:
        return verdict_of(
            manifest,
            bundle,
            status="UNVERIFIED",
            reason="the bundle lacks ledger entries the re-run would need the network for: "
            + ", ".join(missing),
            files=bad,
            evaluated=now(),
        )
    if bad:
        names = ", ".join(b["file"] for b in bad)
        return verdict_of(
            manifest,
            bundle,
            status="FAILED",
            reason=f"bundle members differ from the manifest: {names}",
            files=bad,
            evaluated=now(),
        )
    root = Path(tempfile.mkdtemp(prefix="sovereign-gate2-"))
    try:
        extract_members(
            {k: v for k, v in members.items() if k.startswith(("workflow/", "work/"))}, root
        )
        qid = manifest["question"]["question_id"]
        work = root / "work"  # fixed by the bundle contract, never taken from the manifest
        cmd = [
            sys.executable,
            "-m",
            "snakemake",
            "--snakefile",
            str(root / "workflow" / "Snakefile"),
            "--directory",
            str(work),
            "--workflow-profile",
            str(root / "workflow" / "profiles" / "default"),
            "--cores",
            str(cores),
            f"results/{qid}/record.json",
        ]
        try:
            proc, method = run_isolated(
                cmd, cwd=work, env=_sandbox_env(), method=isolation, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            return verdict_of(
                manifest,
                bundle,
                status="UNVERIFIED",
                reason=f"the re-run did not finish within {timeout:.0f} s",
                evaluated=now(),
                duration_s=round(time.monotonic() - started, 1),
            )
        env = _environment(method, manifest)
        out_dir = work / "results" / qid
        if proc.returncode != 0:
            status, reason = _rerun_failure(proc.stderr)
            # Stage files the re-run did write before it stopped, and that differ: the bundle is
            # shown not to reproduce, whatever stopped the rest (a ledger miss downstream of a
            # diverged stage is a symptom, not the finding).
            diverged = _differing(manifest, members, out_dir, written_only=True)
            if diverged:
                names = ", ".join(f["file"] for f in diverged)
                status, reason = "FAILED", f"{names} differ; then {reason}"
            return verdict_of(
                manifest,
                bundle,
                status=status,
                reason=reason,
                files=diverged,
                evaluated=now(),
                environment=env,
                duration_s=round(time.monotonic() - started, 1),
            )
        files = _differing(manifest, members, out_dir)
        n = len(manifest["outputs"])
        if files:
            status = "FAILED"
            reason = f"{len(files)} of {n} outputs differ: {', '.join(f['file'] for f in files)}"
            if env["version_mismatches"]:
                reason += f" (package versions differ: {', '.join(env['version_mismatches'])})"
        else:
            status = "VERIFIED"
            reason = f"all {n} outputs re-run offline ({method}) are byte-identical"
        return verdict_of(
            manifest,
            bundle,
            status=status,
            reason=reason,
            files=files,
            evaluated=now(),
            environment=env,
            duration_s=round(time.monotonic() - started, 1),
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None, prog: str = "python -m sovereign.reproduce") -> int:
    parser = argparse.ArgumentParser(
        prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("bundle", type=Path, help="the bundle (bundle.tar.gz) to verify")
    parser.add_argument("--verdict", type=Path, help="write the verdict here (JSON)")
    parser.add_argument("--correction", type=Path, help="append it to this correction file")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument(
        "--isolation",
        choices=METHODS,
        help="how to cut the network (default: a network namespace where the machine allows it)",
    )
    args = parser.parse_args(argv)
    try:
        verdict = verify(args.bundle, cores=args.cores, isolation=args.isolation)
        text = json.dumps(verdict, sort_keys=True, indent=2) + "\n"
        if args.verdict:
            args.verdict.parent.mkdir(parents=True, exist_ok=True)
            args.verdict.write_text(text, encoding="utf-8")
        if args.correction and verdict.get("identity"):
            record_verdict(verdict, args.correction)
    except SovereignError as err:
        print(f"sovereign: {err.message}", file=sys.stderr)
        return 2
    print(f"{args.bundle}: {verdict['status']}: {verdict['reason']}")
    for item in verdict["files"]:
        print(f"  {item['file']}: {item.get('summary') or item.get('problem')}")
    return 0 if verdict["status"] == "VERIFIED" else 1
