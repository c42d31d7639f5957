"""What of a question a text covers: its terms, its named entities and its parts.

The tribunal asks three such questions: which question terms and named entities no kept source
contains (SKEPTIC), and whether each part of the question is answered by a verified claim
(SYNTHESIZER). All matching is on folded words with a light plural stem, so `losses` matches
`loss` and `VQA-CP v2` matches `vqa-cp v2` or `VQA CP v2`; nothing depends on hash order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..text.normalize import fold, search_words, stem, stems
from ..text.question import REQUEST_WORDS, STOPWORDS, analyse

# A new clause of a question: "..., and how does ...", "...; what ...", "...? Does ...".
_PART_SPLIT = re.compile(
    r"(?:[;?]|,?\s+and\s+(?=(?:how|what|whether|which|why|does|do|is|are|can)\b))\s*",
    re.IGNORECASE,
)

_URL = re.compile(r"\bhttps?://\S+|\bwww\.\S+", re.IGNORECASE)
_PRONOUN = re.compile(r"^I(?:'m|'ve|'d|'ll)?$")


def _term_stems(words: list[str]) -> tuple[str, ...]:
    """Content stems of question keywords; the parts of `out-of-domain` that are stopwords
    (`of`) or single letters (`A-OKVQA`) are no terms of their own."""
    return _unique(
        stem(w)
        for keyword in words
        for w in search_words(keyword)
        if w not in STOPWORDS and w not in REQUEST_WORDS and (len(w) > 1 or w.isdigit())
    )


def _entities(found: list[str]) -> tuple[str, ...]:
    """Named entities of a question, without the asker's own "I"."""
    return tuple(e for e in found if not _PRONOUN.match(e))


def _entity_pattern(entity: str) -> re.Pattern[str]:
    """Words of an entity in order, separated by anything that is not a letter or digit.

    Not stemmed: `SMoES` is a model of its own, not the plural of `SMoE`."""
    words = search_words(entity)
    body = r"[^0-9a-z]*".join(re.escape(w) for w in words)
    return re.compile(rf"(?<![0-9a-z]){body}s?(?![0-9a-z])")


def has_entity(entity: str, folded_text: str) -> bool:
    """Whether a folded text names an entity (case, hyphens and a plural `s` ignored)."""
    if not search_words(entity):
        return False
    return _entity_pattern(entity).search(folded_text) is not None


@dataclass(frozen=True)
class QuestionTerms:
    """A question's content-word stems, its named entities and its parts (each a stem set)."""

    terms: tuple[str, ...]
    entities: tuple[str, ...]
    parts: tuple[tuple[str, tuple[str, ...]], ...]  # (part text, its term stems)
    part_entities: tuple[tuple[str, ...], ...] = ()  # the named entities of each part


def question_terms(question: str) -> QuestionTerms:
    """Terms in question order (deduplicated), entities as written, parts split at clauses;
    links and the words that frame a request are left out (REQUEST_WORDS)."""
    question = _URL.sub(" ", question)
    parsed = analyse(question)
    terms = _term_stems(parsed["keywords"])
    parts, part_entities = [], []
    for text in _PART_SPLIT.split(question):
        analysed = analyse(text)
        part_terms = _term_stems(analysed["keywords"])
        if part_terms:
            parts.append((text.strip(" ,.;?"), part_terms))
            part_entities.append(_entities(analysed["entities"]))
    return QuestionTerms(terms, _entities(parsed["entities"]), tuple(parts), tuple(part_entities))


def _unique(items) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def missing_terms(terms: tuple[str, ...], texts: list[str]) -> list[str]:
    """Question term stems that none of the texts contains, in question order."""
    present: set[str] = set()
    for text in texts:
        present |= stems(text)
    return [t for t in terms if t not in present]


def missing_entities(entities: tuple[str, ...], texts: list[str]) -> list[str]:
    """Named entities of the question that none of the texts names, in question order."""
    folded = [fold(t) for t in texts]
    return [e for e in entities if not any(has_entity(e, f) for f in folded)]


def part_coverage(part_terms: tuple[str, ...], text: str) -> float:
    """The share of a question part's terms that a text contains."""
    if not part_terms:
        return 0.0
    found = stems(text)
    return sum(t in found for t in part_terms) / len(part_terms)


def entity_share(entities: tuple[str, ...], folded_text: str) -> float:
    """The share of the entities a folded text names (1.0 when there are none to name)."""
    if not entities:
        return 1.0
    return sum(has_entity(e, folded_text) for e in entities) / len(entities)
