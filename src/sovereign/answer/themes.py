"""Themes: the answer's quotes grouped by meaning, named from their own words, strongest first.

Grouping is Ward agglomerative clustering of the quotes' unit sentence-encoder vectors (average
linkage left one theme holding nearly everything, beside single-sentence outliers): no random
start, so the same quotes in the same order give the same themes. The number
of themes grows with the square root of the evidence, up to `max_themes`. A theme's name is its
most distinctive words (class TF-IDF: frequent in the theme, rare in the others, two-word phrases
preferred, the question's own words and the words every abstract uses left out). Themes are
ordered by the relevant evidence they carry (the sum of their quotes' relevance).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..text.normalize import fold, stem
from ..text.question import REQUEST_WORDS, STOPWORDS
from .evidence import Quote

# Words every abstract uses: they name no theme.
GENERIC_WORDS = frozenset(
    """
    achieve achieved achieves achieving across also allow allows approach approaches based
    baseline baselines better can demonstrate demonstrated demonstrates different effective
    experiment experimental experiments extensive find finding findings first furthermore however
    improve improved improvement improvements improves including introduce large leads less
    method methods model models moreover more new novel number obtain often one paper present
    previous problem propose proposed provide provides recent respectively results show shown
    shows significant significantly state-of-the-art study task tasks three two use used uses
    using well wide widely work works
    """.split()
)
_WORD = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
NAME_TERMS = 3


@dataclass(frozen=True)
class Theme:
    label: str
    quotes: tuple[Quote, ...]  # strongest first

    @property
    def weight(self) -> float:
        return sum(q.relevance for q in self.quotes)

    @property
    def papers(self) -> tuple[str, ...]:
        return tuple(sorted({q.arxiv_id for q in self.quotes}))


def theme_count(n: int, max_themes: int) -> int:
    """About sqrt(n/2) themes for n quotes: 1 up to 4, 3 at 18, 6 at 72 (capped)."""
    if n < 3:
        return 1
    return max(1, min(max_themes, round(math.sqrt(n / 2)), n))


def cluster(vectors: np.ndarray, k: int) -> list[int]:
    """A cluster number per row (not ordered by anything a reader sees)."""
    if k <= 1 or len(vectors) <= 1:
        return [0] * len(vectors)
    from sklearn.cluster import AgglomerativeClustering

    # Unit length, so Ward's Euclidean variance is the cosine's; rounded, so a last-bit
    # difference between encoder builds cannot regroup the quotes.
    rows = np.asarray(vectors, dtype=np.float64)
    rows = rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
    rows = np.round(rows, 5)
    model = AgglomerativeClustering(n_clusters=k, linkage="ward")
    return [int(c) for c in model.fit_predict(rows)]


def _terms(text: str, excluded: frozenset[str]) -> list[str]:
    """Unigrams and bigrams of content words (folded), the excluded words left out."""
    words = [w for w in _WORD.findall(fold(text)) if len(w) > 2 or w.isupper()]
    content = [w for w in words if w not in STOPWORDS and w not in excluded]
    kept = {i for i, w in enumerate(words) if w not in STOPWORDS and w not in excluded}
    bigrams = [f"{words[i]} {words[i + 1]}" for i in range(len(words) - 1) if {i, i + 1} <= kept]
    return content + bigrams


def _stems(term: str) -> set[str]:
    return {stem(w) for w in term.split()}


def name_themes(groups: list[list[Quote]], question: str) -> list[str]:
    """A name per group: its NAME_TERMS most distinctive terms, joined by ' · '."""
    asked = [w for w in _WORD.findall(fold(question)) if w not in STOPWORDS]
    excluded = GENERIC_WORDS | REQUEST_WORDS | frozenset(asked)
    prefixes = tuple(w[:6] for w in asked if len(w) >= 6)  # watermark ~ watermarking

    def terms(text: str) -> set[str]:
        return {t for t in _terms(text, excluded) if not t.split()[0].startswith(prefixes or "\0")}

    counts = [Counter(t for q in g for t in terms(q.text)) for g in groups]
    spread = Counter(t for c in counts for t in c)  # how many themes use a term
    names = []
    for c in counts:
        size = sum(1 for _ in c) or 1
        scored = sorted(
            (
                -(n / size) * math.log(1 + len(groups) / spread[t]) * (1.5 if " " in t else 1.0),
                t,
            )
            for t, n in c.items()
            if (n >= 2 or len(c) < 2 * NAME_TERMS)  # a term of one sentence names only that one
            and (spread[t] < len(groups) or len(groups) < 3)  # nor one every theme uses
        )
        chosen: list[str] = []
        for _, term in scored:
            if any(_stems(term) & _stems(other) for other in chosen):
                continue  # a word already in the name (token ~ tokens)
            chosen.append(term)
            if len(chosen) == NAME_TERMS:
                break
        names.append(" · ".join(chosen) or "other findings")
    return names


def build_themes(
    quotes: list[Quote],
    vectors: np.ndarray,
    question: str,
    max_themes: int,
    key: Callable[[Quote], tuple] = lambda q: q.strength,
) -> list[Theme]:
    """The quotes (claim-id order, one vector each) as themes, the heaviest first, each theme's
    quotes strongest first by `key`."""
    if not quotes:
        return []
    labels = cluster(vectors, theme_count(len(quotes), max_themes))
    groups: dict[int, list[Quote]] = {}
    for quote, label in zip(quotes, labels, strict=True):
        groups.setdefault(label, []).append(quote)
    ordered = [sorted(g, key=key) for g in groups.values()]
    names = name_themes(ordered, question)
    themes = [Theme(name, tuple(g)) for name, g in zip(names, ordered, strict=True)]
    return sorted(themes, key=lambda t: (-round(t.weight, 9), t.quotes[0].claim_id))
