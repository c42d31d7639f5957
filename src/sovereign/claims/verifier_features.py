"""Features of a (claim, evidence) pair that a claim verifier can learn from.

Small and readable on purpose: each feature is a measured signal of agreement (overlap, shared
numbers), of conflict (negation on one side only, opposite directions of change, numbers or
content words the evidence does not have), or of indirection (hedges, length). A linear model on
these (and the WordLlama cosine of the two texts) is what sovereign.claims.verifier ships.
"""

from __future__ import annotations

import math
import re

from ..text.normalize import fold
from ..text.stopwords import ENGLISH as STOP_WORDS
from ..text.tfidf import pair_cosine, term_counts

_WORD = re.compile(r"[a-z][a-z0-9]*(?:[-'][a-z0-9]+)*|[0-9]+(?:[.,][0-9]+)*")
_NUMBER = re.compile(r"^[0-9]+(?:[.,][0-9]+)*$")

NEGATIONS = frozenset(
    "no not nor never none neither without cannot lack lacks lacking absence absent fail "
    "fails failed unable unlikely false n't".split()
)
UP = frozenset(
    "increase increases increased increasing higher high more greater improve improves improved "
    "improving enhance enhances enhanced boost boosts boosted raise raises raised elevated "
    "rise rises rising promote promotes promoted accelerate accelerates accelerated "
    "outperform outperforms outperformed better gain gains larger exceed exceeds up "
    "positive".split()
)
DOWN = frozenset(
    "decrease decreases decreased decreasing lower low less fewer reduce reduces reduced "
    "reducing reduction decline declines declined inhibit inhibits inhibited suppress suppresses "
    "suppressed impair impairs impaired worse worsen drop drops dropped smaller diminish "
    "diminished attenuate attenuated degrade degrades degraded down negative loss".split()
)
HEDGES = frozenset(
    "may might could possibly possible suggest suggests suggested likely unclear whether "
    "potential potentially hypothesize hypothesized speculate appears".split()
)
NULL_FINDING = re.compile(
    r"\b(no (significant|difference|effect|evidence|association|change|correlation)|"
    r"not (significantly|associated|correlated|affect|change|differ)|did not|does not|do not|"
    r"failed to|was not|were not|is not|are not)\b"
)

FEATURE_NAMES = (
    "recall",  # share of the claim's content words found in the evidence
    "bigram_recall",  # share of the claim's word pairs found in the evidence
    "precision",  # share of the evidence's content words found in the claim
    "tfidf",  # TF-IDF cosine (uni+bigrams, pair IDF), as the filter computes it
    "novel_words",  # log(1 + claim content words absent from the evidence)
    "neg_claim",
    "neg_evidence",
    "neg_mismatch",  # negation on exactly one side
    "null_claim",
    "null_evidence",
    "numbers_claim",  # the claim states numbers
    "numbers_missing",  # share of the claim's numbers the evidence lacks (0 without numbers)
    "direction_agree",  # both sides say up, or both down
    "direction_conflict",  # one says up, the other down
    "hedge_evidence",
    "len_claim",  # log word count
    "len_evidence",
)


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def _stem(word: str) -> str:
    # Plural and third-person -s only: enough that "experts" matches "expert" without a stemmer.
    if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _content(tokens: list[str]) -> list[str]:
    return [_stem(t) for t in tokens if t not in STOP_WORDS and t not in NEGATIONS]


def _bigrams(tokens: list[str]) -> set[tuple[str, str]]:
    return set(zip(tokens, tokens[1:], strict=False))


def _direction(tokens: set[str]) -> tuple[bool, bool]:
    stems = tokens | {_stem(t) for t in tokens}  # "lowers" is "lower"
    return bool(stems & UP), bool(stems & DOWN)


def pair_features(claim: str, evidence: str) -> list[float]:
    """The features of FEATURE_NAMES, in that order."""
    c_tokens, e_tokens = words(claim), words(evidence)
    c_set, e_set = set(c_tokens), set(e_tokens)
    c_content, e_content = _content(c_tokens), _content(e_tokens)
    c_cset, e_cset = set(c_content), set(e_content)
    recall = len(c_cset & e_cset) / len(c_cset) if c_cset else 0.0
    precision = len(c_cset & e_cset) / len(e_cset) if e_cset else 0.0
    c_bi = _bigrams(c_content)
    bigram_recall = len(c_bi & _bigrams(e_content)) / len(c_bi) if c_bi else 0.0
    tfidf = pair_cosine(term_counts(claim), term_counts(evidence))
    novel = len(c_cset - e_cset)
    neg_c, neg_e = bool(c_set & NEGATIONS), bool(e_set & NEGATIONS)
    folded_c, folded_e = " ".join(c_tokens), " ".join(e_tokens)
    c_numbers = {t for t in c_tokens if _NUMBER.match(t)}
    e_numbers = {t for t in e_tokens if _NUMBER.match(t)}
    missing = len(c_numbers - e_numbers) / len(c_numbers) if c_numbers else 0.0
    c_up, c_down = _direction(c_set)
    e_up, e_down = _direction(e_set)
    agree = (c_up and e_up and not e_down) or (c_down and e_down and not e_up)
    conflict = (c_up and not c_down and e_down and not e_up) or (
        c_down and not c_up and e_up and not e_down
    )
    return [
        recall,
        bigram_recall,
        precision,
        tfidf,
        math.log1p(novel),
        float(neg_c),
        float(neg_e),
        float(neg_c != neg_e),
        float(bool(NULL_FINDING.search(folded_c))),
        float(bool(NULL_FINDING.search(folded_e))),
        float(bool(c_numbers)),
        missing,
        float(agree),
        float(conflict),
        float(bool(e_set & HEDGES)),
        math.log1p(len(c_tokens)),
        math.log1p(len(e_tokens)),
    ]
