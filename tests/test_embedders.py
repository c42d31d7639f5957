"""Local embedders and the embed stage: shapes, determinism (batches, processes), no mixing."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest

from conftest import REPO
from sovereign import schemas
from sovereign.embed import QUESTION_ITEM, embedding_rows, vectors
from sovereign.embedders import HashingEmbedder, WordLlamaEmbedder
from sovereign.errors import InputFileError
from sovereign.parquet_io import to_table

TEXTS = [
    "Sparse mixture-of-experts routing sends each token to its top-k experts.",
    "Expert routing in MoE models assigns tokens to a few specialised experts.",
    "Protein folding structures are predicted from amino-acid sequences.",
    "",
    "Résumé: $\\ell_1$ regularisation of \\emph{sparse} models " * 40,
]


@pytest.fixture(params=[WordLlamaEmbedder, HashingEmbedder], ids=lambda c: c.backend)
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
        "from sovereign.embedders import WordLlamaEmbedder, HashingEmbedder;"
        f"texts = {TEXTS!r};"
        "sys.stdout.buffer.write(WordLlamaEmbedder().embed(texts, 'passage').tobytes()"
        " + HashingEmbedder().embed(texts, 'passage').tobytes())"
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
