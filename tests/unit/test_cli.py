"""The `sovereign` command's own logic: ids for asked questions, options split between the verb
and Snakemake, where results go, and the help. (tests/workflow/test_fresh_clone.py runs it.)"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sovereign import cli, snakemake_args
from sovereign.contracts import is_question_id
from support.paths import REPO


def test_the_console_script_lists_every_verb():
    script = Path(sys.executable).parent / "sovereign"
    assert script.is_file(), "install the package (make setup) to get the `sovereign` command"
    out = subprocess.run([script, "--help"], capture_output=True, text=True, check=True).stdout
    for verb in ("ask", "run", "index", "verify", "corpus"):
        assert f"\n  {verb} " in out
    declared = (REPO / "pyproject.toml").read_text()
    assert 'sovereign = "sovereign.cli:main"' in declared
    # `python -m sovereign` is the same command
    module = subprocess.run(
        [sys.executable, "-m", "sovereign", "--help"], capture_output=True, text=True, check=True
    )
    assert module.stdout == out


@pytest.mark.parametrize("verb", ["ask", "run", "index", "verify", "corpus"])
def test_each_verb_has_its_help(verb, capsys):
    with pytest.raises(SystemExit) as done:
        cli.main([verb, "--help"])
    assert done.value.code == 0
    assert f"sovereign {verb}" in capsys.readouterr().out


def test_an_unknown_verb_names_the_known_ones(capsys):
    assert cli.main(["answer", "x"]) == 2
    assert "use one of: ask, run, index, verify, corpus" in capsys.readouterr().out


def test_question_ids_are_readable_stable_and_valid():
    question = "How do auxiliary load balancing losses affect expert utilization in MoE routing?"
    qid = cli.question_id(question)
    assert qid.startswith("auxiliary-load-balancing-losses-affect-") and is_question_id(qid)
    assert len(qid.rsplit("-", 1)[0]) <= 40  # whole words only
    assert cli.question_id("  " + question.replace(" ", "  ")) == qid  # spacing is not the text
    assert cli.question_id(question + " And why?") != qid
    for odd in ("???", "Ünïcödé façade — résumé", "x" * 300, "-leading dash"):
        assert is_question_id(cli.question_id(odd)), odd


def test_own_options_and_snakemake_options_are_split_in_order():
    parser = cli._parser("ask", '"QUESTION"', "")
    parser.add_argument("--as-of")
    value, own, rest = cli._split(
        parser, ["Q?", "-c", "4", "--as-of", "2026-01-02", "--config", "a=1", "b=2"], "QUESTION"
    )
    assert (value, own.as_of, rest) == ("Q?", "2026-01-02", ["-c", "4", "--config", "a=1", "b=2"])
    # with no sheet first, `-c 4` stays Snakemake's (the 4 is not taken for a sheet)
    assert cli._split(cli._parser("run", "[SHEET]", ""), ["-c", "4"], "SHEET")[0::2] == (
        None,
        ["-c", "4"],
    )


def test_the_question_sheet_joins_the_users_own_config_items():
    # Snakemake keeps only the last --config option: one option must carry both
    assert snakemake_args.with_config(["-c", "2"], "questions=q.tsv") == [
        "-c",
        "2",
        "--config",
        "questions=q.tsv",
    ]
    assert snakemake_args.with_config(["--config", "a=1", "-n"], "questions=q.tsv") == [
        "--config",
        "questions=q.tsv",
        "a=1",
        "-n",
    ]


def test_results_are_found_where_config_files_and_items_put_them(tmp_path, monkeypatch):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text(
        yaml.safe_dump({"results": "results", "search": {"backend": "snapshot"}})
    )
    overlay = tmp_path / "mine.yaml"
    overlay.write_text(yaml.safe_dump({"results": "elsewhere"}))
    monkeypatch.chdir(tmp_path)
    assert snakemake_args.merged_config(tmp_path, [])["results"] == "results"
    args = snakemake_args.absolute_configfiles(["--configfile", "mine.yaml", "-c", "1"])
    assert args == ["--configfile", str(overlay), "-c", "1"]
    assert snakemake_args.merged_config(tmp_path, args)["results"] == "elsewhere"
    merged = snakemake_args.merged_config(
        tmp_path, [*args, "--config", "results=there", "search={backend: arxiv}"]
    )
    assert merged["results"] == "there" and merged["search"]["backend"] == "arxiv"
    assert merged["search"]["index"] == "indexes"  # the schema's default


def _workflow(tmp_path, config):
    for name in ("Snakefile", "rules/common.smk"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    return tmp_path


def test_index_needs_a_snapshot_backend(tmp_path, monkeypatch, capsys):
    _workflow(tmp_path, {"search": {"backend": "arxiv"}})
    monkeypatch.chdir(tmp_path)
    assert cli.main(["index"]) == 2
    err = capsys.readouterr().err
    assert "search.backend: is 'arxiv': only a snapshot has an index" in err and "fix:" in err


def test_outside_a_workflow_directory_the_checkout_is_used(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.workflow_root() == REPO  # this package is installed from the checkout


def test_verify_says_what_is_wrong_with_a_missing_bundle(tmp_path, capsys):
    assert cli.main(["verify", str(tmp_path / "nothing.tar.gz")]) == 2
    assert "nothing.tar.gz" in capsys.readouterr().err


def test_corpus_prints_what_it_wrote(tmp_path, capsys):
    snapshot = tmp_path / "s.jsonl"
    snapshot.write_text(json.dumps({"id": "2501.00001", "title": "T", "abstract": "A"}) + "\n")
    assert cli.main(["corpus", str(snapshot), "--out", str(tmp_path / "c.jsonl.xz")]) == 0
    assert json.loads(capsys.readouterr().out)["records"] == 1


def test_the_verdict_is_printed_with_its_reasons_and_files(tmp_path):
    record = {
        "question_id": "q",
        "quality_tier": {"tier": "Reviewed synthesis"},
        "review": {
            "verdict": "REJECT",
            "score": 1.0,
            "max_score": 10.0,
            "policy": "ESCALATE_TO_OWNER",
            "reasons": ["final score 1.0/10 gives REJECT", "fatal (no_sources): none"],
        },
    }
    (tmp_path / "record.json").write_text(json.dumps(record))
    lines = cli.verdict_lines(tmp_path).splitlines()
    assert lines[0] == "q: REJECT, score 1/10 (policy ESCALATE_TO_OWNER; Reviewed synthesis)"
    assert lines[2] == "  fatal (no_sources): none"
    assert lines[-1] == f"  record: {tmp_path.resolve() / 'record.html'}"
    assert len(lines) == 5  # no report.md: no answer lines
    (tmp_path / "report.md").write_text(
        "# T\n\nQuestion: q\n\n## Answer\n\n3 papers bear on this question, in 2 themes.\n\n"
        "### 1. expert routing\n\nx\n\n### 2. load balance\n\n### Comparison\n\n"
        "## Abstract\n\n### 9. not a theme\n"
    )
    lines = cli.verdict_lines(tmp_path).splitlines()
    assert lines[3:6] == [
        "  answer: 3 papers bear on this question, in 2 themes.",
        "    1. expert routing",
        "    2. load balance",
    ]
    assert lines[-2].startswith("  report: ")


def test_run_takes_a_sheet_first_or_passes_a_target_on(tmp_path, monkeypatch):
    _workflow(tmp_path, {"results": "results", "questions": "config/questions.tsv"})
    monkeypatch.chdir(tmp_path)
    calls = []
    monkeypatch.setattr(cli, "snakemake", lambda root, args: calls.append(args) or 1)
    (tmp_path / "mine.tsv").write_text("question_id\tquestion\tas_of\n")
    assert cli.main(["run", "mine.tsv", "-c", "2"]) == 1
    assert cli.main(["run", "gate2", "-c", "2"]) == 1
    assert cli.main(["run", "-n"]) == 1
    assert calls == [
        ["-c", "2", "--config", f"questions={tmp_path / 'mine.tsv'}"],
        ["gate2", "-c", "2"],
        ["-n"],
    ]


def test_a_run_ends_with_each_questions_verdict_and_the_index(tmp_path):
    sheet = tmp_path / "q.tsv"
    sheet.write_text("question_id\tquestion\tas_of\na\tWhat is routing?\t2026-01-01\n")
    (tmp_path / "results" / "a").mkdir(parents=True)
    (tmp_path / "results" / "index.html").write_text("<html>")
    record = {
        "question_id": "a",
        "quality_tier": {"tier": "Reviewed synthesis"},
        "review": {"verdict": "PUBLISH", "score": 9.0, "max_score": 10.0, "policy": "PUBLISH"},
    }
    (tmp_path / "results" / "a" / "record.json").write_text(
        json.dumps({**record, "review": {**record["review"], "reasons": []}})
    )
    assert cli.sheet_summary(tmp_path / "results", sheet).splitlines() == [
        "a: PUBLISH, score 9/10 (policy PUBLISH; Reviewed synthesis)",
        f"index: {tmp_path.resolve() / 'results' / 'index.html'}",
    ]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["   "], "sovereign: the question: "),
        (["What is routing?", "--as-of", "2026-13-45"], "sovereign: --as-of: "),
        (["What is routing?", "--id", "../up"], "sovereign: --id: "),
    ],
)
def test_a_bad_question_is_said_of_what_was_typed(tmp_path, monkeypatch, capsys, args, said):
    _workflow(tmp_path, {"results": "results"})
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "snakemake", lambda root, args: pytest.fail("must not run"))
    assert cli.main(["ask", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith(said) and "\n  fix: " in err and ".tsv" not in err
    assert not list((tmp_path / ".sovereign" / "asked").glob("*"))  # nothing left behind
