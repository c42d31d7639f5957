"""Deterministic query expansion: one research question -> four arXiv queries.

The four queries cover the question from different sides, so one weak query does not sink recall:

0. ``keywords``  every content word of the question, OR-ed (relevance ranking rewards papers
   that match many of them);
1. ``phrases``   its key phrases (runs of content words), each as an exact phrase, OR-ed;
2. ``entities``  its named entities and acronyms (`SMoES`, `VQA-CP`, `GPT-4`), OR-ed;
3. ``broad``     the topic without the specifics: the two most specific generic content words,
   AND-ed.

Only the question text decides the queries: no clock, no randomness, no hash seeds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..text.question import analyse

_BARE = re.compile(r"[A-Za-z0-9]+")
MAX_KEYWORDS = 10
MAX_PHRASES = 3
MAX_ENTITIES = 6
KINDS = ("keywords", "phrases", "entities", "broad")


@dataclass(frozen=True)
class Query:
    """One expanded query: its position, kind, boolean operator and clauses (words or phrases)."""

    index: int
    kind: str
    operator: str  # "OR" or "AND"
    clauses: tuple[str, ...]

    @property
    def text(self) -> str:
        """The query as arXiv's search syntax, before any date restriction."""
        parts = [f"all:{c}" if _BARE.fullmatch(c) else f'all:"{c}"' for c in self.clauses]
        return f" {self.operator} ".join(parts)

    def arxiv_query(self, as_of: str | None) -> str:
        """The search_query sent to arXiv: the query limited to papers submitted by `as_of`."""
        if not as_of:
            return self.text
        stamp = as_of.replace("-", "") + "2359"
        return f"({self.text}) AND submittedDate:[190001010000 TO {stamp}]"


def expand(question: str) -> list[Query]:
    """The four queries for a question; a part the question lacks falls back to its keywords."""
    parts = analyse(question)
    keywords = parts["keywords"]
    if not keywords:
        raise ValueError("the question has no content words to search for")
    entity_keys = {e.lower() for e in parts["entities"]}
    generic = [w for w in keywords if w not in entity_keys and not any(c.isdigit() for c in w)]
    # Longest first is a cheap, stable proxy for specificity; ties keep question order.
    broad = sorted(generic or keywords, key=lambda w: -len(w))[:2]
    phrases = parts["phrases"][:MAX_PHRASES] or keywords[:MAX_PHRASES]
    entities = parts["entities"][:MAX_ENTITIES] or sorted(keywords, key=lambda w: -len(w))[:3]
    return [
        Query(0, "keywords", "OR", tuple(keywords[:MAX_KEYWORDS])),
        Query(1, "phrases", "OR", tuple(phrases)),
        Query(2, "entities", "OR", tuple(entities)),
        Query(3, "broad", "AND", tuple(broad)),
    ]
