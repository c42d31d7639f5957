# Config and question-sheet validation (before any job runs), the question list, and the
# input/param helpers every stage uses. No rules here.
# (The Snakefile has put this workflow's src/ on sys.path.)
import sys
from pathlib import Path

from sovereign.run.codedeps import code_digest, script_code
from sovereign.contracts import QUESTION_ID_PATTERN
from sovereign.config.files import load_yaml
from sovereign.config.questions import read_questions
from sovereign.config.checks import validate_config
from sovereign.report.corrections import correction_files
from sovereign.errors import SovereignError
from sovereign.filter.model import semantic_threshold
from sovereign.run.leftovers import gaps, remove_orphans
from sovereign.run.runlock import clear_stale_locks, hold_run, run_in_progress
from sovereign.search.snapshot_files import INDEX_FILES, index_dir, snapshot_files


def say(message):
    """One line (or a message and its fix) for the person running the workflow."""
    print(f"sovereign: {message}", file=sys.stderr)


def config_sources():
    """Where config values came from, highest precedence first (for error messages)."""
    cli_files = [str(p) for p in workflow.overwrite_configfiles]
    own_files = [str(p) for p in workflow.configfiles if str(p) not in cli_files]
    sources = [("--config", dict(workflow.config_settings.config or {}))]
    for path in reversed(own_files + cli_files):
        try:
            sources.append((str(path), load_yaml(path) or {}))
        except SovereignError:
            sources.append((str(path), {}))
    return sources


try:
    validate_config(
        config,
        load_yaml(Path(workflow.basedir) / "config/schemas/config.schema.yaml"),
        config_sources(),
    )
    QUESTIONS = {
        q.question_id: q
        for q in read_questions(
            config["questions"],
            load_yaml(Path(workflow.basedir) / "config/schemas/questions.schema.yaml"),
        )
    }
    # Checked before any job runs: an edited history stops the run with the line named, and no
    # record is rebuilt (or deleted) from it.
    CORRECTIONS, _warnings = correction_files(
        config["corrections"],
        QUESTIONS,
        config["results"],
        # published records are read once, by the process that plans the run
        check_records=workflow.is_main_process,
    )
    for _warning in _warnings:
        say(f"warning: {_warning}")
    FROZEN_SEARCH = config["gate2"]["frozen_search"]
    SNAPSHOT_SEARCH = config["search"]["backend"] == "snapshot" and not FROZEN_SEARCH
    SNAPSHOT_FILES = (
        [str(p) for p in snapshot_files(config["search"]["snapshot"])]
        if SNAPSHOT_SEARCH
        else []
    )
    # The snapshot's search index: built once (rule snapshot_index), read by every search.
    SNAPSHOT_INDEX = (
        index_dir(config["search"]["index"], config["search"]["snapshot"])
        if SNAPSHOT_SEARCH
        else None
    )
    SNAPSHOT_INDEX_FILES = (
        [f"{SNAPSHOT_INDEX}/{name}" for name in INDEX_FILES] if SNAPSHOT_SEARCH else []
    )
except SovereignError as err:
    say(err.message)
    sys.exit(1)

RESULTS = config["results"]

# A run killed with SIGKILL leaves Snakemake's lock files behind; when no run is alive here they
# are removed before Snakemake looks at them, so the rerun just starts (sovereign.run.runlock).
if workflow.is_main_process:
    for _stale in clear_stale_locks():
        say(f"removed {_stale}, left by a run that was killed")
    # A run killed while rebuilding a stage leaves its file missing under later ones, which
    # Snakemake would never rebuild (a failed run clears those itself, below). While a run is
    # in progress, a gap is only a stage it is rebuilding.
    for _gap in [] if run_in_progress() else gaps(RESULTS, sorted(QUESTIONS)):
        say(
            f"warning: {_gap} is missing but files made from it exist (a run was stopped "
            f"while rebuilding it)\n  fix: snakemake --forcerun {_gap}"
        )


# After planning, before the first job (never in a dry run): hold this run's locks, refusing a
# second run on the same working or results directory, and clear a killed run's temporary files.
onstart:
    if workflow.is_main_process:
        try:
            for _leftover in hold_run(RESULTS):
                say(f"removed {_leftover}, left by a run that was killed")
        except SovereignError as err:
            say(err.message)
            sys.exit(1)


# A job that fails has its outputs removed by Snakemake; what was made from them before is
# removed too, so the next run rebuilds the whole chain instead of keeping stale files.
onerror:
    if workflow.is_main_process:
        for _orphan in remove_orphans(RESULTS, sorted(QUESTIONS)):
            say(
                f"removed {_orphan}: it was made from a file this run could not rebuild"
            )


NETWORK_SEARCH = config["search"]["backend"] == "arxiv"
REMOTE_EMBED = config["embed"]["backend"] == "nim" and not config["embed"]["offline"]
# The verifier and relevance models the claims stage applies: a retrained model reruns it.
# The claims stage's models (the filter's fitted threshold reaches its rule as a param instead).
MODEL_FILES = sorted(
    str(p)
    for p in (Path(workflow.basedir) / "src/sovereign/models").glob("*.json")
    if p.name != "filter.json"
)
# The filter's semantic threshold as configured, or the fitted one: a param, so a refit that
# moves it reruns the filter (and an input file fewer per job keeps planning cheap).
SEMANTIC_THRESHOLD = semantic_threshold(config["filter"]["semantic_threshold"])


wildcard_constraints:
    qid=QUESTION_ID_PATTERN,


def final_outputs():
    return [
        *expand(f"{RESULTS}/{{qid}}/record.json", qid=sorted(QUESTIONS)),
        f"{RESULTS}/index.html",
    ]


def get_question(wildcards):
    q = QUESTIONS[wildcards.qid]
    return {"question_id": q.question_id, "question": q.question, "as_of": q.as_of}


def get_question_text(wildcards):
    return QUESTIONS[wildcards.qid].question


def get_search_params():
    """The search settings that change what is found (a change reruns search)."""
    s = config["search"]
    return {
        # replay reads the very answers a live run recorded: switching between them is no change
        "source": "snapshot" if s["backend"] == "snapshot" else "arxiv",
        "max_results": s["max_results"],
        "snapshot": s["snapshot"] if s["backend"] == "snapshot" else None,
    }


def get_embed_params():
    """The embed settings that change the vectors (a change reruns embed); not URLs or retries."""
    e = config["embed"]
    if e["backend"] != "nim":
        return {"backend": e["backend"]}
    return {"backend": "nim", "model": e["model"], "dimension": e["dimension"]}


def code(script):
    """A digest of the library files a stage's script runs, as a param: an edit to any of them
    reruns the stage. (A param, not ~20 input files a job: planning 1,000 questions would spend
    most of its time resolving them.)"""
    base = Path(workflow.basedir)
    return code_digest(
        script_code(base / "scripts" / f"{script}.py", base / "src/sovereign"),
        base / "src",
    )


RECORD_SCHEMA = str(Path(workflow.basedir) / "config/schemas/record.schema.json")

REMOTE_REVIEW = (
    bool(config["review"]["llm"]["url"]) and not config["review"]["llm"]["offline"]
)
# Settings that only say how to reach a service: a change is no reason to review again.
_TRANSPORT = (
    "url",
    "api_key_env",
    "offline",
    "retries",
    "backoff",
    "max_wait",
    "timeout",
)


def get_review_params():
    """The settings that change a review (a change reruns review); sorted, JSON-like."""
    review = {k: v for k, v in config["review"].items() if k != "llm"}
    llm = config["review"]["llm"]
    if llm["url"]:
        review["llm"] = {k: v for k, v in llm.items() if k not in _TRANSPORT}
    return {
        "review": review,
        "filter": {
            "threshold": config["filter"]["threshold"],
            "semantic_threshold": SEMANTIC_THRESHOLD,
        },
    }


def get_corrections(wildcards):
    """The question's correction file, if any: appending a correction rebuilds its record."""
    return [CORRECTIONS[wildcards.qid]] if wildcards.qid in CORRECTIONS else []


def get_record_params():
    """What the record states besides the stage files: publisher and thresholds."""
    return {
        "publisher": config["record"]["publisher"],
        "external_record": config["record"]["external_record"],
        "quarantine_below": config["record"]["quarantine_below"],
        "publish_at": config["review"]["publish_at"],
        "filter_threshold": config["filter"]["threshold"],
        "semantic_threshold": SEMANTIC_THRESHOLD,
    }


def get_method_params():
    """The methods the report describes (search settings and the tribunal's rule)."""
    return {
        "search": {
            # as in get_search_params: replaying recorded arXiv answers is the arXiv search
            "backend": (
                "snapshot" if config["search"]["backend"] == "snapshot" else "arxiv"
            ),
            "max_results": config["search"]["max_results"],
        },
        "review": {
            "weights": dict(sorted(config["review"]["weights"].items())),
            "revise_below": config["review"]["revise_below"],
        },
    }


def get_corrections_path(wildcards):
    """Where Gate 2 appends a question's verdict (the file may not exist yet)."""
    return str(Path(config["corrections"]) / f"{wildcards.qid}.jsonl")
