"""Gate 2 verification: replay a bundle in a sealed sandbox, compare hashes.

    python -m sovereign.reproduce BUNDLE [--verdict verdict.json] [--correction FILE] [--cores N]
        [--wall-seconds S] [--cpu-seconds S] [--memory-mb M] [--processes N] [--written-mb M]

1. Every member is checked against the manifest's sha256 (a changed byte anywhere: FAILED,
   naming the member).
2. workflow/ and work/ are unpacked into a new temporary directory, and Snakemake re-runs the
   stages there (search too, replayed from the bundled arXiv answers, unless it was a snapshot
   search: then its raw stage is frozen in the bundle) inside a sealed sandbox (`seal`:
   bubblewrap; no network, no file of the verifying user's, resource limits from `limits`). A
   machine where no sealed sandbox can be made gives UNVERIFIED, naming why: the bundle's code
   never runs unsealed.
3. Each output's sha256 is compared with the manifest: VERIFIED when all match; FAILED with each
   differing file and what differs; UNVERIFIED when the re-run could not be completed sealed
   (a ledger entry is missing: the network would be needed; or a limit stopped it), with the
   reason.

The verdict carries the evaluation time (the one clock reading Gate 2 is meant to record), the
environment, and the bundle's sha256 and identity. With --correction it is appended to the
question's correction file (once per identity and status), so the record shows it."""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from ..contracts import is_question_id
from ..errors import SovereignError
from ..versions import package_versions
from .archive import extract_members, read_archive
from .bundle import BUNDLE_CONTRACT, LAYOUTS, identity, sha256
from .diffsummary import summarize
from .limits import Limits, describe
from .reasons import rerun_failure, setup_failure
from .seal import availability
from .verdict import now, record_verdict, verdict_of
from .watch import run_sealed


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
    if "raw.parquet" in outputs:  # the search must be re-run, not copied back
        bad += _search_rerun_problems(listed, members)
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


def _search_rerun_problems(listed: dict[str, str], members: dict[str, bytes]) -> list[dict]:
    """Where a manifest says its raw stage is re-run: no frozen raw stage, and a config that
    replays the search from the ledger (else the scope would claim what did not happen)."""
    bad = []
    frozen = [n for n in listed if n.startswith("work/results/") and n.endswith("/raw.parquet")]
    if frozen:
        bad.append({"file": frozen[0], "problem": "a frozen raw stage the re-run must derive"})
    try:
        config = yaml.safe_load(members.get("work/config/config.yaml", b"")) or {}
        replays = (config["search"]["backend"], config["gate2"]["frozen_search"]) == (
            "replay",
            False,
        )
    except (yaml.YAMLError, KeyError, TypeError):
        replays = False
    if not replays:
        bad.append(
            {
                "file": "work/config/config.yaml",
                "problem": "does not replay the search its manifest says is re-run",
            }
        )
    return bad


def _missing_ledger(bad: list[dict[str, Any]]) -> list[str]:
    """Ledger entries the manifest lists but the bundle lacks, when nothing else is wrong."""
    if not bad or any(not b["file"].startswith("work/ledger/") for b in bad):
        return []
    if any(b["problem"] != "listed in the manifest but missing" for b in bad):
        return []
    return [b["file"].removeprefix("work/ledger/") for b in bad]


def _environment(isolation: str, limits: Limits, manifest: dict[str, Any]) -> dict[str, Any]:
    versions = package_versions()
    bundled = manifest.get("versions", {})
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "isolation": isolation,
        "limits": limits.as_dict(),
        "versions": versions,
        "version_mismatches": {
            k: {"bundle": bundled[k], "here": versions.get(k)}
            for k in sorted(bundled)
            if bundled[k] != versions.get(k)
        },
    }


def _differing(
    manifest: dict[str, Any],
    members: dict[str, bytes],
    written: dict[str, bytes],
    written_only: bool = False,
) -> list[dict[str, Any]]:
    """The outputs whose bytes are not the manifest's (missing ones too, unless `written_only`),
    each with what differs."""
    files = []
    for name, expected in sorted(manifest["outputs"].items()):
        actual = written.get(name)
        if actual is None and written_only:
            continue
        if actual is None or sha256(actual) != expected:
            files.append(
                {
                    "file": name,
                    "expected_sha256": expected,
                    "actual_sha256": sha256(actual) if actual is not None else None,
                    "summary": summarize(name, members.get(f"expected/{name}", b""), actual),
                }
            )
    return files


def verify(bundle_path: Path, *, cores: int = 2, limits: Limits | None = None) -> dict[str, Any]:
    """The verdict for one bundle (never raises for a bad bundle: that is a verdict)."""
    limits = limits or Limits.defaults()
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
    isolation, unavailable = availability()
    if isolation is None:  # the bundle's code never runs unsealed
        return verdict_of(
            manifest,
            bundle,
            status="UNVERIFIED",
            reason=f"no sealed sandbox can be made here, so the re-run did not run: {unavailable}",
            evaluated=now(),
        )
    root = Path(tempfile.mkdtemp(prefix="sovereign-gate2-"))
    try:
        extract_members(
            {k: v for k, v in members.items() if k.startswith(("workflow/", "work/"))}, root
        )
        _readable(root)
        qid = manifest["question"]["question_id"]
        sealed = run_sealed(
            root, qid=qid, cores=cores, outputs=sorted(manifest["outputs"]), limits=limits
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    env = _environment(isolation, limits, manifest)
    env.update(peak_memory_mb=sealed.peak_memory_mb, cpu_seconds=sealed.cpu_seconds)
    took = round(time.monotonic() - started, 1)

    def after_rerun(
        status: str, reason: str, files: Sequence[dict[str, Any]] = ()
    ) -> dict[str, Any]:
        return verdict_of(
            manifest,
            bundle,
            status=status,
            reason=reason,
            files=list(files),
            evaluated=now(),
            environment=env,
            duration_s=took,
        )

    if sealed.stopped:
        reason = f"the re-run was stopped at {describe(sealed.stopped, limits)}"
        if sealed.stopped == "wall" and sealed.peak_tasks >= limits.processes * 0.9:
            # e.g. a fork bomb that never gives up: held at the one, stopped at the other
            reason += f", its processes held at {describe('processes', limits)}"
        return after_rerun("UNVERIFIED", reason)
    setup = setup_failure(sealed.returncode, sealed.stderr, limits)
    if setup:
        return after_rerun("UNVERIFIED", setup)
    if sealed.returncode != 0:
        status, reason = rerun_failure(sealed.stderr, limits)
        if status == "FAILED" and sealed.busiest_cpu_seconds >= limits.cpu_seconds - 0.5:
            # killed at the hard CPU limit after ignoring SIGXCPU: no message names it
            status, reason = "UNVERIFIED", f"the re-run was stopped at {describe('cpu', limits)}"
        # Stage files the re-run did write before it stopped, and that differ: the bundle is
        # shown not to reproduce, whatever stopped the rest (a ledger miss downstream of a
        # diverged stage is a symptom, not the finding).
        diverged = _differing(manifest, members, sealed.outputs, written_only=True)
        if diverged:
            names = ", ".join(f["file"] for f in diverged)
            status, reason = "FAILED", f"{names} differ; then {reason}"
        return after_rerun(status, reason, diverged)
    files = _differing(manifest, members, sealed.outputs)
    n = len(manifest["outputs"])
    if files:
        reason = f"{len(files)} of {n} outputs differ: {', '.join(f['file'] for f in files)}"
        if env["version_mismatches"]:
            reason += f" (package versions differ: {', '.join(env['version_mismatches'])})"
        return after_rerun("FAILED", reason, files)
    return after_rerun(
        "VERIFIED", f"all {n} outputs re-run in a sealed sandbox ({isolation}) are byte-identical"
    )


def _readable(root: Path) -> None:
    """Let the sandbox's unprivileged user read the unpacked bundle (the temporary directory is
    created private to the verifier; its contents are the bundle's, nothing of the user's)."""
    for path in (root, *root.rglob("*")):
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)


def main(argv: list[str] | None = None, prog: str = "python -m sovereign.reproduce") -> int:
    parser = argparse.ArgumentParser(
        prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("bundle", type=Path, help="the bundle (bundle.tar.gz) to verify")
    parser.add_argument("--verdict", type=Path, help="write the verdict here (JSON)")
    parser.add_argument("--correction", type=Path, help="append it to this correction file")
    parser.add_argument("--cores", type=int, default=2)
    defaults = Limits.defaults()
    for name, value in defaults.as_dict().items():
        flag = "--" + name.replace("_", "-")
        kind = float if name == "wall_seconds" else int  # as the schema types them
        parser.add_argument(flag, type=kind, default=value, help=f"default {value}")
    args = parser.parse_args(argv)
    limits = Limits(**{name: getattr(args, name) for name in defaults.as_dict()})
    try:
        verdict = verify(args.bundle, cores=args.cores, limits=limits)
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
