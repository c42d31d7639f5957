"""The local embedders by name, and the pipeline's fixed sentence encoder with its shared cache.

- `minilm` (default): all-MiniLM-L6-v2, a pretrained sentence encoder, as int8 ONNX
  (sovereign.encoders.minilm). The filter's and the claims stage's semantic scores use it too.
- `wordllama`: WordLlama token embeddings, average-pooled (sovereign.encoders.wordllama).
- `hashing`: hashed word uni+bigrams, randomly projected (sovereign.encoders.hashing).

Each is a pure function of one text: no batching effects, no clock, so the same text gives the
same bytes in any process and any batch (the embed stage's contract). The role (query vs
passage) matters to e5-style models (NIM); these embed both alike.
"""

from __future__ import annotations

from typing import Any

from .base import Embedder
from .cache import CachedEmbedder
from .hashing import HashingEmbedder
from .wordllama import WordLlamaEmbedder


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


def cached(embedder: Embedder, cache: str) -> Embedder:
    """`embedder` with its vectors kept in <cache>/embeddings, shared by every stage and
    question (the `cache` setting)."""
    return CachedEmbedder(embedder, f"{cache}/embeddings")


def encoder_for(config: dict[str, Any], threads: int = 1) -> Embedder:
    """The pipeline's fixed sentence encoder (`encoder`), cached."""
    return cached(encoder(threads), config["cache"])
