"""Cheaper planning changes what is checked when, never what is planned: a script is still
checked (once per rule), a missing one still stops the run, and input functions still get the
arguments they ask for."""

from __future__ import annotations

import inspect
import subprocess
import sys
from types import SimpleNamespace

import pytest
import snakemake.api  # noqa: F401  (snakemake.dag imports cleanly only after it, as in a run)
from snakemake.common import get_function_params
from snakemake.dag import ScriptProcessor

from sovereign.run.planning import check_scripts_once_per_rule, per_job
from support.paths import REPO


def test_per_job_functions_keep_their_parameters():
    def get_question(wildcards, input=None):
        return wildcards

    marked = per_job(get_question)
    assert marked is get_question
    assert list(get_function_params(marked)) == list(inspect.signature(get_question).parameters)


RULES: dict[str, SimpleNamespace] = {}


def _job(rule: str, script: str):
    return SimpleNamespace(rule=RULES.setdefault(rule, SimpleNamespace(name=rule, script=script)))


def test_nothing_is_hooked_into_another_snakemake(monkeypatch):
    import snakemake

    original = ScriptProcessor.process_job
    monkeypatch.setattr(snakemake, "__version__", "9.99.0")
    assert check_scripts_once_per_rule() is False
    assert ScriptProcessor.process_job is original

    def question(wildcards):
        return wildcards

    assert per_job(question) is question
    assert not hasattr(question, "_overwrite_params")
    assert list(get_function_params(question)) == ["wildcards"]


def test_a_fixed_script_is_checked_once_per_rule_a_templated_one_per_job(monkeypatch):
    seen = []
    monkeypatch.setattr(ScriptProcessor, "process_job", lambda self, job: seen.append(job))
    assert check_scripts_once_per_rule() is True
    assert check_scripts_once_per_rule() is True  # applied once, however often it is called
    processor = ScriptProcessor.__new__(ScriptProcessor)
    jobs = [_job("filter", "../scripts/filter.py") for _ in range(3)]
    jobs += [_job("embed", "../scripts/embed.py") for _ in range(2)]
    jobs += [_job("any", "../scripts/{wildcards.qid}.py") for _ in range(2)]
    for job in jobs:
        ScriptProcessor.process_job(processor, job)
    assert [j.rule.name for j in seen] == ["filter", "embed", "any", "any"]


SNAKEFILE = """
import sys
sys.path.insert(0, {src!r})
from sovereign.run.planning import check_scripts_once_per_rule

check_scripts_once_per_rule()


rule all:
    input:
        expand("out/{{n}}.txt", n=range(3)),


rule make:
    output:
        "out/{{n}}.txt",
    script:
        "missing.py"
"""


def _dry_run(directory, snakefile: str) -> str:
    directory.mkdir()
    (directory / "Snakefile").write_text(snakefile)
    done = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "-c1"],
        cwd=directory,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert not (directory / "out").exists()
    return next(line for line in done.stdout.splitlines() if "missing.py" in line)


@pytest.mark.slow
def test_a_missing_script_still_stops_the_run_before_any_job(tmp_path):
    patched = SNAKEFILE.format(src=str(REPO / "src"))
    plain = patched.replace("\ncheck_scripts_once_per_rule()\n", "\n")
    with_patch = _dry_run(tmp_path / "patched", patched)
    assert "No such file or directory" in with_patch
    # Snakemake's own message, word for word, as without the patch
    assert with_patch.replace("patched", "plain") == _dry_run(tmp_path / "plain", plain)
