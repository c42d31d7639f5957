"""The search stage: a question's four queries through one backend, every hit kept as a row."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..contracts import Question
from ..net.ledger import Ledger
from ..net.ratelimit import ARXIV_RATE_LOCK, IntervalLock
from .queries import Query, expand
from .settings import Settings
from .snapshot_files import index_dir
from .snapshot_index import SnapshotIndex

MAX_PAGE_SIZE = 100  # arXiv pages larger than this are slow and often cut short


def _row(question: Question, query: Query, rank: int, paper: dict[str, Any]) -> dict[str, Any]:
    return {
        "question_id": question.question_id,
        "query_index": query.index,
        "query_kind": query.kind,
        "query": query.arxiv_query(question.as_of),
        "rank": rank,
        **paper,
    }


def search_snapshot(
    question: Question, settings: Settings, log: Callable[[str], None]
) -> list[dict[str, Any]]:
    assert settings.snapshot is not None
    index = SnapshotIndex(index_dir(settings.index_root, settings.snapshot))
    index.check_snapshot(settings.snapshot)
    log(f"snapshot {settings.snapshot}: {len(index)} unique papers (index {index.directory})")
    rows = []
    for query in expand(question.question):
        hits = index.search(query, settings.max_results, question.as_of)
        log(f"query {query.index} ({query.kind}) {query.text!r}: {len(hits)} hits")
        for rank, hit in enumerate(hits, start=1):
            paper, ref = index.paper(hit.position)
            row = _row(question, query, rank, paper)
            row.update(
                backend="snapshot",
                search_score=hit.score,
                ledger_key=None,
                source_ref=ref,
                retrieved_at=None,
            )
            rows.append(row)
    return rows


def search_arxiv(
    question: Question,
    settings: Settings,
    log: Callable[[str], None],
    ledger: Ledger | None = None,
) -> list[dict[str, Any]]:
    """`ledger`: where answers are looked up and recorded (default: settings.ledger); Gate 2
    passes one that remembers what the search read."""
    # imported here: a snapshot search never loads the arxiv client or requests
    import requests

    from ..net.http import user_agent
    from .arxiv_api import LedgerClient, Transport

    replay = settings.backend == "replay"
    ledger = ledger if ledger is not None else Ledger(settings.ledger)
    session = None
    if not replay:
        session = requests.Session()
        session.headers["User-Agent"] = user_agent(settings.contact)
    transport = Transport(
        ledger=ledger,
        replay=replay,
        session=session,
        policy=settings.policy,
        lock=IntervalLock(Path(settings.ledger) / ARXIV_RATE_LOCK, settings.min_interval),
        log=log,
    )
    page_size = min(settings.max_results, MAX_PAGE_SIZE)
    client = LedgerClient(transport, settings.arxiv_url, page_size=page_size)
    rows = []
    for query in expand(question.question):
        text = query.arxiv_query(question.as_of)
        count = 0
        what = f"question {question.question_id}: arXiv query {text!r}"
        hits = client.search(text, settings.max_results, what)
        for rank, (paper, entry) in enumerate(hits, start=1):
            row = _row(question, query, rank, paper)
            row.update(
                backend="arxiv",  # the data's source; replay reads the same recorded answers
                search_score=None,
                ledger_key=entry.key,
                source_ref=None,
                retrieved_at=entry.retrieved_at,
            )
            rows.append(row)
            count = rank
        log(f"query {query.index} ({query.kind}) {text!r}: {count} hits")
    log(f"{transport.requests_made} requests sent to {settings.arxiv_url}")
    return rows


def search(
    question: Question, settings: Settings, log: Callable[[str], None] = lambda _m: None
) -> list[dict[str, Any]]:
    """Every hit of every query for one question, as raw-stage rows."""
    if settings.backend == "snapshot":
        return search_snapshot(question, settings, log)
    return search_arxiv(question, settings, log)
