"""Gate 2 bundles changed the way an attacker would: members edited and the manifest made to agree
(a consistent forgery, which only the sandboxed re-run can catch)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from sovereign.gate2.archive import read_archive, write_archive
from sovereign.gate2.bundle import identity, sha256
from sovereign.gate2.seal import availability

# Tests that need a bundle to verify VERIFIED need the sealed sandbox (bubblewrap). Without it they
# skip, naming why; with SOVEREIGN_REQUIRE_SANDBOX=1 (set by .ci/run, which installs it) they run,
# and fail with the verdict's reason.
requires_sandbox = pytest.mark.skipif(
    availability()[0] is None and os.environ.get("SOVEREIGN_REQUIRE_SANDBOX") != "1",
    reason=f"no sealed sandbox for Gate 2 here: {availability()[1]}",
)

# A bundle built before the library moved into subpackages (commit 2cf7d2c, the shipped sheet's
# control question). It carries its own code; today's verifier must still verify it.
OLD_BUNDLE = Path(__file__).parents[1] / "workflow" / "data" / "gate2-bundle-2cf7d2c.tar.gz"


def tampered(
    bundle: Path, out: Path, change: Callable[[dict[str, bytes]], None], *, fix_manifest: bool
) -> Path:
    """A copy of the bundle with `change(members)` applied; with fix_manifest the manifest's
    member hashes and identity are updated too."""
    members = read_archive(bundle)
    change(members)
    if fix_manifest:
        manifest = json.loads(members["manifest.json"])
        manifest["members"] = {k: sha256(v) for k, v in members.items() if k != "manifest.json"}
        manifest["identity"] = identity(manifest["members"], manifest["outputs"])
        members["manifest.json"] = (json.dumps(manifest, sort_keys=True, indent=1) + "\n").encode()
    write_archive(out, members)
    return out


def with_stage_code(bundle: Path, out: Path, code: str, script: str = "filter.py") -> Path:
    """The bundle with `code` run first in one of its stage scripts, manifest made to agree."""

    def prepend(members: dict[str, bytes]) -> None:
        name = f"workflow/scripts/{script}"
        members[name] = code.encode() + b"\n" + members[name]

    return tampered(bundle, out, prepend, fix_manifest=True)
