"""The `wordllama` embedder: WordLlama `l2_supercat` 256-d token embeddings (distilled from large
language models), average-pooled. The weights and tokenizer ship inside the `wordllama` wheel and
are read from the package directory, never downloaded. The verifier's features use it too."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from .base import check_role, unit


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
