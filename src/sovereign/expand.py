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

from .stopwords import ENGLISH
from .text import detex

# Words that frame a research question without naming its subject.
QUESTION_WORDS = frozenset(
    """
    affect affects affected approach approaches assess capability capabilities change changes
    compare compared comparing comparison consider degree does effect effects evaluate
    evaluated evidence extent factor factors generalize how impact impacts influence
    influences like measured measure measures method methods metric metrics performance
    relative respect result results role setting settings study terms unseen use used using
    versus via vs what whether which without work works e.g i.e etc
    """.split()
)
STOPWORDS = ENGLISH | QUESTION_WORDS

_WORD = re.compile(r"[^\W_]+(?:[-.'][^\W_]+)*")  # any script's letters and digits
_BARE = re.compile(r"[A-Za-z0-9]+")
# Segment boundaries; the captured group is a sentence end, after which a capital is no name.
_SPLIT = re.compile(r"([?!]|\.(?:\s|$))|[,;:()\[\]\"]|\s[-–—]\s")
MAX_KEYWORDS = 10
MAX_PHRASES = 3
MAX_PHRASE_WORDS = 3
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


def _is_content(word: str) -> bool:
    low = word.lower()
    return low not in STOPWORDS and len(low) > 1


def _is_entity(word: str, sentence_start: bool) -> bool:
    """Acronyms, mixed-case names, model names with digits; a capital at sentence start is not."""
    letters = [c for c in word if c.isalpha()]
    if not letters or word.lower() in STOPWORDS:
        return False
    upper_inside = any(c.isupper() for c in word[1:])
    has_digit = any(c.isdigit() for c in word) and len(letters) >= 2
    capitalised = word[0].isupper() and not sentence_start
    return upper_inside or has_digit or capitalised


def _dedupe(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        key = item.lower()
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def analyse(question: str) -> dict[str, list[str]]:
    """Content words, key phrases and entities of a question, in order of appearance."""
    plain = detex(question)
    words: list[str] = []
    entities: list[str] = []
    phrases: list[list[str]] = []
    sentence_start = True
    for segment in _SPLIT.split(plain):
        if segment is None:
            continue
        if _SPLIT.fullmatch(segment) and segment.strip() in ("?", "!", "."):
            sentence_start = True
            continue
        run: list[str] = []
        for word in _WORD.findall(segment):
            word = word.strip(".'")
            if not word:
                continue
            if _is_content(word):
                words.append(word.lower())
                run.append(word.lower())
                if _is_entity(word, sentence_start):
                    entities.append(word)
            else:
                if len(run) > 1:
                    phrases.append(run)
                run = []
            sentence_start = False
        if len(run) > 1:
            phrases.append(run)
    phrase_texts = _dedupe([" ".join(p[-MAX_PHRASE_WORDS:]) for p in phrases])
    return {
        "keywords": _dedupe(words),
        "phrases": phrase_texts,
        "entities": _dedupe(entities),
    }


def has_search_terms(question: str) -> bool:
    return bool(analyse(question)["keywords"])


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
