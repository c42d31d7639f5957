"""Where things are: this repository, and the shared data beside it (tests that need it are
skipped with the reason where it is absent).
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO.parent / "shared" / "data"
CS_DAILY = SHARED_DATA / "arxiv_cs_daily"
ATOM = SHARED_DATA / "arxiv_atom"
requires_shared = pytest.mark.skipif(
    not SHARED_DATA.is_dir(),
    reason=f"needs the shared arXiv data at {SHARED_DATA} (a checkout with ../shared beside it)",
)
SHEET_QUESTIONS = [
    line.split("\t")
    for line in (REPO / "config" / "questions.tsv").read_text(encoding="utf-8").splitlines()[1:]
]


def recorded_pages() -> dict[int, bytes]:
    """The real 2025-12 cs listing (5 Atom pages of 100) by start offset."""
    folder = ATOM / "cs_paged_2025-12"
    return {s: (folder / f"arxiv_raw_{s}.xml").read_bytes() for s in (0, 100, 200, 300, 400)}
