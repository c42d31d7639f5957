"""The rerun digest and Gate 2's code members follow the library into its subpackages: an edit
two packages deep changes the stage's digest and lands in the bundle."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from sovereign.gate2.members import code_members
from sovereign.run.codedeps import code_digest, script_code
from support.paths import REPO

TREE = {
    "src/sovereign/__init__.py": '__version__ = "0"\n',
    "src/sovereign/errors.py": "class Oops(Exception): ...\n",
    "src/sovereign/text/__init__.py": "",
    "src/sovereign/text/fold.py": "def fold(s): return s.lower()\n",
    "src/sovereign/stage/__init__.py": "",
    "src/sovereign/stage/run.py": (
        "from ..text.fold import fold\nfrom .deep import depth\n\n\n"
        "def later():\n    from ..lazy import LAZY  # imported when called\n\n    return LAZY\n"
    ),
    "src/sovereign/lazy.py": "LAZY = 1\n",
    "src/sovereign/stage/deep/__init__.py": "from .. import helper  # noqa\n",
    "src/sovereign/stage/deep/depth.py": "from ...errors import Oops\nDEPTH = 2\n",
    "src/sovereign/stage/helper.py": "X = 1\n",
    "src/sovereign/unused.py": "Y = 1\n",
    "scripts/stage.py": "from sovereign.stage import run\n",
}


def _tree(root: Path) -> Path:
    for name, text in TREE.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _code(root: Path) -> list[str]:
    return [
        Path(p).relative_to(root / "src").as_posix()
        for p in script_code(root / "scripts/stage.py", root / "src/sovereign")
    ]


def test_script_code_follows_relative_imports_through_packages(tmp_path):
    root = _tree(tmp_path)
    assert _code(root) == [
        "sovereign/__init__.py",
        "sovereign/errors.py",
        "sovereign/lazy.py",
        "sovereign/stage/__init__.py",
        "sovereign/stage/deep/__init__.py",
        "sovereign/stage/deep/depth.py",
        "sovereign/stage/helper.py",
        "sovereign/stage/run.py",
        "sovereign/text/__init__.py",
        "sovereign/text/fold.py",
    ]


def test_an_edit_two_packages_deep_changes_the_digest_and_lands_in_the_bundle(tmp_path):
    root = _tree(tmp_path)
    files = script_code(root / "scripts/stage.py", root / "src/sovereign")
    before = code_digest(files, root / "src")
    bundled = code_members(root)
    deep = root / "src/sovereign/stage/deep/depth.py"
    deep.write_text(deep.read_text() + "DEPTH = 3\n", encoding="utf-8")
    edited = code_digest(files, root / "src")
    assert edited != before
    after = code_members(root)
    member = "workflow/src/sovereign/stage/deep/depth.py"
    assert member in bundled and after[member] == deep.read_bytes() != bundled[member]
    # an edit to a module the stage never imports changes nothing
    (root / "src/sovereign/unused.py").write_text("Y = 2\n", encoding="utf-8")
    assert code_digest(files, root / "src") == edited
    assert "sovereign/unused.py" not in _code(root)


def test_same_file_name_in_two_packages_is_told_apart(tmp_path):
    root = tmp_path / "src"
    for package in ("a", "b"):
        (root / "sovereign" / package).mkdir(parents=True)
    (root / "sovereign/a/stage.py").write_text("X = 1\n")
    (root / "sovereign/b/stage.py").write_text("X = 1\n")
    a, b = root / "sovereign/a/stage.py", root / "sovereign/b/stage.py"
    assert code_digest([str(a)], root) != code_digest([str(b)], root)


@pytest.mark.parametrize(
    ("script", "module"),
    [
        ("review", "claims/relevance.py"),  # imported inside Settings.from_params
        ("claims", "encoders/minilm.py"),  # imported inside encoders.local.encoder
        ("embed", "embed/nim.py"),  # imported only for the remote backend
        ("search", "search/arxiv_api.py"),
        ("report", "search/queries.py"),  # the record's query plan
    ],
)
def test_a_stage_digest_covers_its_lazy_and_cross_package_imports(script, module):
    files = script_code(REPO / "scripts" / f"{script}.py", REPO / "src/sovereign")
    assert str(REPO / "src/sovereign" / module) in files


def _runtime_modules(script: Path) -> set[str]:
    """The sovereign files a script's top-level imports load, read from sys.modules of a fresh
    interpreter (the script itself needs Snakemake's object, so only its imports are run)."""
    tree = ast.parse(script.read_text(encoding="utf-8"))
    imports = [
        ast.unparse(node)
        for node in tree.body
        if isinstance(node, ast.ImportFrom | ast.Import)
        and "sovereign" in ast.unparse(node).split()[1].split(".")[0]
    ]
    program = (
        f"import sys, json; sys.path.insert(0, {str(REPO / 'src')!r})\n"
        + "\n".join(imports)
        + "\nprint(json.dumps(sorted(m.__file__ for n, m in sys.modules.items()"
        " if n.split('.')[0] == 'sovereign' and getattr(m, '__file__', None))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    )
    return set(json.loads(out.stdout))


@pytest.mark.parametrize("script", sorted(p.name for p in (REPO / "scripts").glob("[!_]*.py")))
def test_every_module_a_stage_loads_is_in_its_digest(script):
    path = REPO / "scripts" / script
    static = set(script_code(path, REPO / "src/sovereign"))
    assert _runtime_modules(path) <= static
