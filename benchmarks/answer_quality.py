"""Answer quality on real CS questions: ScholarQA-CS rubrics against the whole pipeline.

ScholarQA-CS (`../shared/data/scholarqa_cs/test_configs_snippets.jsonl`: 71 rubric entries, 68
distinct questions) gives, per question, expert rubric items (criterion, weight) each backed by
quotes from the papers an ideal answer would cite. The quotes carry no paper ids, so `build` turns
every distinct quote into a small paper of its own (arXiv-style id `0001.NNNNN`, a range no real
arXiv id can take: 5-digit numbers began in 2015) and hides them among the real cs_daily listings
(~6,700 distractors). The pipeline then answers each question from that snapshot, and `evaluate`
measures, per question and as means over the questions of a half:

- evidence recall among the raw search hits and among the kept papers, kept precision (questions
  that keep nothing are skipped and counted) and the number of kept papers;
- rubric coverage of the report: per rubric entry, the weight of the items with at least one
  evidence paper among the papers report.md cites (its References), over the weight of the items
  that have any evidence (an item without evidence can be covered by no system, so it counts in
  neither sum); averaged over the question's entries (two annotators for a few), then questions;
- the same coverage of the answer section alone (the papers its quotes, its themes' other
  citations and its comparison table cite, not the reference list), against BM25 top 5, and the
  rank correlation (Spearman) of the tribunal's score with it: does the score rank answers as the
  expert rubric does;
- the same coverage with only the papers that have a verified claim counted as cited;
- the tribunal's final score, verdict and policy, and the share of questions scoring >= 6.5 and
  < 5;
- a baseline: BM25 (`bm25s`, its own tokenizer, English stop words) over the same snapshot,
  title + ". " + abstract per paper, the question as the query, top 5: its coverage, computed
  the same way, and its evidence recall in the top 5; and, for questions with results, its
  coverage when given as many papers as the pipeline kept (the report cites every kept paper,
  so that is the like-for-like figure; a question that kept nothing gets 0).

Questions are split in two halves by a salted sha256 of the question text: `fit` (to tune the
filter on, see `filter_examples`) and `report` (to report figures on, untouched by tuning).

    .venv/bin/python benchmarks/answer_quality.py build --out answer-bench [--data ../shared/data]
    .venv/bin/python benchmarks/answer_quality.py run --out answer-bench --half all [--limit N] \\
        [--cores 2] [--workdir DIR]
    .venv/bin/python benchmarks/answer_quality.py evaluate --out answer-bench --half report \\
        --json benchmarks/answer_quality.json

`build` writes DIR/snapshot/ (evidence.jsonl + the cs_daily files), DIR/questions.tsv,
DIR/split.json, DIR/gold.json and DIR/config.yaml (an overlay for `snakemake --configfile`), the
same bytes on every run. `run` runs the real pipeline (from the repository root, niced) on a
half's sub-sheet, logging to DIR/run_<half>.log. `evaluate` reads DIR/results/<question_id>/ and
prints a table and a summary; questions not run yet are listed as missing, the baseline still
covers every question of the half.

The full-text variant (`build --fulltext`, into its own directory) moves each quote out of the
abstract into the body of a synthetic LaTeX source: the evidence paper keeps its id and title,
its abstract becomes a neutral one made from the title ("This paper studies <title>. We describe
our setting, experiments and findings in the body of the paper.", never holding the quote), and
DIR/sources/<id>.tar.gz, an arXiv-style e-print (main.tex with \\documentclass, the same abstract,
Introduction, Method, Results, Conclusion and a bibliography; refs.bib), holds the quote as a
paragraph of "3 Results", the other sections neutral filler (answer_quality_fulltext.py). The
overlay adds `fulltext: {source: directory, sources: DIR/sources}`, so the full-text stage reads
those e-prints and the claims stage can take the quote as a body claim, which the answer cites
as `[id §3, a–b](…)`. `run` and `evaluate` work on that directory unchanged:

    .venv/bin/python benchmarks/answer_quality.py build --fulltext --out answer-bench-ft
    .venv/bin/python benchmarks/answer_quality.py run --out answer-bench-ft --half report
    .venv/bin/python benchmarks/answer_quality.py evaluate --out answer-bench-ft --half report

It measures what reading bodies buys: search and the filter see only the title (the quote's
first ten words) and the neutral abstract, so evidence must be found from them and quoted from
the body; the target is rubric coverage at least the abstract variant's on the same questions.
Coverage counts cited papers, and the report cites every kept paper, so it moves with retrieval
(which reads metadata only), not with the full-text stage; `evaluate` therefore also gives the
claims taken from body sections, the papers the answer quotes from a body, and the share of the
answer's body passages from evidence papers that stand in §3, where the quote is, rather than in
the filler (`body_claims`, `answer_body_cited`, `answer_results_share`): whether the answer
quotes the evidence it cites. The BM25 baseline reads titles and abstracts only, as before, so
here it sees the neutral abstracts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from statistics import mean
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
if str(REPO / "benchmarks") not in sys.path:  # the full-text variant's module, beside this one
    sys.path.insert(0, str(REPO / "benchmarks"))

import answer_quality_fulltext as ft  # noqa: E402

from sovereign.config import questions  # noqa: E402
from sovereign.config.checks import default_config  # noqa: E402
from sovereign.encoders.minilm import MODEL_ID as MINILM_ID  # noqa: E402
from sovereign.search.records import paper_date  # noqa: E402
from sovereign.search.snapshot import load_snapshot  # noqa: E402
from sovereign.search.snapshot_files import snapshot_files  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data"
RUBRICS = Path("scholarqa_cs") / "test_configs_snippets.jsonl"
DISTRACTORS = Path("arxiv_cs_daily")
AS_OF = "2026-12-01"
SPLIT_SALT = "sovereign-answer-split-v1:"
EVIDENCE_FILE = "evidence.jsonl"
EVIDENCE_DATE = "2020-01-01"
# Year 2000, month 01 with a 5-digit number: arXiv used 4 digits until 2014, so never real.
EVIDENCE_PREFIX = "0001."
HALVES = ("fit", "report")
PUBLISH_AT = default_config()["review"]["publish_at"]  # the schema's, as the pipeline ran
REJECT_BELOW = default_config()["review"]["reject_below"]
TOP_K = 5


def norm(text: str) -> str:
    """Whitespace collapsed, as the question sheet reader and the record parser do."""
    return " ".join(str(text).split())


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def question_id(question: str) -> str:
    return "sqa_" + sha256(norm(question))[:10]


def half_of(question: str) -> str:
    return "fit" if int(sha256(SPLIT_SALT + norm(question)), 16) % 2 == 0 else "report"


def title_of(quote: str) -> str:
    """First 10 words without trailing punctuation (a title the snapshot reader keeps as is)."""
    words = " ".join(quote.split()[:10])
    while words and unicodedata.category(words[-1]).startswith("P"):
        words = words[:-1].rstrip()
    return words or quote[:80]


def load_entries(data: Path) -> list[dict[str, Any]]:
    path = Path(data) / RUBRICS
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def rubric_items(entry: dict[str, Any]) -> list[dict[str, Any]]:
    return entry["metric_config"]["config"]["other_properties"]


def evidence_ids(entries: list[dict[str, Any]]) -> dict[str, str]:
    """Distinct normalised quote -> its paper id, numbered in sha256 order (stable under edits
    elsewhere in the file, and independent of the file's order)."""
    quotes = {
        norm(q) for e in entries for item in rubric_items(e) for q in item["evidence"] if norm(q)
    }
    ordered = sorted(quotes, key=lambda q: (sha256(q), q))
    if len(ordered) > 99_999:
        raise ValueError(f"{len(ordered)} quotes do not fit 5-digit ids")
    return {q: f"{EVIDENCE_PREFIX}{i:05d}" for i, q in enumerate(ordered, start=1)}


def evidence_record(paper_id: str, quote: str, fulltext: bool = False) -> dict[str, Any]:
    """The quote's paper: its abstract is the quote, or (full-text variant) a neutral abstract
    made from its title, the quote left to the paper's body."""
    title = title_of(quote)
    return {
        "id": paper_id,
        "title": title,
        "summary": ft.neutral_abstract(title, quote) if fulltext else quote,
        "authors": ["ScholarQA-CS evidence"],
        "categories": ["cs.CL"],
        "published": f"{EVIDENCE_DATE}T00:00:00Z",
    }


def gold_from(entries: list[dict[str, Any]], ids: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Per question id: the question, its half, its rubric entries with the evidence ids of each
    item, and the union of those ids."""
    gold: dict[str, dict[str, Any]] = {}
    for entry in entries:
        question = norm(entry["initial_prompt"])
        qid = question_id(question)
        slot = gold.setdefault(
            qid, {"question": question, "half": half_of(question), "rubrics": []}
        )
        items = []
        for item in rubric_items(entry):
            found = sorted({ids[norm(q)] for q in item["evidence"] if norm(q)})
            items.append(
                {
                    "name": item["name"],
                    "criterion": item["criterion"],
                    "weight": float(item["weight"]),
                    "evidence_ids": found,
                }
            )
        slot["rubrics"].append(
            {"annotator": entry.get("annotator"), "case_id": entry.get("case_id"), "items": items}
        )
    for slot in gold.values():
        slot["rubrics"].sort(key=lambda r: (str(r["case_id"]), str(r["annotator"])))
        slot["evidence_ids"] = sorted(
            {i for r in slot["rubrics"] for item in r["items"] for i in item["evidence_ids"]}
        )
    return dict(sorted(gold.items()))


def sheet_text(rows: list[tuple[str, str]]) -> str:
    return questions.sheet_text([(qid, question, AS_OF) for qid, question in rows])


def _dump_json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, indent=1) + "\n"


def _write(path: Path, data: bytes) -> None:
    """Write only when the bytes differ: a rebuild leaves the pipeline's inputs untouched."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_file() and path.read_bytes() == data:
        return
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def overlay(out: Path, questions: Path, fulltext: bool = False) -> dict[str, Any]:
    """The config overlay; the full-text variant also points the full-text stage at
    DIR/sources."""
    config: dict[str, Any] = {
        "questions": str(questions),
        "results": str(out / "results"),
        "ledger": str(out / "ledger"),
        "corrections": str(out / "corrections"),
        "search": {
            "backend": "snapshot",
            "snapshot": str(out / "snapshot"),
            "index": str(out / "indexes"),
        },
    }
    if fulltext:
        config["fulltext"] = ft.overlay_section(out)
    return config


def build(out: Path, data: Path = DEFAULT_DATA, fulltext: bool = False) -> dict[str, Any]:
    """Write the benchmark's inputs under `out` (with `fulltext`, the full-text variant's);
    returns the counts it printed."""
    out = Path(out).resolve()
    data = Path(data).resolve()
    entries = load_entries(data)
    ids = evidence_ids(entries)
    gold = gold_from(entries, ids)
    snapshot = out / "snapshot"

    records = {
        pid: evidence_record(pid, quote, fulltext)
        for quote, pid in sorted(ids.items(), key=lambda kv: kv[1])
    }
    lines = [json.dumps(r, ensure_ascii=False) for r in records.values()]
    wanted = {snapshot / EVIDENCE_FILE: ("\n".join(lines) + "\n").encode("utf-8")}
    source = data / DISTRACTORS
    for file in snapshot_files(source):
        wanted[snapshot / file.relative_to(source)] = file.read_bytes()
    quotes = {pid: quote for quote, pid in ids.items()}
    if fulltext:
        wanted.update(
            ft.source_files(
                out, {p: (r["title"], r["summary"], quotes[p]) for p, r in records.items()}
            )
        )
        wanted.update(ft.distractor_files(out, load_snapshot(source)[0]))
    for folder in (snapshot, out / ft.SOURCES):
        if folder.is_dir():  # files left by another build would join the corpus or the sources
            for stale in sorted(p for p in folder.rglob("*") if p.is_file() and p not in wanted):
                stale.unlink()
    for path, blob in wanted.items():
        _write(path, blob)

    rows = [(qid, g["question"]) for qid, g in gold.items()]
    _write(out / "questions.tsv", sheet_text(rows).encode("utf-8"))
    split = {qid: g["half"] for qid, g in gold.items()}
    _write(out / "split.json", _dump_json(split).encode("utf-8"))
    _write(out / "gold.json", _dump_json(gold).encode("utf-8"))
    config = overlay(out, out / "questions.tsv", fulltext)
    _write(out / "config.yaml", yaml.safe_dump(config, sort_keys=True).encode("utf-8"))

    # Every evidence paper must come back from the pipeline's own reader, dated as written (and,
    # in the full-text variant, its abstract without the quote, its e-print with it).
    papers, _ = load_snapshot(snapshot)
    by_id = {p["arxiv_id"]: p for p in papers}
    for quote, pid in ids.items():
        paper = by_id.get(pid)
        abstract = records[pid]["summary"]
        if paper is None or paper["abstract"] != abstract or paper_date(paper) != EVIDENCE_DATE:
            raise SystemExit(f"evidence paper {pid} does not load back from {snapshot}")
        if fulltext:
            blob = wanted[out / ft.SOURCES / f"{pid}{ft.SUFFIX}"]
            if problem := ft.check_source(blob, paper["abstract"], quote):
                raise SystemExit(f"evidence paper {pid}: {problem}")

    raw_quotes = [q for e in entries for item in rubric_items(e) for q in item["evidence"]]
    owners: dict[str, set[str]] = {}
    for qid, g in gold.items():
        for pid in g["evidence_ids"]:
            owners.setdefault(pid, set()).add(qid)
    halves = Counter(split.values())
    counts = {
        "entries": len(entries),
        "questions": len(gold),
        "items": sum(len(rubric_items(e)) for e in entries),
        "items_without_evidence": sum(
            1
            for g in gold.values()
            for r in g["rubrics"]
            for i in r["items"]
            if not i["evidence_ids"]
        ),
        "quotes": len(raw_quotes),
        "empty_quotes": sum(1 for q in raw_quotes if not norm(q)),
        "distinct_quotes": len(ids),
        "quotes_shared_across_questions": sum(1 for o in owners.values() if len(o) > 1),
        "snapshot_papers": len(papers),
        "fit": halves["fit"],
        "report": halves["report"],
    }
    print(
        f"{counts['entries']} rubric entries, {counts['questions']} distinct questions, "
        f"{counts['items']} rubric items ({counts['items_without_evidence']} without evidence)"
    )
    print(
        f"{counts['quotes']} evidence quotes, {counts['empty_quotes']} empty, "
        f"{counts['distinct_quotes']} distinct -> evidence papers "
        f"({counts['quotes_shared_across_questions']} shared across questions)"
    )
    print(f"snapshot: {counts['snapshot_papers']} distinct papers in {snapshot}")
    if fulltext:
        counts["sources"] = sum(1 for path in wanted if path.parent == out / ft.SOURCES)
        print(
            f"full text: {counts['sources']} e-prints in {out / ft.SOURCES}: {len(ids)} evidence "
            "papers (each quote in §3 Results, its abstract neutral), the rest the corpus's "
            "other papers (their abstract as their body)"
        )
    print(f"split: fit {counts['fit']}, report {counts['report']}")
    if min(halves["fit"], halves["report"]) < 0.35 * len(gold):
        print("warning: the split is badly unbalanced")
    print(f"wrote {out}/questions.tsv, split.json, gold.json, config.yaml")
    return counts


def half_ids(split: dict[str, str], half: str) -> list[str]:
    return sorted(q for q, h in split.items() if half == "all" or h == half)


def _read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def run(
    out: Path,
    half: str = "all",
    limit: int | None = None,
    cores: int = 2,
    workdir: Path | None = None,
) -> int:
    """Run the pipeline on a half's questions (the first `limit` by id); 0 when it succeeded.

    From the repository root by default; with `workdir`, in that working directory instead (with
    a copy of config/config.yaml as the base), since the root admits one run at a time."""
    out = Path(out).resolve()
    split = _read_json(out / "split.json")
    gold = _read_json(out / "gold.json")
    qids = half_ids(split, half)[:limit]
    sheet = out / f"questions_{half}.tsv"
    _write(sheet, sheet_text([(q, gold[q]["question"]) for q in qids]).encode("utf-8"))
    config = out / f"config_{half}.yaml"
    settings = overlay(out, sheet, ft.is_fulltext(out))
    _write(config, yaml.safe_dump(settings, sort_keys=True).encode("utf-8"))
    snakemake = REPO / ".venv" / "bin" / "snakemake"
    if not snakemake.exists():
        snakemake = Path(shutil.which("snakemake") or "snakemake")
    cmd = ["nice", "-n", "10", str(snakemake), "--configfile", str(config), "-c", str(cores)]
    cwd = REPO
    if workdir is not None:
        cwd = Path(workdir).resolve()
        _write(cwd / "config" / "config.yaml", (REPO / "config" / "config.yaml").read_bytes())
        cmd += [
            "--snakefile", str(REPO / "Snakefile"), "--directory", str(cwd),
            "--workflow-profile", str(REPO / "profiles" / "default"),
        ]  # fmt: skip
    log = out / f"run_{half}.log"
    print(f"{len(qids)} questions ({half}): {' '.join(cmd)}  (log: {log})", flush=True)
    with open(log, "wb") as handle:
        code = subprocess.run(cmd, cwd=cwd, stdout=handle, stderr=subprocess.STDOUT).returncode
    if code != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-40:]
        print("\n".join(tail), file=sys.stderr)
        print(f"snakemake failed (exit {code}); the whole log is {log}", file=sys.stderr)
    return code


# ---- pure measures ----


def recall(evidence: set[str], found: set[str]) -> float | None:
    return len(evidence & found) / len(evidence) if evidence else None


def precision(evidence: set[str], found: set[str]) -> float | None:
    return len(evidence & found) / len(found) if found else None


def rubric_coverage(items: list[dict[str, Any]], cited: set[str]) -> float | None:
    """Weight of the items with an evidence paper among `cited`, over the weight of the items
    that have evidence at all; None when no item has any."""
    answerable = [i for i in items if i["evidence_ids"]]
    total = sum(i["weight"] for i in answerable)
    if not answerable or total <= 0:
        return None
    covered = sum(i["weight"] for i in answerable if cited.intersection(i["evidence_ids"]))
    return covered / total


def coverage(rubrics: list[dict[str, Any]], cited: set[str]) -> float | None:
    """A question's coverage: the mean over its rubric entries (None when none is answerable)."""
    values = [v for r in rubrics if (v := rubric_coverage(r["items"], cited)) is not None]
    return mean(values) if values else None


_REFERENCE = re.compile(r"<https?://arxiv\.org/abs/([^>\s]+)>")


def answer_section(markdown: str) -> str:
    """The report's `## Answer` section ("" when there is none)."""
    parts = re.split(r"^## Answer[ \t]*$", markdown, maxsplit=1, flags=re.M)
    return re.split(r"^## ", parts[1], maxsplit=1, flags=re.M)[0] if len(parts) > 1 else ""


def answer_citations(markdown: str) -> set[str]:
    """The arXiv ids the report's `## Answer` section cites (its quotes, cited to the abstract,
    `[id abstract a–b](…)`, or to a body section, `[id §3, a–b](…)`; its theme's other papers,
    its comparison table): what a reader of the answer alone is pointed to."""
    return set(_ANSWER_LINK.findall(answer_section(markdown)))


_ANSWER_LINK = re.compile(r"\]\(https?://arxiv\.org/abs/([^)\s]+)")


def spearman(xs: list[float], ys: list[float]) -> float | None:
    """Spearman's rank correlation (average ranks for ties); None when either side is constant."""
    from scipy.stats import spearmanr

    if len(xs) < 3 or len(set(xs)) < 2 or len(set(ys)) < 2:
        return None
    return float(spearmanr(xs, ys).statistic)


def report_references(markdown: str) -> set[str]:
    """The arXiv ids listed under the report's `## References` heading."""
    parts = re.split(r"^## References[ \t]*$", markdown, maxsplit=1, flags=re.M)
    if len(parts) < 2:
        return set()
    section = re.split(r"^#{1,6} ", parts[1], maxsplit=1, flags=re.M)[0]
    return set(_REFERENCE.findall(section))


@dataclass
class Bm25:
    retriever: Any
    ids: list[str]


def bm25_document(paper: dict[str, Any]) -> str:
    return f"{paper['title']}. {paper['abstract']}"


def bm25_index(papers: list[dict[str, Any]]) -> Bm25:
    import bm25s

    tokens = bm25s.tokenize([bm25_document(p) for p in papers], stopwords="en", show_progress=False)
    retriever = bm25s.BM25()
    retriever.index(tokens, show_progress=False)
    return Bm25(retriever, [p["arxiv_id"] for p in papers])


def bm25_top(index: Bm25, query: str, k: int = TOP_K) -> list[str]:
    """The k best-scoring paper ids (score > 0), ties broken on the id for stable output."""
    import bm25s

    words = bm25s.tokenize([query], stopwords="en", return_ids=False, show_progress=False)[0]
    if not words:
        return []
    scores = index.retriever.get_scores(words)
    hits = [(-float(scores[i]), index.ids[i]) for i in range(len(index.ids)) if scores[i] > 0]
    return [pid for _, pid in sorted(hits)[:k]]


def load_bm25(out: Path) -> Bm25:
    papers, _ = load_snapshot(Path(out) / "snapshot")
    return bm25_index(papers)


# ---- evaluation ----

STAGE_FILES = ("raw.parquet", "filtered.parquet", "claims.parquet", "record.json", "report.md")


def pipeline_figures(qdir: Path, gold: dict[str, Any], fulltext: bool = False) -> dict[str, Any]:
    """One question's figures from its result files; `fulltext`: the variant whose evidence
    statements stand in a body section (§3) rather than in the abstract."""
    import pyarrow.parquet as pq

    evidence = set(gold["evidence_ids"])
    raw = set(pq.read_table(qdir / "raw.parquet", columns=["arxiv_id"]).column(0).to_pylist())
    filtered = pq.read_table(qdir / "filtered.parquet", columns=["arxiv_id", "kept"]).to_pydict()
    kept = {a for a, k in zip(filtered["arxiv_id"], filtered["kept"], strict=True) if k}
    rescued = ft.kept_on_full_text(qdir / "sections.parquet")
    claims_file = pq.ParquetFile(qdir / "claims.parquet")
    columns = ["arxiv_id", "verified", "relevant"]
    if "section_index" in claims_file.schema_arrow.names:  # claims read from full text
        columns.append("section_index")
    claims = claims_file.read(columns=columns).to_pydict()
    body = [i for i in claims.get("section_index", []) if i]
    verified = {a for a, v in zip(claims["arxiv_id"], claims["verified"], strict=True) if v}
    report = (qdir / "report.md").read_text(encoding="utf-8")
    cited = report_references(report)
    answer = answer_citations(report)
    passages = ft.answer_passages(answer_section(report))
    review = _read_json(qdir / "record.json")["review"]
    stated = ft.stated_papers(qdir / "answer.parquet", evidence, fulltext)
    return {
        "raw_recall": recall(evidence, raw),
        "kept_recall": recall(evidence, kept),
        "kept_precision": precision(evidence, kept),
        "kept": len(kept),
        # with the full-text stage's second look at what the filter dropped
        "kept_on_full_text": len(rescued),
        "kept_on_full_text_evidence": len(rescued & evidence),
        "read_recall": recall(evidence, kept | rescued),
        "read_precision": precision(evidence, kept | rescued),
        "claims": len(claims["arxiv_id"]),
        "verified_claims": sum(bool(v) for v in claims["verified"]),
        "relevant_claims": sum(bool(v) for v in claims["relevant"]),
        # claims from a body section (None: the claims carry no sections)
        "body_claims": len(body) if "section_index" in claims else None,
        "answer_body_cited": len({pid for pid, where in passages if where != "abstract"}),
        "answer_results_share": ft.results_share(passages, evidence),
        "cited": len(cited),
        "report_coverage": coverage(gold["rubrics"], cited),
        "answer_cited": len(answer),
        "answer_coverage": coverage(gold["rubrics"], answer),
        # the answer quotes the evidence statement itself, not only its paper
        "statement_coverage": coverage(gold["rubrics"], stated),
        "claim_coverage": coverage(gold["rubrics"], verified),
        "score": float(review["score"]),
        "verdict": review["verdict"],
        "policy": review["policy"],
    }


def _mean(rows: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in rows if r.get(key) is not None]
    return mean(values) if values else None


def evaluate(out: Path, half: str = "report", index: Bm25 | None = None) -> dict[str, Any]:
    """Per-question and overall figures for a half (pipeline figures where results exist)."""
    out = Path(out).resolve()
    split = _read_json(out / "split.json")
    gold = _read_json(out / "gold.json")
    index = index or load_bm25(out)
    questions: dict[str, dict[str, Any]] = {}
    for qid in half_ids(split, half):
        g = gold[qid]
        top = bm25_top(index, g["question"])
        row: dict[str, Any] = {
            "half": split[qid],
            "evidence": len(g["evidence_ids"]),
            "bm25_top": top,
            "bm25_recall": recall(set(g["evidence_ids"]), set(top)),
            "bm25_coverage": coverage(g["rubrics"], set(top)),
            "evaluated": False,
        }
        qdir = out / "results" / qid
        if all((qdir / name).is_file() for name in STAGE_FILES):
            row.update(pipeline_figures(qdir, g, ft.is_fulltext(out)), evaluated=True)
            # the report cites every kept paper: BM25 given as many is the like-for-like baseline
            same = set(bm25_top(index, g["question"], k=row["kept"])) if row["kept"] else set()
            row["bm25_kept_coverage"] = coverage(g["rubrics"], same)
        questions[qid] = row
    done = [r for r in questions.values() if r["evaluated"]]
    overall: dict[str, Any] = {
        "half": half,
        "questions": len(questions),
        "evaluated": len(done),
        "missing": sorted(q for q, r in questions.items() if not r["evaluated"]),
        "bm25_coverage": _mean(list(questions.values()), "bm25_coverage"),
        "bm25_recall": _mean(list(questions.values()), "bm25_recall"),
        # the baseline on the same questions as the pipeline figures, like for like
        "bm25_coverage_evaluated": _mean(done, "bm25_coverage"),
    }
    if done:
        scores = [r["score"] for r in done]
        overall.update(
            {
                key: _mean(done, key)
                for key in (
                    "raw_recall",
                    "kept_recall",
                    "kept_precision",
                    "kept",
                    "kept_on_full_text",
                    "kept_on_full_text_evidence",
                    "read_recall",
                    "read_precision",
                    "report_coverage",
                    "answer_cited",
                    "answer_body_cited",
                    "answer_results_share",
                    "body_claims",
                    "answer_coverage",
                    "statement_coverage",
                    "claim_coverage",
                    "score",
                    "bm25_kept_coverage",
                )
            }
        )
        rated = [r for r in done if r["answer_coverage"] is not None]
        overall.update(
            # does the tribunal's score rank questions as their answers' rubric coverage does?
            score_answer_spearman=spearman(
                [r["score"] for r in rated], [r["answer_coverage"] for r in rated]
            ),
            score_report_spearman=spearman(
                [r["score"] for r in rated if r["report_coverage"] is not None],
                [r["report_coverage"] for r in rated if r["report_coverage"] is not None],
            ),
            answer_at_least_bm25=sum(
                1
                for r in rated
                if r["bm25_coverage"] is None or r["answer_coverage"] >= r["bm25_coverage"]
            ),
            kept_nothing=sum(1 for r in done if r["kept"] == 0),
            share_publish_band=sum(s >= PUBLISH_AT for s in scores) / len(scores),
            share_reject_band=sum(s < REJECT_BELOW for s in scores) / len(scores),
            verdicts=dict(sorted(Counter(r["verdict"] for r in done).items())),
            policies=dict(sorted(Counter(r["policy"] for r in done).items())),
        )
    return {"overall": overall, "questions": questions}


def rounded(obj: Any, digits: int = 4) -> Any:
    if isinstance(obj, float):
        return round(obj, digits)
    if isinstance(obj, dict):
        return {k: rounded(v, digits) for k, v in obj.items()}
    if isinstance(obj, list):
        return [rounded(v, digits) for v in obj]
    return obj


def _fmt(value: Any, width: int, digits: int = 2) -> str:
    if value is None:
        return "-".rjust(width)
    if isinstance(value, float):
        return f"{value:{width}.{digits}f}"
    return str(value).rjust(width)


def print_table(result: dict[str, Any]) -> None:
    head = (
        f"{'question':14} {'half':6} {'#ev':>4} {'raw_r':>5} {'kept_r':>6} {'kept_p':>6} "
        f"{'#kept':>5} {'rep_cov':>7} {'ans_cov':>7} {'ver_cov':>7} {'bm25@5':>6} {'score':>5}  "
        "verdict"
    )
    print(head)
    for qid, r in result["questions"].items():
        print(
            f"{qid:14} {r['half']:6} {r['evidence']:4d} {_fmt(r.get('raw_recall'), 5)} "
            f"{_fmt(r.get('kept_recall'), 6)} {_fmt(r.get('kept_precision'), 6)} "
            f"{_fmt(r.get('kept'), 5)} {_fmt(r.get('report_coverage'), 7)} "
            f"{_fmt(r.get('answer_coverage'), 7)} {_fmt(r.get('claim_coverage'), 7)} "
            f"{_fmt(r['bm25_coverage'], 6)} "
            f"{_fmt(r.get('score'), 5, 1)}  {r.get('verdict', '(not run)')}"
        )
    o = result["overall"]
    print(
        f"\n{o['half']} half: {o['questions']} questions, {o['evaluated']} with results"
        + (f", {len(o['missing'])} not run" if o["missing"] else "")
    )
    print(
        f"BM25 top-{TOP_K} baseline: coverage {_fmt(o['bm25_coverage'], 0, 3)}, evidence recall "
        f"{_fmt(o['bm25_recall'], 0, 3)} (all {o['questions']}); coverage "
        f"{_fmt(o['bm25_coverage_evaluated'], 0, 3)} on the {o['evaluated']} run"
    )
    if not o["evaluated"]:
        return
    print(
        f"pipeline: evidence recall raw {o['raw_recall']:.3f}, kept {o['kept_recall']:.3f}; "
        f"kept precision {_fmt(o['kept_precision'], 0, 3)} ({o['kept_nothing']} kept nothing); "
        f"{o['kept']:.1f} kept papers a question"
    )
    if o.get("kept_on_full_text"):
        print(
            f"second look: {o['kept_on_full_text']:.2f} papers a question kept on their full text "
            f"({o['kept_on_full_text_evidence']:.2f} evidence); with them, evidence recall "
            f"{o['read_recall']:.3f}, precision {_fmt(o['read_precision'], 0, 3)}"
        )
    print(
        f"answer section: {o['answer_cited']:.1f} papers cited, rubric coverage "
        f"{_fmt(o['answer_coverage'], 0, 3)} (BM25 top {TOP_K}: "
        f"{_fmt(o['bm25_coverage_evaluated'], 0, 3)}; at least BM25's on "
        f"{o['answer_at_least_bm25']} questions); tribunal score vs answer coverage: Spearman "
        f"{_fmt(o['score_answer_spearman'], 0, 3)} (vs report coverage "
        f"{_fmt(o['score_report_spearman'], 0, 3)})"
    )
    print(
        f"evidence statements quoted: rubric coverage {_fmt(o['statement_coverage'], 0, 3)} "
        "(counting a paper only when the answer quotes the passage its evidence stands in)"
    )
    if o["body_claims"]:
        print(
            f"full text: {o['body_claims']:.1f} claims from body sections a question; the answer "
            f"quotes the body of {o['answer_body_cited']:.1f} papers a question; of its body "
            f"passages from evidence papers, {_fmt(o['answer_results_share'], 0, 3)} stand in "
            f"{ft.RESULTS_MARK} (the quote's section, the rest filler)"
        )
    print(
        f"rubric coverage: report {_fmt(o['report_coverage'], 0, 3)}, verified claims "
        f"{_fmt(o['claim_coverage'], 0, 3)}; BM25 on the same questions: top {TOP_K} "
        f"{_fmt(o['bm25_coverage_evaluated'], 0, 3)}, top #kept "
        f"{_fmt(o['bm25_kept_coverage'], 0, 3)}"
    )
    print(
        f"tribunal: mean score {o['score']:.2f}; >= {PUBLISH_AT}: {o['share_publish_band']:.0%}, "
        f"< {REJECT_BELOW}: {o['share_reject_band']:.0%}; verdicts {o['verdicts']}; "
        f"policies {o['policies']}"
    )


# ---- data for fitting the filter ----


def filter_examples(out_dir: str | Path, half: str = "fit") -> list[dict[str, Any]]:
    """Every (question, distinct paper of filtered.parquet) of a half that has results: its
    question_id, arxiv_id, tfidf_score and every other numeric `*_score` column, and
    is_evidence (the paper is an evidence paper of that question)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = Path(out_dir)
    split = _read_json(out / "split.json")
    gold = _read_json(out / "gold.json")
    examples = []
    for qid in half_ids(split, half):
        path = out / "results" / qid / "filtered.parquet"
        if not path.is_file():
            continue
        table = pq.read_table(path)
        scores = [
            f.name
            for f in table.schema
            if f.name.endswith("_score")
            and (pa.types.is_floating(f.type) or pa.types.is_integer(f.type))
        ]
        columns = table.select(["arxiv_id", *scores]).to_pydict()
        evidence = set(gold[qid]["evidence_ids"])
        seen: set[str] = set()
        for i, pid in enumerate(columns["arxiv_id"]):
            if pid in seen:
                continue
            seen.add(pid)
            row = {"question_id": qid, "arxiv_id": pid}
            row.update({name: columns[name][i] for name in scores})
            row["is_evidence"] = pid in evidence
            examples.append(row)
    return examples


# ---- fitting the filter's semantic threshold (fit half only) ----

TFIDF_THRESHOLD = 0.15  # the seeds' rule, kept as it is
SEMANTIC_GRID = [round(0.2 + 0.005 * i, 3) for i in range(121)]  # 0.200 ... 0.800


def keeps(row: dict[str, Any], semantic: float) -> bool:
    return row["tfidf_score"] >= TFIDF_THRESHOLD or row["semantic_score"] >= semantic


def keep_figures(
    examples: list[dict[str, Any]], semantic: float, evidence: dict[str, int]
) -> dict[str, float]:
    """Per-question means, under the rule `tfidf >= 0.15 or semantic >= t`, of kept recall over
    all the question's evidence papers (`evidence`: their count; what search missed counts as
    missed, as in `evaluate`) and among the hits, precision, F1 and F2; and the mean number kept.
    A question keeping nothing has precision 0 (a threshold that keeps nothing must not look
    precise)."""
    by_q: dict[str, list[dict[str, Any]]] = {}
    for e in examples:
        by_q.setdefault(e["question_id"], []).append(e)
    out: dict[str, list[float]] = {k: [] for k in ("recall", "hits", "p", "f1", "f2", "kept")}
    for qid, rows in by_q.items():
        kept = [r for r in rows if keeps(r, semantic)]
        found = sum(r["is_evidence"] for r in kept)
        in_hits = sum(r["is_evidence"] for r in rows)
        r_ = found / evidence[qid] if evidence[qid] else 0.0
        p_ = found / len(kept) if kept else 0.0
        out["recall"].append(r_)
        out["hits"].append(found / in_hits if in_hits else 0.0)
        out["p"].append(p_)
        out["f1"].append(2 * p_ * r_ / (p_ + r_) if p_ + r_ else 0.0)
        out["f2"].append(5 * p_ * r_ / (4 * p_ + r_) if p_ + r_ else 0.0)
        out["kept"].append(len(kept))
    return {
        "questions": len(by_q),
        "recall": mean(out["recall"]),
        "recall_among_hits": mean(out["hits"]),
        "precision": mean(out["p"]),
        "f1": mean(out["f1"]),
        "f2": mean(out["f2"]),
        "kept": mean(out["kept"]),
    }


F2_NOISE = 0.005  # F2 differences smaller than this are not told apart


def fit_filter(out: Path, write_model: bool = False) -> dict[str, Any]:
    """The semantic threshold, fitted on the fit half: the highest on the grid whose mean F2 is
    within F2_NOISE of the best. F2 weighs recall twice: the filter is a screening stage, where
    a dropped answer is lost for good and a kept distractor still meets the relevance model and
    the tribunal; the highest threshold among near-equals keeps the least."""
    fit, report = filter_examples(out, "fit"), filter_examples(out, "report")
    if not fit:
        raise SystemExit(f"no filtered.parquet of the fit half under {out}/results: run it first")
    gold = _read_json(out / "gold.json")
    evidence = {qid: len(g["evidence_ids"]) for qid, g in gold.items()}
    curve = {t: keep_figures(fit, t, evidence) for t in SEMANTIC_GRID}
    top = max(c["f2"] for c in curve.values())
    best = max(t for t, c in curve.items() if c["f2"] >= top - F2_NOISE)
    result = {
        "encoder": MINILM_ID,
        "semantic_threshold": best,
        "measurement": {
            "benchmark": "benchmarks/answer_quality.py (ScholarQA-CS evidence quotes among "
            "arxiv_cs_daily distractors)",
            "rule": f"kept = tfidf_score >= {TFIDF_THRESHOLD} or semantic_score >= threshold",
            "fit": "the grid 0.200..0.800 (step 0.005): the highest threshold whose mean "
            f"per-question F2 of kept evidence papers is within {F2_NOISE} of the best, fit "
            "half only",
            "split": f'sha256("{SPLIT_SALT}" + question) % 2 == 0 -> fit, else report',
            "fit_half": rounded(curve[best]),
            "report_half": rounded(keep_figures(report, best, evidence)) if report else None,
            "tfidf_alone_fit_half": rounded(keep_figures(fit, 2.0, evidence)),
            "tfidf_alone_report_half": (
                rounded(keep_figures(report, 2.0, evidence)) if report else None
            ),
        },
    }
    print(json.dumps(result, indent=1, sort_keys=True))
    if write_model:
        path = REPO / "src" / "sovereign" / "models" / "filter.json"
        path.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {path}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_build = sub.add_parser("build", help="write the snapshot, sheet, split, gold and overlay")
    p_build.add_argument("--out", required=True, type=Path)
    p_build.add_argument("--data", default=DEFAULT_DATA, type=Path)
    p_build.add_argument(
        "--fulltext", action="store_true", help="the full-text variant (quotes in e-print bodies)"
    )
    p_run = sub.add_parser("run", help="run the pipeline on a half")
    p_run.add_argument("--out", required=True, type=Path)
    p_run.add_argument("--half", choices=(*HALVES, "all"), default="all")
    p_run.add_argument("--limit", type=int, default=None)
    p_run.add_argument("--cores", type=int, default=2)
    p_run.add_argument(
        "--workdir", type=Path, default=None, help="run there instead of the repository root"
    )
    p_eval = sub.add_parser("evaluate", help="score the results of a half")
    p_eval.add_argument("--out", required=True, type=Path)
    p_eval.add_argument("--half", choices=(*HALVES, "all"), default="report")
    p_eval.add_argument("--json", type=Path, default=None)
    p_fit = sub.add_parser("fit-filter", help="fit the filter's semantic threshold on the fit half")
    p_fit.add_argument("--out", required=True, type=Path)
    p_fit.add_argument("--write-model", action="store_true", help="write models/filter.json")
    args = parser.parse_args(argv)
    if args.command == "fit-filter":
        fit_filter(args.out, args.write_model)
        return 0
    if args.command == "build":
        build(args.out, args.data, args.fulltext)
        return 0
    if args.command == "run":
        return 1 if run(args.out, args.half, args.limit, args.cores, args.workdir) else 0
    result = evaluate(args.out, args.half)
    print_table(result)
    if args.json:
        args.json.write_text(
            json.dumps(rounded(result), sort_keys=True, indent=1, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
