# Config and question-sheet validation (before any job runs), the question list, and the
# input/param helpers every stage uses. No rules here.
# (The Snakefile has put this workflow's src/ on sys.path.)
import sys
from pathlib import Path

from sovereign.run.codedeps import code_digest, script_code
from sovereign.contracts import QUESTION_ID_PATTERN
from sovereign.config.files import load_yaml
from sovereign.config.questions import read_questions
from sovereign.config.checks import SCHEMAS, load_schema, validate_config
from sovereign.gate2.members import code_digest as bundle_code_digest
from sovereign.report.corrections import correction_files
from sovereign.errors import SovereignError
from sovereign.answer import settings as answer_settings
from sovereign.claims import settings as claims_settings
from sovereign.embed import settings as embed_settings
from sovereign.filter import settings as filter_settings
from sovereign.fulltext import settings as fulltext_settings
from sovereign.report import settings as report_settings
from sovereign.review import settings as review_settings
from sovereign.search import settings as search_settings
from sovereign.run.leftovers import gaps, remove_orphans
from sovereign.run.planning import check_scripts_once_per_rule, per_job
from sovereign.run.slurm_status import treat_cancelled_jobs_as_failed
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
        load_schema("config"),
        config_sources(),
    )
    QUESTIONS = {
        q.question_id: q
        for q in read_questions(
            config["questions"],
            load_schema("questions"),
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
    # (in this block: a broken fitted-model file stops the run with its message, not a traceback)
    # The filter's near misses the full-text stage reads too (0 when full text is off).
    SECOND_LOOK = fulltext_settings.second_look(config)
    # Each stage's rerun params, from the stage package's own settings module (one place for what
    # a stage is told and what reruns it); computed once here, not per job.
    SETTINGS = {
        "search": search_settings.rerun_params(config),
        "filter": filter_settings.rerun_params(config),
        "embed": embed_settings.rerun_params(config),
        "fulltext": fulltext_settings.rerun_params(config),
        "claims": claims_settings.rerun_params(config),
        "answer": answer_settings.rerun_params(config),
        "review": review_settings.rerun_params(config),
        "report": report_settings.rerun_params(config),
    }
except SovereignError as err:
    say(err.message)
    sys.exit(1)

RESULTS = config["results"]
# Snakemake checks each job's script; once per rule is enough (sovereign.run.planning).
check_scripts_once_per_rule()
# On SLURM, a cancelled job fails (and is retried) instead of hanging the run.
if workflow.is_main_process:
    treat_cancelled_jobs_as_failed()

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
NETWORK_FULLTEXT = fulltext_settings.mode(
    config
) == "arxiv" and not fulltext_settings.offline(config)
REMOTE_EMBED = config["embed"]["backend"] == "nim" and not config["embed"]["offline"]
# The verifier and relevance models that claims apply and review and report quote: their digest
# is a param of those rules, so a retrained model reruns them. (A param, not two input files a
# job: 6,000 files fewer to plan for 1,000 questions. The filter's fitted threshold reaches its
# rule through its settings.)
MODELS = code_digest(
    sorted(
        str(p)
        for p in (Path(workflow.basedir) / "src/sovereign/models").glob("*.json")
        if p.name != "filter.json"
    )
)


wildcard_constraints:
    qid=QUESTION_ID_PATTERN,


def final_outputs():
    return [
        *expand(f"{RESULTS}/{{qid}}/record.json", qid=sorted(QUESTIONS)),
        f"{RESULTS}/index.html",
    ]


@per_job
def get_question(wildcards):
    q = QUESTIONS[wildcards.qid]
    return {"question_id": q.question_id, "question": q.question, "as_of": q.as_of}


@per_job
def get_question_text(wildcards):
    return QUESTIONS[wildcards.qid].question


def code(script):
    """A digest of the library files a stage's script runs, as a param: an edit to any of them
    reruns the stage. (A param, not ~20 input files a job: planning 1,000 questions would spend
    most of its time resolving them.)"""
    base = Path(workflow.basedir)
    return code_digest(
        script_code(base / "scripts" / f"{script}.py", base / "src/sovereign"),
        base / "src",
    )


RECORD_SCHEMA = str(SCHEMAS / "record.schema.json")

REMOTE_REVIEW = (
    bool(config["review"]["llm"]["url"]) and not config["review"]["llm"]["offline"]
)
REMOTE_WRITER = (
    bool(config["answer"]["writer"]["url"])
    and not config["answer"]["writer"]["offline"]
)


@per_job
def get_corrections(wildcards):
    """The question's correction file, if any: appending a correction rebuilds its record."""
    return [CORRECTIONS[wildcards.qid]] if wildcards.qid in CORRECTIONS else []


@per_job
def get_bundle_code(wildcards):
    """A digest of every file a bundle carries (not only what its script imports): an
    edit to a rule, a model or any module rebuilds the bundles. A function, so only Gate 2
    runs read them."""
    return bundle_code_digest(Path(workflow.basedir))


@per_job
def get_corrections_path(wildcards):
    """Where Gate 2 appends a question's verdict (the file may not exist yet)."""
    return str(Path(config["corrections"]) / f"{wildcards.qid}.jsonl")
