"""Local text embedders behind one interface: `embed(texts, role) -> float32 (n, dimension)`.

Each is a pure function of one text: no batching effects, no clock, so the same text gives the
same bytes in any process and any batch (the embed stage's contract).

- `minilm` (default): all-MiniLM-L6-v2, a pretrained sentence encoder, as int8 ONNX
  (sovereign.minilm). The filter's and the claims stage's semantic scores use it too.
- `wordllama`: WordLlama `l2_supercat` 256-d token embeddings (distilled from large
  language models), average-pooled. The weights and tokenizer ship inside the `wordllama` wheel
  and are read from the package directory, never downloaded.
- `hashing`: scikit-learn's HashingVectorizer (word uni+bigrams) projected to 256-d by a fixed
  Gaussian matrix. Needs nothing but scikit-learn; lexical, not semantic.

The role (query vs passage) matters to e5-style models (NIM); these embed both alike.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path
from typing import Protocol

import numpy as np

from .errors import ConfigError

ROLES = ("query", "passage")


class Embedder(Protocol):
    backend: str

    @property
    def model(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def embed(self, texts: list[str], role: str) -> np.ndarray: ...


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine of two unit vectors in float64: an elementwise product and numpy's own sum, not
    BLAS, so the same bits on any CPU."""
    return float(np.sum(np.asarray(a, dtype=np.float64) * np.asarray(b, dtype=np.float64)))


def unit(vector: np.ndarray) -> np.ndarray:
    """L2-normalised in float64, then float32: cosine becomes a dot product."""
    norm = float(np.sqrt(np.sum(vector * vector)))  # numpy's own sum: no BLAS, same on any CPU
    return (vector / norm if norm > 0 else vector).astype(np.float32)


class WordLlamaEmbedder:
    backend = "wordllama"
    CONFIG = "l2_supercat"
    DIM = 256
    MAX_TOKENS = 4096  # a whole abstract, many times over; bounds a pathological input

    def __init__(self) -> None:
        self._matrix, self._tokenizer = _wordllama_parts(self.CONFIG, self.DIM)

    @property
    def model(self) -> str:
        return f"wordllama/{self.CONFIG}-{self.DIM}"

    @property
    def dimension(self) -> int:
        return self.DIM

    def embed(self, texts: list[str], role: str) -> np.ndarray:
        check_role(role)
        out = np.zeros((len(texts), self.DIM), dtype=np.float32)
        for i, text in enumerate(texts):
            ids = self._tokenizer.encode(text, add_special_tokens=False).ids[: self.MAX_TOKENS]
            if ids:
                # float64 sum over this text's tokens alone: batch- and order-independent.
                pooled = self._matrix[np.asarray(ids)].astype(np.float64).sum(axis=0) / len(ids)
                out[i] = unit(pooled)
        return out


@cache
def _wordllama_parts(config: str, dim: int):
    """The embedding matrix and tokenizer, from the files inside the installed wheel."""
    try:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        # Where the package lives, without importing it (its import costs a job ~0.25 s).
        spec = importlib.util.find_spec("wordllama")
        if spec is None or not spec.submodule_search_locations:
            raise ImportError("wordllama")
    except ImportError:
        raise ConfigError(
            "wordllama",
            "the package is not installed; the default embedder and the claims stage's "
            "relevance and verifier features need it",
            "install the pinned requirements (make setup, or pip install -r requirements.lock)",
        ) from None
    package = Path(list(spec.submodule_search_locations)[0])
    weights = package / "weights" / f"{config}_{dim}.safetensors"
    tokenizer_file = package / "tokenizers" / f"{config}_tokenizer_config.json"
    if not weights.is_file() or not tokenizer_file.is_file():
        raise ConfigError(
            "embed.backend",
            f"the wordllama package at {package} lacks its bundled {config} weights",
            "reinstall the pinned wordllama (pip install --force-reinstall wordllama==0.4.0.post1)",
        )
    tensors = load_file(str(weights))
    matrix = np.ascontiguousarray(tensors["embedding.weight"], dtype=np.float32)
    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return matrix, tokenizer


class HashingEmbedder:
    backend = "hashing"
    DIM = 256
    FEATURES = 2**15
    SEED = 20260522  # fixed: the projection is part of the model

    def __init__(self) -> None:
        from sklearn.feature_extraction.text import HashingVectorizer

        from .text import fold

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


def check_role(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, not {role!r}")


def encoder(threads: int = 1) -> Embedder:
    """The pretrained sentence encoder behind every semantic score the pipeline decides on
    (filter, claim relevance): fixed, because those thresholds were fitted on its cosines."""
    from .minilm import MiniLMEmbedder  # onnxruntime is imported only by jobs that use it

    return MiniLMEmbedder(threads)


LOCAL_BACKENDS = {
    "minilm": encoder,
    "wordllama": lambda threads=1: WordLlamaEmbedder(),
    "hashing": lambda threads=1: HashingEmbedder(),
}
