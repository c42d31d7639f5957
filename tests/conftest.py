"""Shared test helpers: paths, the shared data (skipped with a reason when absent), and real
Snakemake runs in temporary working directories."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
CS_DAILY = SHARED_DATA / "arxiv_cs_daily"
ATOM = SHARED_DATA / "arxiv_atom"


def default_config(**sections) -> dict:
    """A whole config as the schema fills it (every default stated there once), with `sections`
    overriding, e.g. default_config(filter={"threshold": 0.2})."""
    from sovereign.config.checks import default_config as filled

    return filled(sections)


def review_settings(**overrides):
    """The tribunal's settings at the schema's defaults, with `overrides`."""
    from dataclasses import replace

    from sovereign.review.settings import Settings

    return replace(Settings.from_config(default_config()), **overrides)


def claims_settings(**overrides):
    from dataclasses import replace

    from sovereign.claims.settings import Settings

    return replace(Settings.from_config(default_config()), **overrides)


requires_shared = pytest.mark.skipif(
    not SHARED_DATA.is_dir(),
    reason=f"needs the shared arXiv data at {SHARED_DATA} (a checkout with ../shared beside it)",
)

SHEET_QUESTIONS = [
    line.split("\t")
    for line in (REPO / "config" / "questions.tsv").read_text(encoding="utf-8").splitlines()[1:]
]


def recorded_pages() -> dict[int, bytes]:
    """The real 2025-12 cs listing (5 Atom pages of 100) by start offset."""
    folder = ATOM / "cs_paged_2025-12"
    return {s: (folder / f"arxiv_raw_{s}.xml").read_bytes() for s in (0, 100, 200, 300, 400)}


def fixture_snapshot(path: Path) -> Path:
    """The test corpus (tests/fixture_papers.py) as a one-file snapshot, Kaggle-style names."""
    from fixture_papers import PAPERS

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
