"""Local embedders and the embed stage: shapes, determinism (batches, processes), no mixing."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest

from sovereign import schemas
from sovereign.embed.stage import QUESTION_ITEM, embedding_rows, vectors
from sovereign.encoders.cache import CachedEmbedder
from sovereign.encoders.hashing import HashingEmbedder
from sovereign.encoders.minilm import MiniLMEmbedder
from sovereign.encoders.wordllama import WordLlamaEmbedder
from sovereign.errors import ConfigError, InputFileError
from sovereign.io import to_table
from support.paths import REPO

TEXTS = [
    "Sparse mixture-of-experts routing sends each token to its top-k experts.",
    "Expert routing in MoE models assigns tokens to a few specialised experts.",
    "Protein folding structures are predicted from amino-acid sequences.",
    "",
    "Résumé: $\\ell_1$ regularisation of \\emph{sparse} models " * 40,
]


@pytest.fixture(
    params=[MiniLMEmbedder, WordLlamaEmbedder, HashingEmbedder], ids=lambda c: c.backend
)
def embedder(request):
    return request.param()


def test_vectors_are_unit_float32_rows_in_input_order(embedder):
    v = embedder.embed(TEXTS, "passage")
    assert v.shape == (len(TEXTS), embedder.dimension) and v.dtype == np.float32
    norms = np.linalg.norm(v, axis=1)
    assert np.allclose(norms[[0, 1, 2, 4]], 1.0, atol=1e-5)
    assert norms[3] == 0.0  # an empty text has no direction rather than a made-up one
    assert embedder.embed([TEXTS[2]], "passage").tobytes() == v[2].tobytes()


def test_batch_size_and_order_do_not_change_a_byte(embedder):
    whole = embedder.embed(TEXTS, "query")
    one_by_one = np.vstack([embedder.embed([t], "query") for t in TEXTS])
    reversed_ = embedder.embed(TEXTS[::-1], "query")[::-1]
    assert whole.tobytes() == one_by_one.tobytes() == reversed_.tobytes()


def test_related_texts_are_nearer_than_unrelated(embedder):
    v = embedder.embed(TEXTS[:3], "passage")
    assert v[0] @ v[1] > v[0] @ v[2]


def test_unknown_role_is_refused(embedder):
    with pytest.raises(ValueError, match="role"):
        embedder.embed(["x"], "document")


def test_same_bytes_in_another_process_with_another_hash_seed():
    code = (
        "import sys; sys.path.insert(0, 'src');"
        "from sovereign.encoders.wordllama import WordLlamaEmbedder;"
        "from sovereign.encoders.hashing import HashingEmbedder;"
        "from sovereign.encoders.minilm import MiniLMEmbedder;"
        f"texts = {TEXTS!r};"
        "sys.stdout.buffer.write(WordLlamaEmbedder().embed(texts, 'passage').tobytes()"
        " + HashingEmbedder().embed(texts, 'passage').tobytes()"
        " + MiniLMEmbedder(threads=1).embed(texts, 'passage').tobytes())"
    )
    outs = [
        subprocess.run(
            [sys.executable, "-c", code],
            cwd=REPO,
            capture_output=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"},
        ).stdout
        for seed in ("1", "2")
    ]
    here = (
        WordLlamaEmbedder().embed(TEXTS, "passage").tobytes()
        + HashingEmbedder().embed(TEXTS, "passage").tobytes()
        + MiniLMEmbedder(threads=2).embed(TEXTS, "passage").tobytes()
    )
    assert outs[0] == outs[1] == here


def _filtered(papers):
    rows = []
    for i, (title, kept) in enumerate(papers):
        rows.append(
            {
                "question_id": "q",
                "arxiv_id": f"2501.0000{i}",
                "title": title,
                "abstract": f"{title} abstract.",
                "authors": [],
                "categories": [],
                "links": [],
                "first_query_index": 0,
                "best_rank": i,
                "query_hits": 1,
                "tfidf_score": 0.5 if kept else 0.0,
                "tfidf_pass": kept,
                "semantic_score": 0.0,
                "semantic_pass": False,
                "kept": kept,
            }
        )
    return to_table(rows, schemas.FILTERED)


def test_embedding_rows_cover_the_question_and_kept_papers_only():
    filtered = _filtered([("Expert routing", True), ("Unrelated", False), ("Load balance", True)])
    rows = embedding_rows("q", "How does routing work?", filtered, HashingEmbedder())
    assert [(r["item_id"], r["role"]) for r in rows] == [
        (QUESTION_ITEM, "query"),
        ("2501.00000", "passage"),
        ("2501.00002", "passage"),
    ]
    assert {(r["backend"], r["model"], r["dimension"]) for r in rows} == {
        ("hashing", HashingEmbedder().model, 256)
    }
    table = to_table(rows, schemas.EMBEDDINGS)
    model, index = vectors(table, "e.parquet")
    assert model == HashingEmbedder().model and set(index) == {
        QUESTION_ITEM,
        "2501.00000",
        "2501.00002",
    }


def test_vectors_of_two_embedders_are_never_mixed():
    filtered = _filtered([("Expert routing", True)])
    rows = embedding_rows("q", "routing?", filtered, HashingEmbedder())
    rows += embedding_rows("q", "routing?", filtered, WordLlamaEmbedder())[1:]
    with pytest.raises(InputFileError, match="2 embedders"):
        vectors(pa.Table.from_pylist(rows, schema=schemas.EMBEDDINGS), "e.parquet")


def test_minilm_is_the_pretrained_sentence_encoder():
    """A paraphrase with no word in common is near, an unrelated text is not; the vector is
    384-d; truncation at 256 tokens makes a long text's tail irrelevant."""
    m = MiniLMEmbedder()
    q, para, other = m.embed(
        [
            "How fast do transformers run on phones?",
            "Latency of attention networks on mobile devices is measured.",
            "Protein folding structures are predicted from amino-acid sequences.",
        ],
        "query",
    )
    assert m.dimension == 384 and q.shape == (384,)
    assert q @ para > 0.2 and q @ para > q @ other + 0.2
    long = "word " * 300
    assert m.embed([long], "passage").tobytes() == m.embed([long + "tail"], "passage").tobytes()


def test_minilm_refuses_a_tampered_tokenizer(tmp_path, monkeypatch):
    from sovereign.encoders import minilm

    fake = tmp_path / "tokenizer.json"
    fake.write_bytes(minilm.TOKENIZER_FILE.read_bytes().replace(b'"[UNK]"', b'"[UNX]"', 1))
    monkeypatch.setattr(minilm, "TOKENIZER_FILE", fake)
    minilm._parts.cache_clear()
    try:
        with pytest.raises(ConfigError, match="sha256 differs"):
            MiniLMEmbedder()
    finally:
        minilm._parts.cache_clear()


class _Counting:
    backend = "hashing"
    model = "counting/test"
    dimension = 256

    def __init__(self):
        self.inner, self.calls = HashingEmbedder(), []

    def embed(self, texts, role):
        self.calls.append(list(texts))
        return self.inner.embed(texts, role)


def test_the_cache_embeds_a_text_once_and_gives_the_same_bytes(tmp_path):
    inner = _Counting()
    cached = CachedEmbedder(inner, tmp_path)
    first = cached.embed(TEXTS + TEXTS[:1], "passage")
    assert inner.calls == [TEXTS]  # the repeated text is embedded once
    again = CachedEmbedder(_Counting(), tmp_path)
    second = again.embed(TEXTS[::-1], "passage")[::-1]
    assert again.inner.calls == [] and again.hits == len(TEXTS)
    assert (
        second.tobytes()
        == first[: len(TEXTS)].tobytes()
        == inner.inner.embed(TEXTS, "passage").tobytes()
    )
    # The role is part of the address (e5-style models embed a query differently).
    CachedEmbedder(again.inner, tmp_path).embed(TEXTS[:1], "query")
    assert again.inner.calls == [TEXTS[:1]]


def test_a_damaged_cache_entry_is_recomputed_not_used(tmp_path):
    inner = _Counting()
    CachedEmbedder(inner, tmp_path).embed(TEXTS[:2], "passage")
    files = sorted(tmp_path.rglob("*.f32"))
    assert len(files) == 2
    files[0].write_bytes(files[0].read_bytes()[:-1] + b"x")  # a flipped byte
    files[1].write_bytes(b"")  # a truncated file
    fresh = _Counting()
    out = CachedEmbedder(fresh, tmp_path).embed(TEXTS[:2], "passage")
    assert sorted(map(len, fresh.calls)) == [2]
    assert out.tobytes() == HashingEmbedder().embed(TEXTS[:2], "passage").tobytes()
    assert all(len(f.read_bytes()) == 256 * 4 + 32 for f in files)  # rewritten whole
