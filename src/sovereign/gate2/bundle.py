"""Gate 2 bundles: everything needed to rebuild one question's outputs with the network cut.

A bundle (`results/<qid>/gate2/bundle.tar.gz`, written by `sovereign.gate2.archive`,
byte-identical when built twice) holds:

- `manifest.json`: the question, the package versions, the code commit, the sha256 of every other
  member and of every output the re-run must give back, and the bundle's identity;
- `workflow/`: the exact code that ran (Snakefile, rules, scripts, the library and its models,
  schemas, envs, the default profile, the pinned requirements);
- `work/`: a working directory ready to run: the resolved config (remote services offline,
  relative paths only), the question row, the ledger entries the question used (search, NIM
  embeddings, LLM reviews, the writer model), and its corrections as of the build;
- `expected/`: the outputs themselves, so a failed verification can say what differs.

What is re-run depends on the search. A live or replayed arXiv search is re-run too, replayed
from the bundled arXiv responses (every page the replay asks for, empty answers included; see
`search_replay`), and raw.parquet is the first of the outputs. A snapshot search is frozen: the
bundle carries its raw stage (`work/results/<question>/raw.parquet`) and every stage after search
is re-run. So is an arXiv search whose replay fails when the bundle is built (a page no longer in
the ledger, or answers that no longer give back raw.parquet): the build log says why. Bundles
built before the search was re-run are of the second kind and still verify.

No absolute path and no secret goes in: config values are rewritten to relative paths, keys only
ever live in the environment, and ledger entries never hold them.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from ..contracts import STAGE_FILES
from ..embed.nim import NIM_SERVICE, TRUNCATE
from ..fulltext import settings as fulltext_settings
from ..fulltext.sources import Fetched, ledger_requests, local_source, split_version
from ..io import canonical_json
from ..net.chat import LLM_SERVICE, WRITER_SERVICE
from ..net.http import without_userinfo
from ..net.ledger import Ledger, request_key
from ..search.arxiv_api import SERVICE as ARXIV_SERVICE
from .members import code_members
from .search_replay import gives_back, replay_search, replays_search

BUNDLE_CONTRACT = "sovereign-gate2-bundle-v1"
# Every stage after search: what the sandbox re-run must give back byte for byte when the raw
# stage is frozen (a snapshot search).
OUTPUTS = STAGE_FILES[STAGE_FILES.index("filtered.parquet") :]
# An arXiv search, live or replayed: the search is re-run from the bundled ledger entries too.
OUTPUTS_WITH_SEARCH = ("raw.parquet", *OUTPUTS)
# The outputs of bundles built before the full-text and answer stages existed: they carry their
# own code, so they still verify (tests/workflow/test_gate2.py keeps one).
OUTPUTS_BEFORE_FULLTEXT = tuple(name for name in OUTPUTS if name != "sections.parquet")
OUTPUTS_BEFORE_ANSWER = tuple(n for n in OUTPUTS_BEFORE_FULLTEXT if n != "answer.parquet")
LAYOUTS = (OUTPUTS_WITH_SEARCH, OUTPUTS, OUTPUTS_BEFORE_FULLTEXT, OUTPUTS_BEFORE_ANSWER)
# Where a bundle keeps the local sources its full-text stage read (fulltext.source: directory).
SOURCES_DIR = "sources"


def identity_outputs(outputs: dict[str, str]) -> dict[str, str]:
    """The stage files whose hashes name what was reproduced: the Parquet ones. Report, record
    and page also show the corrections, which Gate 2's own verdict changes, so they stay out."""
    return {name: digest for name, digest in outputs.items() if name.endswith(".parquet")}


README = """Gate 2 reproduction bundle (sovereign)

Verify it from any directory, with the network cut:

    python -m sovereign.reproduce bundle.tar.gz

{how}
"""
README_HOW = (
    "It unpacks workflow/ and work/ into a fresh temporary directory, re-runs {stages}, and "
    "compares each output's sha256 with manifest.json. The verdict is VERIFIED, FAILED (with "
    "each differing file) or UNVERIFIED (with the reason, e.g. a ledger entry the re-run would "
    "need the network for)."
)
README_STAGES = {
    True: "every stage, search included (replayed from the arXiv responses in "
    "work/ledger/arxiv-api/)",
    False: "every stage after search (search is frozen: work/results/<question>/raw.parquet)",
}


def readme(search_replayed: bool) -> str:
    """The bundle's README.txt: how to verify it, and what the re-run covers."""
    how = README_HOW.format(stages=README_STAGES[search_replayed])
    # 98 columns: a frozen-search bundle's README is the one it always was
    return README.format(how=textwrap.fill(how, width=98))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def code_commit(workflow_dir: Path) -> str | None:
    """The git commit of the workflow checkout, if it is one (and clean files are not promised:
    the code members are the truth; the commit is a pointer for people)."""
    try:
        out = subprocess.run(
            ["git", "-C", str(workflow_dir), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    return commit if out.returncode == 0 and len(commit) == 40 else None


def bundle_config(config: dict[str, Any], replayed: bool | None = None) -> dict[str, Any]:
    """The resolved config as the sandbox runs it: relative paths, every remote service offline
    (answers come from the bundled ledger), an arXiv search replayed from it, a snapshot search
    frozen (its raw stage is in the bundle)."""
    if replayed is None:  # `replayed` False: an arXiv search whose replay failed, frozen instead
        replayed = replays_search(config)
    out = json.loads(json.dumps(config))  # a deep copy of plain data
    out.update(
        questions="config/questions.tsv",
        results="results",
        ledger="ledger",
        corrections="corrections",
        cache="cache",
    )
    out["search"]["snapshot"] = None  # never carried: a snapshot search is frozen
    if replayed:
        out["search"]["backend"] = "replay"  # the ledger only, never arXiv
    for section, key in (("search", "arxiv_url"), ("embed", "nim_url")):
        if out[section].get(key):
            out[section][key] = without_userinfo(out[section][key])
    for llm in (out["review"]["llm"], out["answer"]["writer"]):
        if llm.get("url"):
            llm["url"] = without_userinfo(llm["url"])
        llm["offline"] = True  # the answers are in the bundle's ledger
    out["embed"]["offline"] = True
    # Full text is re-read from what the bundle carries: its sources, or its ledger's e-prints.
    fulltext_mode = fulltext_settings.mode(config)
    out["fulltext"]["source"] = fulltext_mode
    out["fulltext"]["sources"] = SOURCES_DIR if fulltext_mode == "directory" else None
    out["fulltext"]["offline"] = True
    for key in ("eprint_url", "pdf_url"):
        out["fulltext"][key] = without_userinfo(out["fulltext"][key])
    # Only what the re-run needs: the verifier's limits are its own (a bundle never sets them).
    out["gate2"] = {"frozen_search": not replayed}
    return out


def _clean_entry(data: bytes) -> bytes:
    """A ledger file as bundled: the same entry, its `url` without credentials (the url is
    not part of the entry's address, so replay is unaffected)."""
    record = json.loads(data)
    url = record.get("url") or ""
    if without_userinfo(url) == url:
        return data
    record["url"] = without_userinfo(url)
    return (json.dumps(record, sort_keys=True, indent=1) + "\n").encode("utf-8")


def sheet_row(question: dict[str, str]) -> bytes:
    """The question sheet with this one row, quoted where the sheet format needs it."""

    def field(value: str) -> str:
        if "\t" in value or "\n" in value or value.startswith('"'):
            return '"' + value.replace('"', '""') + '"'
        return value

    row = [question["question_id"], question["question"], question["as_of"]]
    return ("question_id\tquestion\tas_of\n" + "\t".join(field(v) for v in row) + "\n").encode()


def ledger_entries(
    ledger: Ledger,
    raw: list[dict[str, Any]],
    embeddings: list[dict[str, Any]],
    texts: dict[str, str],
    reviews: list[dict[str, Any]],
    answers: list[dict[str, Any]] = (),
    papers: list[dict[str, Any]] = (),
    search_keys: tuple[str, ...] = (),
) -> tuple[dict[str, bytes], list[str]]:
    """The ledger files the question used, as `work/ledger/...` members, and the ones the
    ledger no longer holds (`<service>/<k2>/<key>.json`). `papers` are the papers (kept ones and
    near misses) whose e-prints and PDFs the full-text stage asked for, if it read arXiv: every
    answer recorded for them goes in, "no such file" included, so the replay decides as the run
    did. `search_keys`: the arXiv pages a re-run of the search asks for (beyond those the raw
    rows name)."""
    keys: set[tuple[str, str]] = set()
    optional: set[tuple[str, str]] = set()
    for paper in papers:
        version = split_version(paper.get("arxiv_id_versioned"), paper["arxiv_id"])
        for service, request in ledger_requests(paper["arxiv_id"], version):
            optional.add((service, request_key(service, request)))
    keys |= {(ARXIV_SERVICE, h["ledger_key"]) for h in raw if h["ledger_key"]}
    keys |= {(ARXIV_SERVICE, key) for key in search_keys}
    for row in embeddings:
        if row["backend"] == "nim":
            request = {
                "model": row["model"],
                "input_type": row["role"],
                "truncate": TRUNCATE,
                "text": texts[row["item_id"]],
            }
            keys.add((NIM_SERVICE, request_key(NIM_SERVICE, request)))
    keys |= {(LLM_SERVICE, r["ledger_key"]) for r in reviews if r["ledger_key"]}
    keys |= {(WRITER_SERVICE, r["ledger_key"]) for r in answers if r["ledger_key"]}
    members, missing = {}, []
    for service, key in sorted(keys | optional):
        path = ledger.path(service, key)
        if (service, key) in optional and (service, key) not in keys and not path.exists():
            continue  # never asked (the PDF of a paper whose e-print was read)
        if path.exists():
            members[f"work/ledger/{service}/{key[:2]}/{key}.json"] = _clean_entry(path.read_bytes())
        else:  # the bundle is still built; its verdict will be UNVERIFIED, naming the request
            missing.append(f"{service}/{key[:2]}/{key}.json")
    return members, missing


def source_members(root: Path, papers: list[dict[str, Any]]) -> dict[str, bytes]:
    """The local source files the full-text stage reads for `papers` (each paper's e-print and
    PDF, as it would pick them), as `work/sources/...` members."""
    members = {}
    for paper in papers:
        version = split_version(paper.get("arxiv_id_versioned"), paper["arxiv_id"])
        for pdf in (False, True):
            found = local_source(root, paper["arxiv_id"], version, pdf)
            if isinstance(found, Fetched):
                members[f"work/{SOURCES_DIR}/{found.ref}"] = found.data
    return members


def identity(members: dict[str, str], outputs: dict[str, str]) -> str:
    """What a verdict is about: the code, the inputs and the stage files (not the record, which
    the verdict itself changes)."""
    skip = ("expected/", "work/corrections/")
    what = {
        "members": {k: v for k, v in members.items() if not k.startswith(skip)},
        "outputs": identity_outputs(outputs),
    }
    return sha256(canonical_json(what).encode("utf-8"))


def build_members(
    *,
    question: dict[str, str],
    config: dict[str, Any],
    workflow_dir: Path,
    results_dir: Path,
    ledger_dir: Path,
    corrections: Path | None,
    embedded_texts: dict[str, str],
    raw: list[dict[str, Any]],
    embeddings: list[dict[str, Any]],
    reviews: list[dict[str, Any]],
    versions: dict[str, str],
    answers: list[dict[str, Any]] = (),
    papers: list[dict[str, Any]] = (),
    log: Callable[[str], None] = lambda _m: None,
) -> dict[str, bytes]:
    """Every member of a question's bundle, manifest included (pure but for reading files and
    replaying an arXiv search from the ledger). `papers`: the papers the full-text stage read,
    kept ones and near misses (their sources or e-prints go in). `log` hears whether the search
    is re-run, or why not (its replay misses a page, or differs)."""
    qid = question["question_id"]
    replayed = replays_search(config)
    search_keys: tuple[str, ...] = ()
    if replayed:
        # Re-run the search where the ledger allows it; where it does not (a page missing, or
        # answers that no longer give back raw.parquet), freeze the raw stage as for a snapshot.
        replay = replay_search(question, config, ledger_dir)
        if replay.rows is None:
            log(f"the search replay misses {replay.miss}: the raw stage is frozen instead")
            replayed = False
        elif not gives_back(replay.rows, results_dir / "raw.parquet"):
            log("the search replayed from the ledger does not give back raw.parquet: frozen")
            replayed = False
        else:
            search_keys = replay.keys
            log(f"search replayed from {len(search_keys)} ledger pages: raw.parquet given back")
    members = code_members(workflow_dir)
    members["README.txt"] = readme(replayed).encode()
    members["work/config/config.yaml"] = yaml.safe_dump(
        bundle_config(config, replayed), sort_keys=True, allow_unicode=True
    ).encode("utf-8")
    members["work/config/questions.tsv"] = sheet_row(question)
    if not replayed:
        members[f"work/results/{qid}/raw.parquet"] = (results_dir / "raw.parquet").read_bytes()
    fulltext_mode = fulltext_settings.mode(config)
    entries, missing = ledger_entries(
        Ledger(ledger_dir),
        raw,
        embeddings,
        embedded_texts,
        reviews,
        answers,
        papers if fulltext_mode == "arxiv" else (),
        search_keys,
    )
    members.update(entries)
    if fulltext_mode == "directory":
        members.update(source_members(Path(config["fulltext"]["sources"]), papers))
    if corrections is not None:
        members[f"work/corrections/{qid}.jsonl"] = corrections.read_bytes()
    outputs = {}
    for name in OUTPUTS_WITH_SEARCH if replayed else OUTPUTS:
        data = (results_dir / name).read_bytes()
        members[f"expected/{name}"] = data
        outputs[name] = sha256(data)
    hashes = {name: sha256(data) for name, data in sorted(members.items())}
    manifest = {
        "contract": BUNDLE_CONTRACT,
        "question": question,
        "outputs": outputs,
        "members": hashes,
        "identity": identity(hashes, outputs),
        "versions": versions,
        "code_commit": code_commit(workflow_dir),
        "missing_ledger": missing,
    }
    members["manifest.json"] = (json.dumps(manifest, sort_keys=True, indent=1) + "\n").encode()
    return members
