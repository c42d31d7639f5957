"""The `hashing` embedder: scikit-learn's HashingVectorizer (word uni+bigrams) projected to 256-d
by a fixed Gaussian matrix. Needs nothing but scikit-learn; lexical, not semantic."""

from __future__ import annotations

from functools import cache

import numpy as np

from .base import check_role, unit


class HashingEmbedder:
    backend = "hashing"
    DIM = 256
    FEATURES = 2**15
    SEED = 20260522  # fixed: the projection is part of the model

    def __init__(self) -> None:
        from sklearn.feature_extraction.text import HashingVectorizer

        from ..text.normalize import fold

        self._vectorizer = HashingVectorizer(
            n_features=self.FEATURES,
            ngram_range=(1, 2),
            preprocessor=fold,
            stop_words="english",
            alternate_sign=False,
            norm=None,
        )

    @property
    def model(self) -> str:
        return f"hashing-{self.FEATURES}-proj{self.DIM}-seed{self.SEED}"

    @property
    def dimension(self) -> int:
        return self.DIM

    def embed(self, texts: list[str], role: str) -> np.ndarray:
        check_role(role)
        projection = _projection(self.FEATURES, self.DIM, self.SEED)
        out = np.zeros((len(texts), self.DIM), dtype=np.float32)
        for i, text in enumerate(texts):
            row = self._vectorizer.transform([text])
            if row.nnz:
                # Sublinear counts, then a sum over this text's own hashed terms (in index order).
                order = np.argsort(row.indices, kind="stable")
                idx, val = row.indices[order], 1.0 + np.log(row.data[order])
                rows = projection[idx].astype(np.float64) * val[:, None]
                out[i] = unit(rows.sum(axis=0))
        return out


@cache
def _projection(features: int, dim: int, seed: int) -> np.ndarray:
    """A fixed Gaussian random projection (features x dim, 32 MB at 2^15 x 256)."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((features, dim)) / np.sqrt(dim)).astype(np.float32)
