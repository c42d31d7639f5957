"""The Arrow schema of every stage file, in one place: the stage contracts as code."""

from __future__ import annotations

import pyarrow as pa

_PAPER = [
    pa.field("arxiv_id", pa.string(), nullable=False),
    pa.field("arxiv_id_versioned", pa.string()),
    pa.field("title", pa.string(), nullable=False),
    pa.field("abstract", pa.string(), nullable=False),
    pa.field("authors", pa.list_(pa.string()), nullable=False),
    pa.field("categories", pa.list_(pa.string()), nullable=False),
    pa.field("primary_category", pa.string()),
    pa.field("published", pa.string()),
    pa.field("updated", pa.string()),
    pa.field("doi", pa.string()),
    pa.field("journal_ref", pa.string()),
    pa.field("comment", pa.string()),
    pa.field("links", pa.list_(pa.string()), nullable=False),
]

RAW = pa.schema(
    [
        pa.field("question_id", pa.string(), nullable=False),
        pa.field("query_index", pa.int32(), nullable=False),
        pa.field("query_kind", pa.string(), nullable=False),
        pa.field("query", pa.string(), nullable=False),
        pa.field("rank", pa.int32(), nullable=False),
        *_PAPER,
        pa.field("backend", pa.string(), nullable=False),
        pa.field("search_score", pa.float64()),
        pa.field("ledger_key", pa.string()),
        pa.field("source_ref", pa.string()),
        pa.field("retrieved_at", pa.string()),
    ]
)
RAW_SORT = ("query_index", "rank")

FILTERED = pa.schema(
    [
        pa.field("question_id", pa.string(), nullable=False),
        *_PAPER,
        pa.field("first_query_index", pa.int32(), nullable=False),
        pa.field("best_rank", pa.int32(), nullable=False),
        pa.field("query_hits", pa.int32(), nullable=False),
        pa.field("tfidf_score", pa.float64(), nullable=False),
        pa.field("kept", pa.bool_(), nullable=False),
    ]
)
FILTERED_SORT = ("arxiv_id",)

PAPER_COLUMNS = tuple(f.name for f in _PAPER)
