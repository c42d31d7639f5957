"""Bad input, through the real `snakemake` command: every malformed config value, question sheet
and snapshot in the table is refused with the exact message a user sees (`sovereign: <file or
field>: <problem>` and `  fix: ...`), a non-zero exit, no traceback, and nothing written outside
the results directory. Mistakes found while planning are run with --dry-run; mistakes only a
job can find (a snapshot's contents) run the job for real.

Every case gets its own temporary directory and the cases run concurrently (see `runs`), so the
table takes about as long as its slowest few cases, not the sum of them.
"""

from __future__ import annotations

import json
import lzma
import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from support.paths import REPO
from support.workflow import snakemake

pytestmark = pytest.mark.slow

HEADER = "question_id\tquestion\tas_of"
QUESTION = "How does expert routing work in mixture of experts?"
DATE = "2026-05-28"
RECORDS = [
    {
        "id": "2401.00001",
        "title": "Expert routing in sparse mixture of experts",
        "abstract": "We study how a router assigns tokens to experts and balances their load.",
        "categories": "cs.LG",
    },
    {
        "id": "2401.00002",
        "title": "Load balancing losses for mixture of experts",
        "abstract": "Auxiliary losses keep expert routing balanced during training.",
        "categories": "cs.LG",
    },
]
SNAPSHOT = "".join(json.dumps(r) + "\n" for r in RECORDS)
BASE_CONFIG = {
    "questions": "config/questions.tsv",
    "search": {"backend": "snapshot", "snapshot": "snap.jsonl"},
    "embed": {"backend": "hashing"},  # local and instant: the accepted run stays fast
}


def config(**change) -> str:
    """config/config.yaml: the base config with whole top-level sections replaced."""
    return yaml.safe_dump({**BASE_CONFIG, **change}, sort_keys=False)


def sheet(*rows: tuple[str, ...], header: str = HEADER) -> str:
    return "".join(line + "\n" for line in [header, *("\t".join(row) for row in rows)])


GOOD_ROW = ("q1", QUESTION, DATE)
SEARCH = BASE_CONFIG["search"]
# A working directory that runs: each case changes some of these files.
BASE_FILES = {
    "config/config.yaml": config(),
    "config/questions.tsv": sheet(GOOD_ROW),
    "snap.jsonl": SNAPSHOT,
}


@dataclass(frozen=True)
class Case:
    files: dict[str, str | bytes | None]  # path -> text ("{tmp}" = the case's dir), bytes, None
    args: tuple[str, ...]  # extra snakemake arguments
    message: str | None  # the exact `sovereign:` lines ("{tmp}" = the case's dir); None: accepted
    run: bool = False  # a real run (the error shows only in a job); otherwise --dry-run


def case(name, files, args, message, *, run=False, xfail=None):
    marks = [pytest.mark.xfail(strict=True, reason=xfail)] if xfail else []
    return pytest.param(name, Case(files, tuple(args), message, run), id=name, marks=marks)


SHEET = "config/questions.tsv"
CONFIG = "config/config.yaml"
SHEET_AT = "sovereign: config/questions.tsv: line 2, column"
AT_LINE_3 = "sovereign: config/questions.tsv: line 3, column"
ID_FIX = "  fix: use only letters, digits, _ and - (the id names the folder results/<question_id>/)"
COLUMNS = "question_id, question and as_of, separated by tabs"
THRESHOLD_FIX = (
    "  fix: use a number from 0 to 1 "
    "(keep papers whose TF-IDF cosine with the question is at least this)"
)
BAD_LINE = json.dumps(RECORDS[0]) + "\n"
# Snakemake reads --configfile and --config itself, before any sovereign code runs: its messages
# name neither file nor line, and a missing --configfile or a dotted --config key ends in a
# traceback. These cases say what the user should see once the reading is checked first (strict
# xfail: a fix makes them fail until the mark is removed).
SNAKEMAKE_CLI = (
    "Snakemake's command line reads --configfile and --config before the Snakefile (its "
    "FileNotFoundError and ValueError escape as tracebacks); needs a check before it starts"
)
# One question holding every way a shell would run something (one question: one job a stage).
SHELL_QUESTION = (
    "Does $(touch PWNED) expert routing `touch PWNED` help; rm -rf x && touch PWNED | "
    "cat > PWNED; echo $HOME ${IFS} 'experts'?"
)

CASES = [
    # --- config values of the wrong type or out of range ----------------------------------------
    case(
        "config-threshold-not-a-number",
        {},
        ["--config", "filter={threshold: high}"],
        f"sovereign: --config: filter.threshold: 'high' is not a number\n{THRESHOLD_FIX}",
    ),
    case(
        "config-threshold-above-maximum",
        {CONFIG: config(filter={"threshold": 2})},
        [],
        "sovereign: config/config.yaml: filter.threshold: 2 is greater than the maximum of 1\n"
        + THRESHOLD_FIX,
    ),
    case(
        "config-threshold-nan",
        {CONFIG: config(filter={"threshold": float("nan")})},
        [],
        f"sovereign: config/config.yaml: filter.threshold: .nan is not a finite number\n"
        f"{THRESHOLD_FIX}",
    ),
    case(
        "config-max-results-below-minimum",
        {CONFIG: config(search={**SEARCH, "max_results": -5})},
        [],
        "sovereign: config/config.yaml: search.max_results: -5 is less than the minimum of 1\n"
        "  fix: use a whole number from 1 to 2000 "
        "(hits kept per query (each question sends 4 queries))",
    ),
    case(
        "config-boolean-is-text",
        {CONFIG: config(embed={"backend": "hashing", "offline": "maybe"})},
        [],
        "sovereign: config/config.yaml: embed.offline: 'maybe' is not true or false\n"
        "  fix: use true or false "
        "(answer NIM embeddings from the ledger only (no network; a missing text is an error))",
    ),
    case(
        "config-timeout-zero",
        {CONFIG: config(embed={"backend": "hashing", "timeout": 0})},
        [],
        "sovereign: config/config.yaml: embed.timeout: 0 is not greater than 0\n"
        "  fix: use a number greater than 0 "
        "(seconds before one HTTP request is abandoned (and retried))",
    ),
    case(
        "config-backend-unknown",
        {CONFIG: config(search={**SEARCH, "backend": "google"})},
        [],
        "sovereign: config/config.yaml: search.backend: 'google' is not one of "
        "arxiv, replay, snapshot\n"
        "  fix: use one of: arxiv, replay, snapshot",
    ),
    case(
        "config-section-is-a-list",
        {CONFIG: config(filter=[0.2])},
        [],
        "sovereign: config/config.yaml: filter: [0.2] is not a mapping\n"
        "  fix: write it as a mapping with keys: semantic_threshold, threshold",
    ),
    case(
        "config-url-without-scheme",
        {CONFIG: config(review={"llm": {"url": "localhost:8000"}})},
        [],
        "sovereign: config/config.yaml: review.llm.url: 'localhost:8000' is not a URL starting "
        "with http:// or https://\n"
        "  fix: use a URL starting with http:// or https://, or null "
        "(base URL, e.g. https://integrate.api.nvidia.com or http://127.0.0.1:11434)",
    ),
    case(
        "config-password-in-a-service-url",
        {CONFIG: config(embed={"nim_url": "http://me:s3cret-pw@nim.example:8000"})},
        [],
        "sovereign: config/config.yaml: embed.nim_url: the URL holds a user name or password "
        "(before '@')\n"
        "  fix: remove it from the URL; the key goes in NVIDIA_API_KEY",
    ),
    # --- unknown and missing keys ---------------------------------------------------------------
    case(
        "config-unknown-top-level-key",
        {CONFIG: config(resluts="out")},
        [],
        "sovereign: config/config.yaml: resluts: unknown key\n"
        "  fix: remove it or use one of: answer, cache, claims, corrections, embed, filter, "
        "fulltext, gate2, ledger, questions, record, results, review, search (did you mean "
        "results?)",
    ),
    case(
        "config-unknown-nested-key",
        {CONFIG: config(review={"weights": {"SKEPTIK": 1}})},
        [],
        "sovereign: config/config.yaml: review.weights.SKEPTIK: unknown key\n"
        "  fix: remove it or use one of: SKEPTIC, SYNTHESIZER, VALIDATOR (did you mean SKEPTIC?)",
    ),
    case(
        "config-unknown-key-in-overlay",
        {"my.yaml": "filter: {treshold: 0.2}\n"},
        ["--configfile", "my.yaml"],
        "sovereign: my.yaml: filter.treshold: unknown key\n"
        "  fix: remove it or use one of: semantic_threshold, threshold (did you mean threshold?)",
    ),
    case(
        "config-snapshot-backend-without-snapshot",
        {CONFIG: config(search={"backend": "snapshot"})},
        [],
        "sovereign: config/config.yaml: search.snapshot: backend snapshot needs a snapshot path\n"
        "  fix: set search.snapshot to an arXiv metadata JSON-lines file or a directory of them "
        "(or choose search.backend arxiv)",
    ),
    case(
        "config-arxiv-backend-without-contact",
        {},
        ["--config", "search={backend: arxiv}"],
        "sovereign: --config: search.contact: live arXiv searches must say who is asking\n"
        "  fix: set search.contact to your e-mail or project URL (sent in the User-Agent)",
    ),
    # --- config files Snakemake reads itself (xfail until the Snakefile / CLI checks them) -----
    case(
        "config-file-corrupt-yaml",
        {CONFIG: "search: {backend: snapshot\n  snapshot: snap.jsonl\n"},
        [],
        "sovereign: config/config.yaml: line 2, column 11: not valid YAML: expected ',' or '}', "
        "but got ':' (while parsing a flow mapping that starts on line 1)\n"
        "  fix: correct the YAML there",
    ),
    case(
        "configfile-does-not-exist",
        {},
        ["--configfile", "nope.yaml"],
        "sovereign: nope.yaml: file not found\n  fix: check the path",
        xfail=SNAKEMAKE_CLI,
    ),
    case(
        "configfile-indented-with-a-tab",
        {"my.yaml": "filter:\n\tthreshold: 0.2\n"},
        ["--configfile", "my.yaml"],
        "sovereign: my.yaml: line 2, column 1: not valid YAML: found character '\\t' that "
        "cannot start any token\n"
        "  fix: correct the YAML there (indent with spaces: YAML does not allow tabs)",
        xfail=SNAKEMAKE_CLI,
    ),
    case(
        "config-dotted-key-on-command-line",
        {},
        ["--config", "filter.threshold=0.2"],
        "sovereign: --config: filter.threshold: unknown key\n"
        "  fix: write nested keys as a mapping: --config filter='{threshold: 0.2}'",
        xfail=SNAKEMAKE_CLI,
    ),
    # --- snapshots: found while planning --------------------------------------------------------
    case(
        "snapshot-does-not-exist",
        {CONFIG: config(search={**SEARCH, "snapshot": "{tmp}/missing.jsonl"})},
        [],
        "sovereign: config/config.yaml: search.snapshot: {tmp}/missing.jsonl does not exist\n"
        "  fix: point it at an arXiv metadata JSON-lines file (e.g. the Kaggle "
        "arxiv-metadata-oai-snapshot.json) or a directory of them",
    ),
    case(
        "snapshot-directory-without-files",
        {CONFIG: config(search={**SEARCH, "snapshot": "snap"}), "snap/README.txt": "notes\n"},
        [],
        "sovereign: snap: the snapshot directory holds no .jsonl, .json or .ndjson files (plain, "
        "or compressed as .gz, .xz or .bz2)\n"
        "  fix: point search.snapshot at an arXiv metadata JSON-lines file or a directory of them",
    ),
    case(
        "snapshot-file-empty",
        {"snap.jsonl": ""},
        [],
        "sovereign: snap.jsonl: the snapshot file is empty (0 bytes)\n"
        "  fix: point search.snapshot at an arXiv metadata JSON-lines file, "
        "or download or copy it again",
    ),
    # --- snapshots: found by the snapshot_index job ---------------------------------------------
    case(
        "snapshot-line-not-json",
        {"snap.jsonl": BAD_LINE + "{not json\n"},
        ["snapshot_index"],
        "sovereign: snap.jsonl:2: not a JSON object "
        "(Expecting property name enclosed in double quotes at column 2)\n"
        "  fix: repair or remove that line; the snapshot must be JSON lines, one record per line",
        run=True,
    ),
    case(
        "snapshot-one-json-array",
        {"snap.jsonl": json.dumps(RECORDS) + "\n"},
        ["snapshot_index"],
        "sovereign: snap.jsonl:1: an array, not a JSON record (an object)\n"
        "  fix: write one JSON object per line (JSON lines); a file holding one JSON array of "
        "records converts with `jq -c '.[]' FILE`",
        run=True,
    ),
    case(
        "snapshot-without-arxiv-ids",
        {"snap.jsonl": '{"title": "no id"}\n{"id": null, "title": "none"}\n'},
        ["snapshot_index"],
        "sovereign: snap.jsonl: no record in the snapshot has an arXiv id, so there is nothing "
        "to search\n"
        "  fix: point search.snapshot at arXiv metadata: JSON lines with an `id` field, such as "
        "the Kaggle arxiv-metadata-oai-snapshot.json",
        run=True,
    ),
    case(
        "snapshot-cut-off-xz",
        {
            CONFIG: config(search={**SEARCH, "snapshot": "snap.jsonl.xz"}),
            "snap.jsonl.xz": lzma.compress(BAD_LINE.encode() * 200)[:80],
        },
        ["snapshot_index"],
        "sovereign: snap.jsonl.xz: the xz stream is damaged or cut off (EOFError: Compressed "
        "file ended before the end-of-stream marker was reached)\n"
        "  fix: download or copy the file again (`xz -t FILE` checks it)",
        run=True,
    ),
    case(
        "snapshot-latin1-line",
        {
            "snap.jsonl": BAD_LINE.encode()
            + '{"id": "2401.00003", "title": "Gödel"}\n'.encode("latin-1")
        },
        ["snapshot_index"],
        "sovereign: snap.jsonl:2: not UTF-8 text (byte 0xf6 at column 33)\n"
        "  fix: re-encode the file as UTF-8",
        run=True,
    ),
    case(
        "snapshot-field-of-wrong-type",
        {"snap.jsonl": BAD_LINE + json.dumps({**RECORDS[1], "authors_parsed": [[1, 2, 3]]})},
        ["snapshot_index"],
        "sovereign: snap.jsonl:2: field 'authors_parsed' has an unexpected type or value "
        "(expected string or bytes-like object, got 'int')\n"
        "  fix: repair or remove that record",
        run=True,
    ),
    # --- question sheet: encodings and file formats ---------------------------------------------
    case(
        "sheet-utf16",
        {
            CONFIG: config(questions="{tmp}/sheets/q.tsv"),
            "sheets/q.tsv": sheet(GOOD_ROW).encode("utf-16"),
        },
        [],
        "sovereign: {tmp}/sheets/q.tsv: UTF-16 text, not UTF-8\n  fix: save the sheet as UTF-8",
    ),
    case(
        "sheet-latin1",
        {SHEET: sheet(("q1", "Does Gödel routing help experts?", DATE)).encode("latin-1")},
        [],
        "sovereign: config/questions.tsv: line 2: byte 0xf6 is not UTF-8 "
        "(in Latin-1 or Windows-1252 it is 'ö')\n"
        "  fix: save the sheet as UTF-8",
    ),
    case(
        "sheet-binary-junk",
        {SHEET: b"\x89\x13\n" + bytes(range(256))},
        [],
        "sovereign: config/questions.tsv: line 2: holds a NUL byte: binary data, "
        "or UTF-16 text without a byte-order mark\n"
        "  fix: save the sheet as UTF-8 tab-separated text",
    ),
    case(
        "sheet-nul-byte-in-a-question",
        {SHEET: sheet(GOOD_ROW, ("q2", "Expert\x00 routing?", DATE))},
        [],
        "sovereign: config/questions.tsv: line 3: holds a NUL byte: binary data, "
        "or UTF-16 text without a byte-order mark\n"
        "  fix: save the sheet as UTF-8 tab-separated text",
    ),
    case(
        "sheet-is-a-workbook",
        {SHEET: b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml"},
        [],
        "sovereign: config/questions.tsv: a zip archive (an .xlsx or .ods workbook?), "
        "not a tab-separated sheet\n"
        "  fix: export the sheet as tab-separated text (UTF-8)",
    ),
    case(
        "sheet-byte-order-mark-on-a-later-line",  # two exported sheets pasted together
        {SHEET: sheet(GOOD_ROW) + "\ufeff" + "\t".join(("q2", QUESTION, DATE)) + "\n"},
        [],
        f"{AT_LINE_3} question_id: '\\ufeffq2' holds U+FEFF\n{ID_FIX}",
    ),
    case(
        "sheet-byte-order-mark-at-the-start",  # as spreadsheets write it: accepted
        {SHEET: "\ufeff" + sheet(GOOD_ROW)},
        [],
        None,
    ),
    # --- question sheet: columns and shape ------------------------------------------------------
    case(
        "sheet-renamed-columns",
        {SHEET: sheet(GOOD_ROW, header="id\tquestion\tdate")},
        [],
        "sovereign: config/questions.tsv: line 1: unknown columns 'id', 'date'; "
        "missing columns 'question_id', 'as_of'\n"
        f"  fix: name the columns {COLUMNS}",
    ),
    case(
        "sheet-missing-column",
        {SHEET: sheet(GOOD_ROW[:2], header="question_id\tquestion")},
        [],
        f"sovereign: config/questions.tsv: line 1: missing column 'as_of'\n"
        f"  fix: name the columns {COLUMNS}",
    ),
    case(
        "sheet-extra-column",
        {SHEET: sheet((*GOOD_ROW, "see notes"), header=HEADER + "\tnotes")},
        [],
        f"sovereign: config/questions.tsv: line 1: unknown column 'notes'\n"
        f"  fix: remove it: the columns are {COLUMNS}",
    ),
    case(
        "sheet-extra-field-in-a-row",
        {SHEET: sheet((*GOOD_ROW, "stray"))},
        [],
        "sovereign: config/questions.tsv: line 2: 4 tab-separated fields, the header has 3\n"
        "  fix: separate question_id, question and as_of with single tabs "
        '(a question holding a tab goes in double quotes, "...")',
    ),
    case(
        "sheet-comma-separated",
        {SHEET: f"question_id,question,as_of\nq1,{QUESTION},{DATE}\n"},
        [],
        "sovereign: config/questions.tsv: line 1: the header 'question_id,question,as_of' is not "
        "tab-separated\n"
        f"  fix: name the columns {COLUMNS} (save as tab-separated text, not CSV)",
    ),
    case(
        "sheet-unterminated-quote",
        {SHEET: f'{HEADER}\nq1\t"{QUESTION}\t{DATE}\n'},
        [],
        "sovereign: config/questions.tsv: line 2: cannot be read as TSV (unexpected end of data)\n"
        '  fix: a field that starts with " must end with " (write "" for a quote inside it)',
    ),
    case(
        "sheet-does-not-exist",
        {SHEET: None},
        [],
        "sovereign: config/questions.tsv: question sheet not found\n"
        "  fix: create it or set `questions` in the config",
    ),
    case(
        "sheet-is-a-directory",
        {CONFIG: config(questions="config")},
        [],
        "sovereign: config: is a directory, not a question sheet\n"
        "  fix: set `questions` to the sheet's TSV file",
    ),
    # --- question ids ---------------------------------------------------------------------------
    case(
        "id-duplicate",
        {SHEET: sheet(GOOD_ROW, ("q1", "Does load balancing help experts?", DATE))},
        [],
        "sovereign: config/questions.tsv: line 3, column question_id: 'q1' is used again "
        "(first on line 2)\n"
        "  fix: give every question its own id (ids differing only in case count as one)",
    ),
    case(
        "id-with-slash",
        {SHEET: sheet(("moe/routing", QUESTION, DATE))},
        [],
        f"{SHEET_AT} question_id: 'moe/routing' holds '/'\n{ID_FIX}",
    ),
    case(
        "id-parent-directory",
        {SHEET: sheet(("..", QUESTION, DATE))},
        [],
        f"{SHEET_AT} question_id: '..' holds '.'\n{ID_FIX}",
    ),
    case(
        "id-with-spaces",
        {SHEET: sheet(("my question!", QUESTION, DATE))},
        [],
        f"{SHEET_AT} question_id: 'my question!' holds a space and '!'\n{ID_FIX}",
    ),
    case(
        "id-leading-dash",
        {SHEET: sheet(("-rf", QUESTION, DATE))},
        [],
        f"{SHEET_AT} question_id: '-rf' starts with '-'\n"
        "  fix: start it with a letter, digit or _ "
        "(a name starting with - reads as an option to command-line tools)",
    ),
    case(
        "id-too-long",
        {SHEET: sheet(("q" * 65, QUESTION, DATE))},
        [],
        f"{SHEET_AT} question_id: '{'q' * 60}…' is 65 characters long\n"
        "  fix: shorten it to at most 64 characters",
    ),
    case(
        "id-empty",
        {SHEET: sheet(("", QUESTION, DATE))},
        [],
        f"{SHEET_AT} question_id: the question id is empty\n"
        "  fix: give the question a short id of letters, digits, _ and - "
        "(the id names the folder results/<question_id>/)",
    ),
    # --- questions ------------------------------------------------------------------------------
    case(
        "question-empty",
        {SHEET: sheet(("q1", "   ", DATE))},
        [],
        f"{SHEET_AT} question: the question is empty\n"
        "  fix: write the research question, in plain text",
    ),
    case(
        "question-100-kb",
        {SHEET: sheet(("q1", "expert routing " * 6827, DATE))},
        [],
        f"{SHEET_AT} question: the question is 102,404 characters long, over the limit of 2,000\n"
        "  fix: shorten it to at most 2,000 characters: a research question is a sentence or a "
        "short paragraph, not a document",
    ),
    case(
        "question-terminal-colour-codes",
        {SHEET: sheet(("q1", "How does \x1b[31mexpert routing\x1b[0m work?", DATE))},
        [],
        f"{SHEET_AT} question: the question holds the control character U+001B (character 10)\n"
        "  fix: delete it: a question is plain text (pasted terminal colours or binary data?)",
    ),
    case(
        # Free text, accepted verbatim: no shell ever sees it (see the test below).
        "question-shell-metacharacters",
        {SHEET: sheet(("q1", SHELL_QUESTION, DATE)), "x/keep": "kept\n"},
        [],
        None,
        run=True,
    ),
    # --- as_of dates ----------------------------------------------------------------------------
    case(
        "as-of-impossible-date",
        {SHEET: sheet(("q1", QUESTION, "2026-02-30"))},
        [],
        f"{SHEET_AT} as_of: '2026-02-30' is not a calendar date (day is out of range for month)\n"
        "  fix: use a date that exists, as YYYY-MM-DD",
    ),
    case(
        "as-of-day-first",
        {SHEET: sheet(("q1", QUESTION, "28/05/2026"))},
        [],
        f"{SHEET_AT} as_of: '28/05/2026' is not a date written YYYY-MM-DD\n"
        "  fix: write it as YYYY-MM-DD",
    ),
]


# --- running the table --------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    workdir: Path
    returncode: int
    stdout: str
    stderr: str
    created: list[str]  # paths new or changed by the run, relative to workdir
    removed: list[str]


def tree(root: Path) -> dict[str, bytes | None]:
    """Every path under root with its bytes (None for a directory)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes() if p.is_file() else None
        for p in sorted(root.rglob("*"))
    }


def execute(case: Case, workdir: Path) -> Outcome:
    for rel, content in {**BASE_FILES, **case.files}.items():
        path = workdir / rel
        if content is None:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content.replace("{tmp}", str(workdir)), encoding="utf-8")
    before = tree(workdir)
    mode = ("-c", "1") if case.run else ("--dry-run",)  # one core: no indexing worker pool
    proc = snakemake(workdir, *mode, *case.args, check=False)
    after = tree(workdir)
    return Outcome(
        workdir,
        proc.returncode,
        proc.stdout,
        proc.stderr,
        created=sorted(k for k, v in after.items() if before.get(k, b"\0missing") != v),
        removed=sorted(set(before) - set(after)),
    )


class Runs:
    """The selected cases, started at once on a few threads (each a `snakemake` process);
    `runs[name]` waits for one, starting it first if it was not selected."""

    def __init__(self, root: Path, names: list[str]):
        self.root = root
        self.pool = ThreadPoolExecutor(max_workers=(os.cpu_count() or 1) + 1)
        self.futures: dict[str, Future[Outcome]] = {}
        # the real runs first: they take longest, and the dry runs fill in around them
        for name in sorted(names, key=lambda n: not TABLE[n].run):
            self.start(name)

    def start(self, name: str) -> Future[Outcome]:
        if name not in self.futures:
            workdir = self.root / name
            workdir.mkdir()
            self.futures[name] = self.pool.submit(execute, TABLE[name], workdir)
        return self.futures[name]

    def __getitem__(self, name: str) -> Outcome:
        return self.start(name).result()


TABLE: dict[str, Case] = {param.values[0]: param.values[1] for param in CASES}


@pytest.fixture(scope="module")
def runs(request, tmp_path_factory):
    selected = [
        item.callspec.params["name"]
        for item in request.session.items
        if item.module is request.module and hasattr(item, "callspec")
    ]
    pool = Runs(tmp_path_factory.mktemp("bad-input"), selected)
    yield pool
    pool.pool.shutdown(wait=True, cancel_futures=True)


def messages(output: str) -> list[str]:
    """Each `sovereign:` line with the `  fix:` line right after it."""
    lines = output.splitlines()
    found = []
    for at, line in enumerate(lines):
        if line.startswith("sovereign: "):
            block = [line]
            block += [n for n in lines[at + 1 : at + 2] if n.startswith("  fix: ")]
            found.append("\n".join(block))
    return found


# Paths a run may leave besides the results: Snakemake's own state always; once jobs run, their
# logs and the lock file beside the results directory (sovereign.run.runlock); the index too when
# the whole run succeeded.
ALWAYS = (".snakemake",)
JOBS_RAN = ("logs", ".results.sovereign-run.lock")


def allowed(path: str, case: Case) -> bool:
    prefixes = ALWAYS
    if case.run:
        prefixes += JOBS_RAN + (("results", "indexes", "cache") if case.message is None else ())
    return path.split("/")[0] in prefixes


@pytest.mark.parametrize(("name", "case"), CASES)
def test_bad_input(runs, name, case):
    outcome = runs[name]
    output = (outcome.stderr + "\n" + outcome.stdout).replace(str(outcome.workdir), "{tmp}")
    assert "Traceback" not in output, output[-3000:]
    if case.message is None:
        assert outcome.returncode == 0, output[-3000:]
        assert messages(output) == []
    else:
        assert outcome.returncode != 0
        assert messages(output) == [case.message], output[-3000:]
    assert outcome.removed == []
    stray = [p for p in outcome.created if not allowed(p, case)]
    assert stray == [], f"written outside the results directory: {stray}"
    if case.run and case.message is not None:  # a failed index build leaves no partial index
        assert not (outcome.workdir / "indexes").exists()


def test_shell_metacharacters_reach_no_shell(runs):
    """Questions are free text: `$(...)`, backticks and `; rm -rf` are kept verbatim in every
    output, and nothing runs them (no PWNED file anywhere, the directory x still there)."""
    outcome = runs["question-shell-metacharacters"]
    assert outcome.returncode == 0, outcome.stderr[-3000:]
    record = json.loads((outcome.workdir / "results/q1/record.json").read_text())
    assert record["question"] == SHELL_QUESTION
    assert SHELL_QUESTION in (outcome.workdir / "results/q1/report.md").read_text()
    assert (outcome.workdir / "x" / "keep").read_text() == "kept\n"
    for place in (outcome.workdir, REPO, Path.cwd(), Path.home()):
        assert not (place / "PWNED").exists(), place
    assert not list(outcome.workdir.rglob("PWNED"))


def test_the_table_is_big_enough():
    refused = [p for p in CASES if p.values[1].message is not None and not p.marks]
    assert len(refused) >= 34
