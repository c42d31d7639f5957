"""Fresh Python processes with other hash seeds: what a test computes must not move with them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .paths import REPO

SEEDS = ("0", "4242")


def stdout_under_hash_seeds(code: str, test_dir: Path) -> dict[str, str]:
    """{seed: what `code` prints} in a fresh interpreter per seed, with the library, the support
    package and the calling test's directory (to import the test module itself) on its path."""
    paths = [str(REPO / "src"), str(REPO / "tests"), str(test_dir)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    out = {}
    for seed in SEEDS:
        done = subprocess.run(
            [sys.executable, "-c", code],
            env={**env, "PYTHONHASHSEED": seed},
            capture_output=True,
            check=True,
            cwd=REPO,
        )
        out[seed] = done.stdout.decode("utf-8")
    return out
