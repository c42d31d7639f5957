"""A question's arXiv search, replayed from the ledger when its bundle is built.

A bundle of a live or replayed arXiv search re-runs that search from the ledger entries it
carries, so it must carry every page the replay asks for: the raw rows name only the pages their
hits came from, not a query's empty answer nor a page whose hits were all repeats. Replaying here,
through a ledger that remembers each request, gives exactly those pages, and shows before any
sandbox runs whether the replay gives back raw.parquet. A snapshot search stays frozen in the
bundle (a snapshot is gigabytes).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .. import schemas
from ..contracts import Question
from ..errors import LedgerMiss
from ..io import write_table
from ..net.ledger import RecordingLedger
from ..search.arxiv_api import SERVICE as ARXIV_SERVICE
from ..search.settings import Settings
from ..search.stage import search_arxiv


def replays_search(config: dict[str, Any]) -> bool:
    """Whether the question's bundle re-runs its search (an arXiv search, live or replayed; not
    a snapshot search, nor a run inside a bundle whose search was frozen)."""
    frozen = config.get("gate2", {}).get("frozen_search", False)
    return config["search"]["backend"] != "snapshot" and not frozen


@dataclass(frozen=True)
class SearchReplay:
    keys: tuple[str, ...]  # the arXiv ledger keys the replay asked for (a missed one last)
    rows: list[dict[str, Any]] | None  # the raw rows; None when the replay stopped on a miss
    miss: str | None = None  # what it missed (the LedgerMiss message)


def replay_search(question: dict[str, str], config: dict[str, Any], ledger: Path) -> SearchReplay:
    """The question's search replayed from `ledger` (never the network), and what it read."""
    settings = replace(Settings.from_config(config), backend="replay", ledger=str(ledger))
    recorder = RecordingLedger(ledger)
    rows: list[dict[str, Any]] | None
    try:
        rows, miss = search_arxiv(Question(**question), settings, lambda _m: None, recorder), None
    except LedgerMiss as err:  # the bundle is still built: its verdict says UNVERIFIED
        rows, miss = None, err.message
    asked = [key for service, key in recorder.found + recorder.missed if service == ARXIV_SERVICE]
    return SearchReplay(tuple(dict.fromkeys(asked)), rows, miss)


def gives_back(rows: list[dict[str, Any]], raw: Path) -> bool:
    """Whether `rows`, written as the search stage writes them, are `raw`'s bytes."""
    with tempfile.TemporaryDirectory(prefix="sovereign-gate2-raw-") as tmp:
        out = Path(tmp) / "raw.parquet"
        write_table(rows, schemas.RAW, out, schemas.RAW_SORT)
        return out.read_bytes() == Path(raw).read_bytes()
