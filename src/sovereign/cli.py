"""The `sovereign` command: a person's verbs, thin over Snakemake and the library.

    sovereign ask "QUESTION" [--as-of DATE] [--id ID] [SNAKEMAKE OPTIONS]
    sovereign run [SHEET] [SNAKEMAKE OPTIONS]
    sovereign index [SNAKEMAKE OPTIONS]
    sovereign verify BUNDLE [--verdict FILE] [--correction FILE] [--cores N] [--wall-seconds S ...]
    sovereign corpus SOURCE... --out FILE [--category PREFIX ...]

ask, run and index run `snakemake` in the workflow directory (the current one when it holds the
Snakefile, else the checkout this package was installed from), so they plan and rerun exactly as
`snakemake` does; every option they do not know is passed to it (`-c 4`, `--configfile my.yaml`,
`--dry-run`). verify and corpus call the library (`python -m sovereign.reproduce` is verify).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import re
import subprocess
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path

from . import __version__
from .config.questions import sheet_text
from .errors import ConfigError, SovereignError
from .io import write_atomic
from .search.snapshot_files import index_dir
from .snakemake_args import absolute_configfiles, dry, merged_config, with_config
from .text.stopwords import ENGLISH

ASKED = Path(".sovereign") / "asked"  # the one-question sheets `ask` writes (workflow-relative)
SNAKEMAKE_HELP = "any other option is passed to snakemake (see `snakemake --help`)"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    verbs = {"ask": ask, "run": run, "index": index, "verify": verify, "corpus": corpus}
    if not argv or argv[0] in ("-h", "--help"):
        print(_overview(verbs))
        return 0 if argv else 2
    if argv[0] == "--version":
        print(f"sovereign {__version__}")
        return 0
    verb = verbs.get(argv[0])
    if verb is None:
        print(f"sovereign: unknown command {argv[0]!r}\n  fix: use one of: {', '.join(verbs)}")
        return 2
    try:
        return verb(argv[1:])
    except SovereignError as err:
        print(f"sovereign: {err.message}", file=sys.stderr)
        return 2


def _overview(verbs: dict[str, Callable[[list[str]], int]]) -> str:
    lines = [
        "usage: sovereign COMMAND [OPTIONS]",
        "",
        "Reproducible, automated literature synthesis: research questions answered from the",
        "arXiv literature, with a reviewed report and a public record per question.",
        "",
        "commands:",
    ]
    for name, verb in verbs.items():
        lines.append(f"  {name:<8}{(verb.__doc__ or '').strip().splitlines()[0]}")
    lines += ["", "`sovereign COMMAND --help` describes each; `sovereign --version`."]
    return "\n".join(lines)


# --- ask, run, index: Snakemake in the workflow directory ---------------------------------------


def ask(argv: list[str]) -> int:
    """Answer one question: run the pipeline for it, print the verdict, score and reports."""
    parser = _parser(
        "ask",
        '"QUESTION"',
        "Run the pipeline for one question and print its verdict, its score and the paths of "
        "its report.md and record.html. The question gets a results folder of its own "
        "(<results>/<id>/); asking it again reruns only what changed.",
    )
    parser.add_argument("--as-of", help="answer as of this date, YYYY-MM-DD (default: today, UTC)")
    parser.add_argument(
        "--id", help="the question's id and results folder (default: from its text)"
    )
    question, own, forwarded = _split(parser, argv, "QUESTION")
    if question is None:
        parser.error("give the question, in quotes, first")
    root = workflow_root()
    qid = own.id or question_id(question)
    as_of = own.as_of or datetime.datetime.now(datetime.UTC).date().isoformat()
    sheet = root / ASKED / f"{qid}.tsv"
    _check_question(qid, question, as_of, sheet)
    text = sheet_text([(qid, question, as_of)]).encode("utf-8")
    if not sheet.is_file() or sheet.read_bytes() != text:  # unchanged: nothing reruns
        write_atomic(sheet, text)
    forwarded = absolute_configfiles(forwarded)
    config = merged_config(root, forwarded)
    results = root / config["results"] / qid
    targets = [str(Path(config["results"]) / qid / name) for name in _RECORD_FILES]
    print(f"sovereign: asking {qid} (as of {as_of}): {question}", file=sys.stderr)
    rc = snakemake(root, [*targets, *with_config(forwarded, f"questions={sheet}")])
    if rc != 0 or dry(forwarded):
        return rc
    print(verdict_lines(results))
    return 0


_RECORD_FILES = ("report.md", "record.json", "record.html")
_ASKED_BY = {"question": "the question", "as_of": "--as-of", "question_id": "--id"}


def _check_question(qid: str, question: str, as_of: str, sheet: Path) -> None:
    """The sheet's own checks, said of what the person typed (not of a file they never saw)."""
    from .config.checks import load_schema
    from .config.questions import read_questions

    probe = sheet.with_name(f".{sheet.name}.check")
    probe.parent.mkdir(parents=True, exist_ok=True)
    probe.write_text(sheet_text([(qid, question, as_of)]), encoding="utf-8")
    try:
        read_questions(probe, load_schema("questions"))
    except ConfigError as err:
        column = err.where.rsplit("column ", 1)[-1]
        raise ConfigError(_ASKED_BY.get(column, "the question"), err.problem, err.fix) from None
    finally:
        probe.unlink(missing_ok=True)


def run(argv: list[str]) -> int:
    """Run a question sheet (default: the configured one) through the whole pipeline."""
    parser = _parser(
        "run",
        "[SHEET]",
        "Run every question of a sheet (a TSV of question_id, question, as_of; default: the "
        "sheet the configuration names) and write results/index.html. `sovereign run` is "
        "`snakemake`; `sovereign run SHEET` is `snakemake --config questions=SHEET`.",
    )
    sheet, _own, forwarded = _split(parser, argv, "SHEET")
    if sheet is not None and not (Path(sheet).is_file() or sheet.endswith(".tsv")):
        sheet, forwarded = None, [sheet, *forwarded]  # a Snakemake target, e.g. `gate2`
    forwarded = absolute_configfiles(forwarded)
    if sheet is not None:
        forwarded = with_config(forwarded, f"questions={Path(sheet).resolve()}")
    root = workflow_root()
    rc = snakemake(root, forwarded)
    if rc != 0 or dry(forwarded):
        return rc
    config = merged_config(root, forwarded)
    print(sheet_summary(root / config["results"], root / config["questions"]))
    return 0


def sheet_summary(results: Path, sheet: Path) -> str:
    """One line per question of the sheet (its verdict and score), and the index page."""
    from .config.checks import load_schema
    from .config.questions import read_questions

    lines = []
    for question in read_questions(sheet, load_schema("questions")):
        if (results / question.question_id / "record.json").is_file():
            lines.append(verdict_lines(results / question.question_id).splitlines()[0])
    if (results / "index.html").is_file():
        lines.append(f"index: {(results / 'index.html').resolve()}")
    return "\n".join(lines)


def index(argv: list[str]) -> int:
    """Build the configured snapshot's search index once (a progress bar with an ETA)."""
    parser = _parser(
        "index",
        "",
        "Build the search index of the snapshot that search.snapshot names (the snapshot_index "
        "rule), printing a progress bar and an ETA; every question's search then reads it. A "
        "full Kaggle snapshot takes tens of minutes once; afterwards this says nothing to do.",
    )
    _none, _own, forwarded = _split(parser, argv, None)
    forwarded = absolute_configfiles(forwarded)
    root = workflow_root()
    search = merged_config(root, forwarded)["search"]
    if search.get("backend") != "snapshot":
        raise SovereignError(
            "search.backend",
            f"is {search.get('backend')!r}: only a snapshot has an index",
            "set search.backend to snapshot and search.snapshot to your snapshot file, e.g. "
            "sovereign index --config search='{backend: snapshot, snapshot: /data/arxiv.json}'",
        )
    rc = snakemake(root, ["snapshot_index", *forwarded])
    if rc == 0 and not dry(forwarded):
        where = index_dir(root / search["index"], search["snapshot"])
        print(f"index of {search['snapshot']}: {where}")
    return rc


def snakemake(root: Path, args: list[str]) -> int:
    """`snakemake ARGS` in the workflow directory, with this Python's Snakemake."""
    return subprocess.run([sys.executable, "-m", "snakemake", *args], cwd=root).returncode


def workflow_root() -> Path:
    """The workflow directory: the current one when it holds the Snakefile, else the checkout
    this package is installed from (`pip install -e .`)."""
    for candidate in (Path.cwd(), Path(__file__).resolve().parents[2]):
        if (candidate / "Snakefile").is_file() and (candidate / "rules" / "common.smk").is_file():
            return candidate
    raise SovereignError(
        str(Path.cwd()),
        "is not a sovereign workflow directory (no Snakefile and rules/ here), and this "
        "installation has none beside it",
        "run sovereign from your clone of the repository (the folder with the Snakefile), or "
        "install it from a clone with `make setup`",
    )


def question_id(question: str) -> str:
    """A readable id for a question: its first content words and a short hash of its text
    (the same question always gets the same folder; another question, another one)."""
    ascii_text = unicodedata.normalize("NFKD", question).encode("ascii", "ignore").decode()
    words = [w for w in re.findall(r"[a-z0-9]+", ascii_text.lower()) if w not in ENGLISH]
    slug = ""
    for word in words:  # whole words, up to 40 characters
        if len(slug) + len(word) + 1 > 40:
            break
        slug = f"{slug}-{word}" if slug else word
    slug = slug or (words[0][:40] if words else "question")
    digest = hashlib.sha256(" ".join(question.split()).encode("utf-8")).hexdigest()[:8]
    return f"{slug}-{digest}"


def answer_lines(report: Path) -> list[str]:
    """The answer's first sentence and its themes, as report.md's Answer section has them (none
    for a report without one)."""
    try:
        text = report.read_text(encoding="utf-8")
    except OSError:
        return []
    head, found, rest = text.partition("\n## Answer\n")
    if not found:
        return []
    section = rest.split("\n## ", 1)[0]
    paragraphs = [p.strip() for p in section.split("\n\n") if p.strip()]
    themes = [line[4:] for line in section.splitlines() if line.startswith("### ")]
    themes = [t for t in themes if t[:1].isdigit()]  # not Comparison, not the writer's prose
    lines = [f"  answer: {paragraphs[0]}"] if paragraphs else []
    return lines + [f"    {theme}" for theme in themes]


def verdict_lines(results: Path) -> str:
    """The verdict, score and policy of a question's record, its first reasons, and its files."""
    record_path = results / "record.json"
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise SovereignError(
            str(record_path), f"cannot be read ({err})", "run the question again"
        ) from None
    review = record["review"]
    lines = [
        f"{record['question_id']}: {review['verdict']}, score {review['score']:g}/"
        f"{review['max_score']:g} (policy {review['policy']}; {record['quality_tier']['tier']})"
    ]
    lines += [f"  {reason}" for reason in review["reasons"][:3]]
    lines += answer_lines(results / "report.md")
    lines += [f"  report: {results.resolve() / 'report.md'}"]
    lines += [f"  record: {results.resolve() / 'record.html'}"]
    return "\n".join(lines)


# --- verify and corpus: the library --------------------------------------------------------------


def verify(argv: list[str]) -> int:
    """Verify a Gate 2 bundle offline, byte for byte (a stranger's bundle included)."""
    from .gate2.verify import main as verify_main

    return verify_main(argv, prog="sovereign verify")


def corpus(argv: list[str]) -> int:
    """Make a compact compressed corpus from arXiv metadata snapshots (like the shipped one)."""
    from .search.corpus import build_corpus

    parser = argparse.ArgumentParser(
        prog="sovereign corpus",
        description="Make one compressed JSON-lines corpus from arXiv metadata snapshots (files "
        "or directories, plain or .gz/.xz/.bz2): every record once (the highest version, else "
        "the first seen), its line verbatim, in arXiv id order. Point search.snapshot at it. "
        "`make corpus` rebuilds the shipped resources/corpus/ this way.",
    )
    parser.add_argument("sources", nargs="+", help="snapshot files or directories")
    parser.add_argument(
        "--out", required=True, help="the corpus file: .jsonl.xz (smallest), .jsonl.gz or .jsonl"
    )
    parser.add_argument(
        "--category",
        action="append",
        default=[],
        help="keep papers in this category or prefix (cs.CL, or cs. for all of cs); repeatable",
    )
    args = parser.parse_args(argv)
    summary = build_corpus(
        args.sources,
        args.out,
        tuple(args.category),
        progress=lambda m: print(f"sovereign corpus: {m}", file=sys.stderr, flush=True),
    )
    print(json.dumps(summary, indent=1, sort_keys=True))
    return 0


# --- options ---------------------------------------------------------------------------------


def _parser(verb: str, positional: str, description: str) -> argparse.ArgumentParser:
    return argparse.ArgumentParser(
        prog=f"sovereign {verb}",
        usage=f"sovereign {verb} {positional} [OPTIONS] [SNAKEMAKE OPTIONS]".replace("  ", " "),
        description=description,
        epilog=SNAKEMAKE_HELP,
        allow_abbrev=False,
    )


def _split(
    parser: argparse.ArgumentParser, argv: list[str], positional: str | None
) -> tuple[str | None, argparse.Namespace, list[str]]:
    """(the positional argument, the verb's own options, the rest for Snakemake). The positional
    comes first: after an unknown option, a bare word is that option's value (`-c 4`)."""
    if argv[:1] in (["-h"], ["--help"]):
        parser.parse_args(["--help"])  # prints the help and exits
    value = None
    if positional and argv and not argv[0].startswith("-"):
        value, argv = argv[0], argv[1:]
    own, rest = parser.parse_known_args(argv)
    return value, own, rest
