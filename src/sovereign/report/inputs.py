"""What a question's record is built from: the question, its stage files as rows, the tribunal's
summary, its corrections and the report's settings (one dataclass, read by every part of the
record).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..answer.model import Answer
from ..fulltext.rows import Reading
from ..review.rows import Summary


@dataclass(frozen=True)
class Inputs:
    question_id: str
    question: str
    as_of: str
    hits: list[dict[str, Any]]
    papers: list[dict[str, Any]]
    claims: list[dict[str, Any]]
    summary: Summary
    corrections: list[dict[str, Any]]
    settings: dict[str, Any]  # publisher, external_record, quarantine_below, thresholds, methods
    artifacts: dict[str, str]  # file name -> sha256 (report.md and the stage files)
    versions: dict[str, str]
    corrections_head: str = "0" * 64  # sha256 of the correction file's last line
    answer: Answer | None = None  # answer.parquet (None: a record built without one)
    readings: list[Reading] | None = None  # sections.parquet, per paper (None: abstracts only)
