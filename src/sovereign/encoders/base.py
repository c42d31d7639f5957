"""The interface every embedder has, `embed(texts, role) -> float32 (n, dimension)`, and the
vector arithmetic every semantic score shares (unit vectors, a BLAS-free cosine)."""

from __future__ import annotations

from typing import Protocol

import numpy as np

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


def check_role(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, not {role!r}")
