"""Real Snakemake runs of this repository's workflow in temporary working directories: a sheet,
a config, the fixture snapshot, the `snakemake` command and the bytes it leaves in results/.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from .paths import REPO


def fixture_snapshot(path: Path) -> Path:
    """The test corpus (support/fixture_papers.py) as a one-file snapshot, Kaggle-style names."""
    from .fixture_papers import PAPERS

    records = [
        {"id": p["id"], "title": p["title"], "abstract": p["summary"], "categories": "cs.LG"}
        for p in PAPERS
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def write_sheet(path: Path, rows: list[list[str]]) -> Path:
    """A question sheet; fields holding tabs, quotes or newlines are quoted as TSV requires."""

    def cell(value: str) -> str:
        if any(c in value for c in '\t\n"'):
            return '"' + value.replace('"', '""') + '"'
        return value

    lines = ["question_id\tquestion\tas_of"] + ["\t".join(cell(v) for v in row) for row in rows]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def make_workdir(root: Path, rows: list[list[str]], search: dict, **extra) -> Path:
    """A working directory with config/config.yaml and config/questions.tsv."""
    write_sheet(root / "config" / "questions.tsv", rows)
    config = {"questions": "config/questions.tsv", "search": search, "filter": {}, **extra}
    (root / "config" / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return root


def snakemake_command(
    workdir: Path, *args: str, profile: Path = REPO / "profiles" / "default"
) -> list[str]:
    """The `snakemake` command line for this repository's Snakefile in `workdir`."""
    return [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        "--workflow-profile",
        str(profile),
        *args,
    ]


def snakemake(
    workdir: Path,
    *args: str,
    env: dict | None = None,
    check: bool = True,
    profile: Path = REPO / "profiles" / "default",
    unset: tuple[str, ...] = (),
) -> subprocess.CompletedProcess:
    """Run the real `snakemake` command on this repository's Snakefile in `workdir`, with a
    workflow profile, the environment plus `env`, less the variables in `unset`."""
    inherited = {k: v for k, v in os.environ.items() if k not in unset}
    full_env = {**inherited, **(env or {})}
    cmd = snakemake_command(workdir, *args, profile=profile)
    proc = subprocess.run(cmd, cwd=workdir, env=full_env, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return proc


def result_bytes(workdir: Path) -> dict[str, bytes]:
    """Every file under results/, by relative path."""
    base = workdir / "results"
    return {
        str(p.relative_to(base)): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()
    }
