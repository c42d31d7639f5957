"""The full-text stage: each kept paper's text as sections, from the strongest source there is.

In order: the LaTeX e-print, the PDF, and the abstract, with the reason recorded when a paper
falls back. The paper's metadata abstract is always its first section (path "Abstract"): it is
the text the filter judged, and claims from it stay as they were without full text; the body
sections follow, as the parser found them. A source that cannot be used costs that paper its
full text, never the run.

With `fulltext.second_look` (`all`, or n), the stage also reads the papers the filter dropped
(all of them, or its n nearest misses) and keeps those whose body passes the filter's rule
(sovereign.fulltext.second_look); their rows say `kept_on: full text`, and every later stage
treats them as kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..filter.stage import near_misses
from .model import ABSTRACT, ABSTRACT_PATH, PARSER_VERSION, PDF, Limits, Section, SourceError
from .second_look import ABSTRACT_KEPT, FULL_TEXT_KEPT, Judge
from .settings import ARXIV, DIRECTORY, OFF, Settings
from .sources import ArxivFetcher, Fetched, Missing, local_source, split_version
from .store import ParseStore

# A parse stopped by the time limit depends on the machine: it is not stored as the answer.
_TIMEOUT = "parsing took longer"

Fetch = Callable[[str, int | None, bool], Fetched | Missing]


@dataclass(frozen=True)
class PaperText:
    arxiv_id: str
    version: int | None
    kind: str  # latex | pdf | abstract: what the body sections came from
    sha256: str | None  # of the source file read
    ref: str | None  # its file name, or its ledger entry
    sections: list[Section]  # the body, without the abstract
    note: str | None  # why there is no (or only the weaker) full text


def read_paper(
    paper: dict[str, Any],
    fetch: Fetch,
    store: ParseStore,
    limits: Limits,
    log: Callable[[str], None] = lambda _m: None,
) -> PaperText:
    """The paper's body from its e-print, else its PDF, else nothing (with the reasons)."""
    arxiv_id = paper["arxiv_id"]
    version = split_version(paper.get("arxiv_id_versioned"), arxiv_id)
    reasons: list[str] = []
    eprint_was_pdf = False
    for pdf in (False, True):
        if pdf and eprint_was_pdf:
            break  # arXiv served the PDF as the e-print: it was tried already
        found = fetch(arxiv_id, version, pdf)
        if isinstance(found, Missing):
            if found.reason not in reasons:
                reasons.append(found.reason)
            continue
        sha = hashlib.sha256(found.data).hexdigest()
        parsed = store.get(sha)
        if parsed is None:
            from .parse import parse_source  # here: pylatexenc and pypdf only when parsing

            try:
                parsed = parse_source(found.data, limits)
            except SourceError as err:
                parsed = err.reason
            if not (isinstance(parsed, str) and parsed.startswith(_TIMEOUT)):
                store.put(sha, parsed)
        if isinstance(parsed, str):
            eprint_was_pdf = eprint_was_pdf or (not pdf and found.data.startswith(b"%PDF"))
            reasons.append(f"{found.ref}: {parsed}")
            continue
        kind, sections = parsed
        body = [s for s in sections if s.path != ABSTRACT_PATH and s.text.strip()]
        if not body:
            reasons.append(f"{found.ref}: no section beyond the abstract")
            continue
        note = "; ".join(reasons) if reasons else None
        if kind == PDF and not pdf:
            note = "; ".join([*reasons, "arXiv's e-print is a PDF (no LaTeX source)"])
        return PaperText(arxiv_id, found.version, kind, sha, found.ref, body, note)
    log(f"{arxiv_id}: abstract only ({'; '.join(reasons)})")
    return PaperText(arxiv_id, version, ABSTRACT, None, None, [], "; ".join(reasons))


def section_rows(
    question_id: str, paper: dict[str, Any], text: PaperText, kept_on: str = ABSTRACT_KEPT
) -> list[dict[str, Any]]:
    """sections.parquet rows of one paper: the abstract, then the body."""
    rows = [
        _row(question_id, text, 0, ABSTRACT_PATH, paper["abstract"], ABSTRACT, None, None),
    ]
    for n, section in enumerate(text.sections, start=1):
        rows.append(
            _row(question_id, text, n, section.path, section.text, text.kind, text.sha256, text.ref)
        )
    for row in rows:
        row["kept_on"] = kept_on
    return rows


def _row(question_id, text, index, path, body, kind, sha, ref) -> dict[str, Any]:
    return {
        "question_id": question_id,
        "arxiv_id": text.arxiv_id,
        "version": text.version,
        "section_index": index,
        "section_path": path,
        "text": body,
        "source_kind": kind,
        "source_sha256": sha,
        "source_ref": ref,
        "parser_version": PARSER_VERSION,
        # the paper's full-text note sits on its abstract row: why it has no (or a weaker) body
        "note": text.note if index == 0 else None,
    }


def fetcher(settings: Settings, log: Callable[[str], None]) -> Fetch:
    """How sources are found for the configured mode."""
    if settings.mode == OFF:
        return lambda _id, _v, _pdf: Missing("full text is off (fulltext.source)")
    if settings.mode == DIRECTORY:
        root = Path(settings.sources or "")
        return lambda arxiv_id, version, pdf: local_source(root, arxiv_id, version, pdf)
    assert settings.mode == ARXIV
    from ..net.http import user_agent
    from ..net.ledger import Ledger
    from ..net.ratelimit import ARXIV_RATE_LOCK, IntervalLock

    session = None
    if not settings.offline:
        import requests

        session = requests.Session()
        session.headers["User-Agent"] = user_agent(settings.contact)
    client = ArxivFetcher(
        ledger=Ledger(settings.ledger),
        offline=settings.offline,
        eprint_url=settings.eprint_url,
        pdf_url=settings.pdf_url,
        policy=settings.policy,
        max_bytes=settings.limits.max_bytes,
        session=session,
        slot=IntervalLock(Path(settings.ledger) / ARXIV_RATE_LOCK, settings.min_interval).slot,
        log=log,
    )
    return client.fetch


def paper_texts(
    question_id: str,
    papers: list[dict[str, Any]],
    settings: Settings,
    log: Callable[[str], None] = lambda _m: None,
    fetch: Fetch | None = None,
    judge: Callable[[], Judge] | None = None,
) -> list[dict[str, Any]]:
    """sections.parquet rows for the kept ones of `papers` (the filtered rows), and for the near
    misses a second look keeps (`judge` makes the filter's test; without it, or with
    `settings.second_look` 0, there is no second look)."""
    fetch = fetch or fetcher(settings, log)
    store = ParseStore(settings.store, settings.limits)
    rows: list[dict[str, Any]] = []
    kinds: dict[str, int] = {}
    kept = sorted((p for p in papers if p["kept"]), key=lambda p: p["arxiv_id"])
    for paper in kept:
        text = read_paper(paper, fetch, store, settings.limits, log)
        kinds[text.kind] = kinds.get(text.kind, 0) + 1
        rows.extend(section_rows(question_id, paper, text))
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
    log(f"{len(kept)} kept papers read: {summary or 'none'}; {len(rows)} sections")
    if judge is not None and settings.mode != OFF and settings.second_look != 0:
        rows.extend(near_miss_rows(question_id, papers, settings, fetch, store, judge, log))
    return rows


def near_miss_rows(
    question_id: str,
    papers: list[dict[str, Any]],
    settings: Settings,
    fetch: Fetch,
    store: ParseStore,
    judge: Callable[[], Judge],
    log: Callable[[str], None],
) -> list[dict[str, Any]]:
    """Rows of the near misses whose body passes the filter's test (kept on their full text)."""
    misses = near_misses(papers, settings.second_look)
    if not misses:
        return []
    test: Judge | None = None
    rows: list[dict[str, Any]] = []
    rescued = []
    for paper in sorted(misses, key=lambda p: p["arxiv_id"]):
        text = read_paper(paper, fetch, store, settings.limits, log)
        if not text.sections:
            continue  # its abstract only: the filter has judged that text
        test = test or judge()
        found = test.best(text.sections)
        if found is None:
            log(f"{paper['arxiv_id']}: read in full ({text.kind}), no passage passes the filter")
            continue
        note = found.note(test.threshold, test.semantic_threshold)
        rescued.append(paper["arxiv_id"])
        log(f"{paper['arxiv_id']}: {note}")
        text = replace(text, note="; ".join(filter(None, [note, text.note])))
        rows.extend(section_rows(question_id, paper, text, FULL_TEXT_KEPT))
    log(
        f"second look: {len(misses)} near misses of the filter, {len(rescued)} kept on their "
        f"full text ({', '.join(rescued) or 'none'})"
    )
    return rows
