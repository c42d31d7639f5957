"""The TF-IDF cosine of two texts, IDF fitted on just that pair: the seeds' relevance signal.

Word unigrams and bigrams, English stop words removed, scikit-learn's smooth IDF on the corpus
{question, paper} and L2 norm. The filter scores papers with it; claims, relevance and the
verifier's features reuse the term counts.
"""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np

from .normalize import fold
from .stopwords import ENGLISH

# scikit-learn's word analyzer (TfidfVectorizer(preprocessor=fold, ngram_range=(1, 2),
# stop_words="english")), spelled out: importing scikit-learn costs every job that scores text
# about a second. tests/unit/filter/test_filter.py holds the two equal on real abstracts.
_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def _terms(text: str) -> list[str]:
    words = [w for w in _TOKEN.findall(fold(text)) if w not in ENGLISH]
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


# scikit-learn's smooth IDF on a corpus of two documents: ln((1 + n) / (1 + df)) + 1.
IDF_IN_BOTH = math.log(3 / 3) + 1
IDF_IN_ONE = math.log(3 / 2) + 1


def _weights(counts: Counter[str], other: Counter[str]) -> dict[str, float]:
    return {t: c * (IDF_IN_BOTH if t in other else IDF_IN_ONE) for t, c in counts.items()}


def _norm(weights: dict[str, float]) -> float:
    return math.sqrt(math.fsum(w * w for w in weights.values()))


def pair_cosine(question: Counter[str], paper: Counter[str]) -> float:
    """TF-IDF cosine of two term-count vectors, IDF fitted on just this pair."""
    shared = question.keys() & paper.keys()
    if not shared:
        return 0.0
    wq, wp = _weights(question, paper), _weights(paper, question)
    dot = math.fsum(wq[t] * wp[t] for t in shared)
    return min(1.0, dot / (_norm(wq) * _norm(wp)))


def term_counts(text: str) -> Counter[str]:
    """The unigram + bigram counts of a text, stop words removed, as the TF-IDF score sees it."""
    return Counter(_terms(text))


def tfidf_scores(question: str, documents: list[str]) -> np.ndarray:
    """TF-IDF cosine (unigrams + bigrams) of each document with the question."""
    terms = term_counts(question)
    return np.array([pair_cosine(terms, term_counts(d)) for d in documents], dtype=np.float64)
