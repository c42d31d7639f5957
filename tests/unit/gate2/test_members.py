"""A bundle carries the workflow's own code and nothing else: no cache, hidden file, editor
backup or file behind a link; and its digest moves with any file it carries."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from sovereign.gate2.members import code_digest, code_files, code_members
from support.paths import REPO


def _checkout(root):
    for name in (
        "Snakefile",
        "rules/search.smk",
        "scripts/search.py",
        "src/sovereign/__init__.py",
        "src/sovereign/review/__init__.py",
        "src/sovereign/review/rows.py",
        "src/sovereign/models/filter.json",
        "config/schemas/config.schema.yaml",
    ):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {name}\n")
    return root


def test_only_the_workflows_own_files_are_carried(tmp_path):
    root = _checkout(tmp_path / "wf")
    stray = [
        "src/sovereign/__pycache__/rows.cpython-311.pyc",
        "src/sovereign/.scratch.py",
        "src/sovereign/review/rows.py~",
        "src/sovereign/models/.hidden",
        "src/sovereign/models/filter.json.bak",
        "rules/.#search.smk",
    ]
    for name in stray:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("stray\n")
    outside = tmp_path / "outside.py"
    outside.write_text("X = 1\n")
    (root / "src/sovereign/linked.py").symlink_to(outside)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "more.py").write_text("Y = 1\n")
    (root / "src/sovereign/linkdir").symlink_to(elsewhere, target_is_directory=True)
    names = [p.relative_to(root).as_posix() for p in code_files(root)]
    assert names == sorted(names)
    assert set(names) == {
        "Snakefile",
        "rules/search.smk",
        "scripts/search.py",
        "src/sovereign/__init__.py",
        "src/sovereign/review/__init__.py",
        "src/sovereign/review/rows.py",
        "src/sovereign/models/filter.json",
        "config/schemas/config.schema.yaml",
    }


def test_the_digest_moves_with_any_carried_file(tmp_path):
    root = _checkout(tmp_path / "wf")
    before = code_digest.__wrapped__(root)
    (root / "rules/search.smk").write_text("# edited\n")  # no script imports a rule file
    assert code_digest.__wrapped__(root) != before
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    assert code_digest.__wrapped__(copy) == code_digest.__wrapped__(root)  # not the path
    assert list(code_members(copy)) == [f"workflow/{p}" for p in _names(copy)]


def _names(root):
    return [p.relative_to(root).as_posix() for p in code_files(root)]


def test_this_checkouts_members_are_tracked_and_cover_the_library():
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = set(
        subprocess.run(
            ["git", "-C", str(REPO), "ls-files"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    members = set(_names(REPO))
    assert members <= tracked, f"not tracked by git: {sorted(members - tracked)}"
    library = {
        name
        for name in tracked
        if name.startswith("src/sovereign/")
        and (name.endswith(".py") or name.startswith("src/sovereign/models/"))
    }
    assert library <= members, f"left out of bundles: {sorted(library - members)}"
    assert {"Snakefile", "requirements.lock", "rules/common.smk", "scripts/report.py"} <= members
