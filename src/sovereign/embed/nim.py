"""The `nim` embed backend: NVIDIA NIM embeddings (hosted or self-hosted), one ledger entry a text.

Each text's vector is stored under its model, role and text alone (never the key, never the host),
so the hosted API and a self-hosted NIM share entries, a rerun sends nothing, and offline replay
(Gate 2) needs no network. Only texts the ledger lacks are sent, once each, in batches. A batch
is checked whole (count, indices, dimension) before any of it is recorded.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..encoders.base import check_role
from ..errors import ConfigError, InputFileError, LedgerMiss, NetworkError
from ..io import canonical_json
from ..net.http import RetryPolicy, post_keyed_json, without_userinfo
from ..net.ledger import Ledger

if TYPE_CHECKING:
    import requests

NIM_SERVICE = "nim-embeddings"
MAX_BATCH = 50  # the hosted API's limit on inputs per request
TRUNCATE = "END"  # over-long texts are cut rather than refused, and the choice is recorded


class NimEmbedder:
    backend = "nim"

    def __init__(
        self,
        *,
        base_url: str,
        ledger: Ledger,
        model: str,
        dimension: int,
        batch_size: int,
        policy: RetryPolicy,
        offline: bool,
        api_key_env: str = "NVIDIA_API_KEY",  # not configurable: the key's one home
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        log: Callable[[str], None] = lambda _msg: None,
    ):
        if not 1 <= batch_size <= MAX_BATCH:
            raise ConfigError(
                "embed.batch_size",
                f"{batch_size} is outside 1..{MAX_BATCH}",
                f"set embed.batch_size to at most {MAX_BATCH} (the NIM limit per request)",
            )
        if dimension < 1:
            raise ConfigError(
                "embed.dimension",
                f"{dimension} is not a vector size",
                "set embed.dimension to the model's size (1024 for nvidia/nv-embedqa-e5-v5)",
            )
        self.url = base_url.rstrip("/") + "/v1/embeddings"
        # What messages and the ledger show: a password in the URL is as secret as the key.
        self.shown_url = without_userinfo(self.url)
        self.ledger = ledger
        self._model = model
        self._dimension = dimension
        self.batch_size = batch_size
        self.policy = policy
        self.offline = offline
        self.api_key_env = api_key_env
        self.session = session
        self.sleep = sleep
        self.log = log
        self.batches_sent = 0

    @property
    def model(self) -> str:
        return self._model

    @property
    def dimension(self) -> int:
        return self._dimension

    def ledger_request(self, text: str, role: str) -> dict[str, str]:
        """The ledger's address for one text's vector: what determines it, nothing else."""
        return {"model": self._model, "input_type": role, "truncate": TRUNCATE, "text": text}

    def embed(self, texts: list[str], role: str) -> np.ndarray:
        """float32 (len(texts), dimension), row i for texts[i]; role is "query" or "passage"."""
        check_role(role)
        unique = list(dict.fromkeys(texts))  # first appearance: a deterministic send order
        vectors: dict[str, np.ndarray] = {}
        missing: list[str] = []
        for text in unique:
            entry = self.ledger.get(NIM_SERVICE, self.ledger_request(text, role))
            if entry is None:
                missing.append(text)
            else:
                vectors[text] = self._decode(entry.body, self.ledger.path(NIM_SERVICE, entry.key))
        self.log(
            f"{NIM_SERVICE} {role}: {len(vectors)} of {len(unique)} distinct texts found in "
            "the ledger"
        )
        if missing and self.offline:
            raise LedgerMiss(
                f"{NIM_SERVICE} {role} text {missing[0][:60]!r}",
                f"offline: the ledger holds no {self._model} embedding for this text "
                f"({len(missing)} of {len(unique)} texts missing)",
                "run once with the network (embed backend nim) to record it, or switch "
                "embed.backend",
            )
        batches = [
            missing[i : i + self.batch_size] for i in range(0, len(missing), self.batch_size)
        ]
        for number, batch in enumerate(batches, start=1):
            vectors.update(self._embed_batch(batch, role))
            if len(batches) > 1:  # progress in the job's log, for a long run of requests
                done = min(number * self.batch_size, len(missing))
                self.log(f"{NIM_SERVICE} {role}: batch {number}/{len(batches)} ({done} texts)")
        if batches:
            self.log(f"{NIM_SERVICE} {role}: sent {len(batches)} batches for {len(missing)} texts")
        out = np.empty((len(texts), self._dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row] = vectors[text]
        return out

    def _embed_batch(self, batch: list[str], role: str) -> dict[str, np.ndarray]:
        """Send one batch, check the answer whole, then record and return one vector a text."""
        what = f"{NIM_SERVICE} ({self._model}, {role}) at {self.shown_url}"
        if self.session is None:
            import requests  # here, not at the top: most jobs never open a session

            self.session = requests.Session()
        self.batches_sent += 1
        _status, embeddings = post_keyed_json(
            self.session,
            self.url,
            {
                "input": batch,
                "model": self._model,
                "input_type": role,
                "encoding_format": "float",
                "truncate": TRUNCATE,
            },
            lambda body: self._check(body, len(batch), what),
            what=what,
            policy=self.policy,
            api_key_env=self.api_key_env,
            alternative="point embed.nim_url at a self-hosted NIM",
            sleep=self.sleep,
            log=self.log,
        )
        retrieved_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        vectors: dict[str, np.ndarray] = {}
        for text, embedding in zip(batch, embeddings, strict=True):
            body = canonical_json({"model": self._model, "embedding": embedding}).encode("utf-8")
            entry = self.ledger.put(
                NIM_SERVICE,
                self.ledger_request(text, role),
                status=200,
                retrieved_at=retrieved_at,
                body=body,
                url=self.shown_url,
            )
            # Decoded from the recorded bytes, so a fresh vector equals its replay bit for bit.
            vectors[text] = self._decode(entry.body, self.ledger.path(NIM_SERVICE, entry.key))
        return vectors

    def _check(self, body: bytes, count: int, what: str) -> list[list[float]]:
        """The batch's vectors in input order, or NetworkError if the answer is not usable."""

        def bad(problem: str, fix: str = "check embed.nim_url and embed.model") -> NetworkError:
            return NetworkError(what, problem, fix)

        try:
            data = json.loads(body)["data"]
            items = sorted(data, key=lambda item: item["index"])  # may arrive out of order
            embeddings = [item["embedding"] for item in items]
        except (ValueError, KeyError, TypeError):
            start = " ".join(body[:120].decode("utf-8", "replace").split())
            raise bad(f"the answer is not an embeddings JSON response: {start!r}") from None
        if len(items) != count:
            raise bad(f"the service returned {len(items)} vectors for a batch of {count} texts")
        if [item["index"] for item in items] != list(range(count)):
            raise bad(f"the service returned indices other than 0..{count - 1}")
        for embedding in embeddings:
            if not isinstance(embedding, list) or len(embedding) != self._dimension:
                size = len(embedding) if isinstance(embedding, list) else "non-list"
                raise bad(
                    f"the service returned {size}-d vectors but embed dimension is "
                    f"{self._dimension}",
                    "set embed.dimension to the model's size or check embed.model",
                )
            if not all(_is_finite_number(x) for x in embedding):
                raise bad("the service returned a vector with a non-numeric or non-finite value")
        return embeddings

    def _decode(self, body: bytes, path: Path) -> np.ndarray:
        try:
            vector = np.asarray(json.loads(body)["embedding"], dtype=np.float32)
        except (ValueError, KeyError, TypeError) as err:
            raise InputFileError(
                str(path),
                f"ledger entry is not an embedding ({err})",
                f"delete {path} so the text is embedded again (needs the network)",
            ) from None
        if vector.shape != (self._dimension,):
            raise InputFileError(
                str(path),
                f"ledger entry holds a {vector.size}-d vector but embed dimension is "
                f"{self._dimension}",
                "set embed.dimension to the model's size or check embed.model",
            )
        return vector


def _is_finite_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)
