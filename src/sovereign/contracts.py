"""The facts every part of sovereign shares, defined once: what a question is, which files a
question's stages write and in what order, the text a paper is judged by, and the question-id
rule (which the question sheet's schema, the workflow's wildcards, the record schema and Gate 2
all hold to; tests/unit/test_contracts.py checks the schema files against it).

Pure Python and cheap to import: the Snakefile's top level, parsed again by every job, reads it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# A question id names the folder results/<question_id>/: letters, digits, _ and -, at most 64
# characters, not starting with - (which command-line tools would read as an option).
QUESTION_ID_PATTERN = "[A-Za-z0-9_][A-Za-z0-9_-]{0,63}"
QUESTION_ID = re.compile(QUESTION_ID_PATTERN)  # matched whole (fullmatch)
QUESTION_ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
MAX_QUESTION_ID_CHARS = 64
QUESTION_ID_RULE = "letters, digits, _ and - (the id names the folder results/<question_id>/)"


def is_question_id(value: object) -> bool:
    return isinstance(value, str) and QUESTION_ID.fullmatch(value) is not None


@dataclass(frozen=True)
class Question:
    """One row of the question sheet: the question is answered as of `as_of` (YYYY-MM-DD)."""

    question_id: str
    question: str
    as_of: str


# The tribunal's roles, in the order their reviews are shown.
ROLES = ("SKEPTIC", "VALIDATOR", "SYNTHESIZER")
# A record's quality tier, best first; the record says which and why.
TIERS = ("Reviewed synthesis", "Provisional", "Quarantine candidate", "Retracted")
REVIEWED, PROVISIONAL, QUARANTINE, RETRACTED = TIERS
# The levels of a record's quality dimensions, lowest first.
LEVELS = ("LOW", "MEDIUM", "HIGH")
LOW, MEDIUM, HIGH = LEVELS
# What every record and page says it is.
NOTE = "Machine-generated synthesis of existing literature. Not primary research."

# Each question's stage files, in the order the rules make them (the report rule writes the last
# three at once).
STAGE_FILES = (
    "raw.parquet",
    "filtered.parquet",
    "embeddings.parquet",
    "sections.parquet",
    "claims.parquet",
    "answer.parquet",
    "reviews.parquet",
    "report.md",
    "record.json",
    "record.html",
)
# Stage files made side by side from the same input: neither is made from the other, so one
# missing under the other is no gap.
SIDE_BY_SIDE = frozenset({frozenset({"embeddings.parquet", "sections.parquet"})})


def document(paper: dict[str, Any]) -> str:
    """The text a paper is judged by, in every stage that scores or embeds it: title. abstract"""
    return f"{paper['title']}. {paper['abstract']}"
