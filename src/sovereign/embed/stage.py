"""The embed stage: one vector per kept paper (passage role) and one for the question (query).

Every row names its backend, model and dimension, so vectors of different embedders are never
mixed: `vectors()` refuses a table that holds more than one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa

from ..contracts import document
from ..encoders.base import Embedder
from ..encoders.local import LOCAL_BACKENDS, cached
from ..errors import InputFileError
from ..filter.stage import near_misses as nearest
from ..net.ledger import Ledger
from .settings import Settings

QUESTION_ITEM = "question"


def make_embedder(
    settings: Settings, log: Callable[[str], None] = lambda _m: None, threads: int = 1
) -> Embedder:
    """The embedder `embed.backend` names; a local one keeps its vectors in the shared cache
    (NIM's are kept in the ledger)."""
    if settings.backend in LOCAL_BACKENDS:
        return cached(LOCAL_BACKENDS[settings.backend](threads), settings.cache)
    from .nim import NimEmbedder  # requests and the ledger only when the remote backend is used

    return NimEmbedder(
        base_url=settings.nim_url,
        ledger=Ledger(settings.ledger),
        model=settings.model,
        dimension=settings.dimension,
        batch_size=settings.batch_size,
        offline=settings.offline,
        policy=settings.policy,
        log=log,
    )


def embedded_papers(
    filtered: list[dict[str, Any]], near_misses: int | None = 0
) -> list[dict[str, Any]]:
    """The papers the index holds: the kept ones and the filter's `near_misses` nearest misses
    (which the full-text stage's second look may keep), by arXiv id."""
    papers = [p for p in filtered if p["kept"]] + nearest(filtered, near_misses)
    return sorted(papers, key=lambda p: p["arxiv_id"])


def embedding_rows(
    question_id: str,
    question: str,
    filtered: pa.Table,
    embedder: Embedder,
    near_misses: int | None = 0,
) -> list[dict[str, Any]]:
    """Rows of the embeddings stage: the question, then every kept paper (title + abstract) and
    the filter's `near_misses` nearest misses."""
    papers = embedded_papers(filtered.to_pylist(), near_misses)
    documents = [document(p) for p in papers]
    query = embedder.embed([question], "query")
    passages = embedder.embed(documents, "passage")
    if embedder.backend not in LOCAL_BACKENDS:
        # A remote model may not return unit vectors; the index promises them (cosine = dot).
        # The local embedders already normalise, in float64, and are left bit for bit alone.
        query, passages = unit_rows(query), unit_rows(passages)
    items = [(QUESTION_ITEM, "query", question, query[0])] + [
        (p["arxiv_id"], "passage", text, vector)
        for p, text, vector in zip(papers, documents, passages, strict=True)
    ]
    rows = []
    for item_id, role, text, vector in items:
        rows.append(
            {
                "question_id": question_id,
                "item_id": item_id,
                "role": role,
                "text_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                "backend": embedder.backend,
                "model": embedder.model,
                "dimension": embedder.dimension,
                "vector": np.asarray(vector, dtype=np.float32).tolist(),
            }
        )
    return rows


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length in float64, then float32; all-zero rows stay zero."""
    m = np.asarray(matrix, dtype=np.float64)
    norms = np.sqrt(np.einsum("ij,ij->i", m, m))[:, None]
    return (m / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def vectors(table: pa.Table, path: str) -> tuple[str, dict[str, np.ndarray]]:
    """The model name and {item_id: vector} of an embeddings table, which must hold one model."""
    models = sorted(
        set(
            zip(table.column("backend").to_pylist(), table.column("model").to_pylist(), strict=True)
        )
    )
    if len(models) != 1:
        raise InputFileError(
            path,
            f"holds vectors of {len(models)} embedders {models}; they cannot be compared",
            f"delete {path} and run the workflow again to rebuild it",
        )
    items = table.column("item_id").to_pylist()
    matrix = np.asarray(table.column("vector").to_pylist(), dtype=np.float32)
    return models[0][1], {item: matrix[i] for i, item in enumerate(items)}
