"""What a research question asks, read from its words alone: its content words, key phrases and
named entities (acronyms, mixed-case names, model names with digits), in order of appearance.

The search stage builds its queries from this, the config check refuses a question with nothing
to search for, and the tribunal checks which parts of the question the sources answer. Only the
question text decides it: no clock, no randomness, no hash seeds.
"""

from __future__ import annotations

import re

from .normalize import detex, stems
from .stopwords import ENGLISH

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

# Words in which an asker frames a request ("explain with a few recent examples", "I want to
# understand ...", "especially helpful") rather than name what it is about: a source need not
# contain them to answer, so they are not terms the tribunal looks for. (Search still uses them.)
REQUEST_WORDS = frozenset(
    """
    able accurately answer any appreciate ask asked best certain common commonly concrete could
    describe detail detailed details different discuss especially example examples expect
    explain explained explanation few following general generally give good helpful
    important interested key know kind kinds list looking main mention might most need needed
    overview paper papers particular please possible provide question questions real recent
    recently right should some specific suggest tell thank thanks think
    understand understanding various want way ways wondering world would
    """.split()
)

_WORD = re.compile(r"[^\W_]+(?:[-.'][^\W_]+)*")  # any script's letters and digits
# Segment boundaries; the captured group is a sentence end, after which a capital is no name.
_SPLIT = re.compile(r"([?!]|\.(?:\s|$))|[,;:()\[\]\"]|\s[-–—]\s")
MAX_PHRASE_WORDS = 3


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


def asked_words(question: str) -> frozenset[str]:
    """The question's content words, stemmed (not its request words: how, what, compare)."""
    return frozenset(w for w in stems(question) if w not in STOPWORDS and w not in REQUEST_WORDS)
