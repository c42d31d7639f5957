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
        pa.field("tfidf_pass", pa.bool_(), nullable=False),  # tfidf_score >= filter.threshold
        pa.field("semantic_score", pa.float64(), nullable=False),  # encoder cosine
        pa.field("semantic_pass", pa.bool_(), nullable=False),  # >= the fitted threshold
        pa.field("kept", pa.bool_(), nullable=False),  # tfidf_pass or semantic_pass
    ]
)
FILTERED_SORT = ("arxiv_id",)

PAPER_COLUMNS = tuple(f.name for f in _PAPER)

EMBEDDINGS = pa.schema(
    [
        pa.field("question_id", pa.string(), nullable=False),
        pa.field("item_id", pa.string(), nullable=False),  # arxiv_id, or "question"
        pa.field("role", pa.string(), nullable=False),  # passage (paper) or query (question)
        pa.field("text_sha256", pa.string(), nullable=False),  # of the exact text embedded
        pa.field("backend", pa.string(), nullable=False),
        pa.field("model", pa.string(), nullable=False),
        pa.field("dimension", pa.int32(), nullable=False),
        pa.field("vector", pa.list_(pa.float32()), nullable=False),  # L2-normalised
    ]
)
EMBEDDINGS_SORT = ("role", "item_id")

# A kept paper's text as sections (sovereign.fulltext): its abstract, then its body as parsed
# from its source; one row per section.
SECTIONS = pa.schema(
    [
        pa.field("question_id", pa.string(), nullable=False),
        pa.field("arxiv_id", pa.string(), nullable=False),
        pa.field("version", pa.int32()),  # of the source read (null: not known)
        pa.field("section_index", pa.int32(), nullable=False),  # 0: the abstract
        pa.field("section_path", pa.string(), nullable=False),  # "4 Experiments / 4.2 Ablations"
        pa.field("text", pa.string(), nullable=False),
        pa.field("source_kind", pa.string(), nullable=False),  # latex | pdf | abstract
        pa.field("source_sha256", pa.string()),  # of the source file (null: the abstract)
        pa.field("source_ref", pa.string()),  # its file name or ledger entry
        pa.field("parser_version", pa.string(), nullable=False),
        pa.field("note", pa.string()),  # on the abstract row: why no (or a weaker) full text
        # abstract: the filter kept the paper; full text: a second look at its body did
        pa.field("kept_on", pa.string(), nullable=False),
    ]
)
SECTIONS_SORT = ("arxiv_id", "section_index")

_EVIDENCE = [
    pa.field("support_arxiv_id", pa.string()),
    pa.field("support_sentence_index", pa.int32()),
    pa.field("support_text", pa.string()),
    pa.field("support_score", pa.float64()),
    pa.field("contradict_arxiv_id", pa.string()),
    pa.field("contradict_sentence_index", pa.int32()),
    pa.field("contradict_text", pa.string()),
    pa.field("contradict_score", pa.float64()),
]

CLAIMS = pa.schema(
    [
        pa.field("question_id", pa.string(), nullable=False),
        pa.field("claim_id", pa.string(), nullable=False),  # <arxiv_id>#<sentence_index>
        pa.field("arxiv_id", pa.string(), nullable=False),
        pa.field("sentence_index", pa.int32(), nullable=False),  # within the paper
        pa.field("section_index", pa.int32(), nullable=False),  # sections.parquet; 0: abstract
        pa.field("section_path", pa.string(), nullable=False),
        pa.field("char_start", pa.int32(), nullable=False),  # span into the section's text
        pa.field("char_end", pa.int32(), nullable=False),
        pa.field("claim", pa.string(), nullable=False),
        pa.field("claim_kind", pa.string(), nullable=False),  # comparison | measurement | finding
        pa.field("grounded", pa.bool_(), nullable=False),
        pa.field("relevance", pa.float64(), nullable=False),  # calibrated P(relevant)
        pa.field("relevant", pa.bool_(), nullable=False),
        pa.field("evidence_label", pa.string(), nullable=False),  # SUPPORT|CONTRADICT|NEUTRAL
        pa.field("evidence_score", pa.float64(), nullable=False),
        pa.field("evidence_candidates", pa.int32(), nullable=False),
        *_EVIDENCE,
        pa.field("verified", pa.bool_(), nullable=False),
        pa.field("confidence", pa.float64(), nullable=False),
    ]
)
CLAIMS_SORT = ("arxiv_id", "sentence_index")

# The answer: one row per item, by kind (sovereign.answer.rows is its codec).
ANSWER = pa.schema(
    [
        pa.field("question_id", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),  # quote | comparison | writer
        pa.field("theme", pa.int32(), nullable=False),  # rank of a quote's theme; -1 otherwise
        pa.field("theme_label", pa.string(), nullable=False),
        pa.field("seq", pa.int32(), nullable=False),  # order within the theme, table or text
        pa.field("claim_id", pa.string()),  # quote and comparison rows: the claim quoted
        pa.field("arxiv_id", pa.string()),
        pa.field("sentence_index", pa.int32()),
        pa.field("section_index", pa.int32()),  # quote rows: its section (0: the abstract)
        pa.field("section_path", pa.string()),
        pa.field("char_start", pa.int32()),  # span into that section's text
        pa.field("char_end", pa.int32()),
        pa.field("text", pa.string(), nullable=False),  # the quote, the value, the sentence
        pa.field("relevance", pa.float64()),
        pa.field("verified", pa.bool_()),
        pa.field("evidence_label", pa.string()),  # SUPPORT|CONTRADICT|NEUTRAL
        pa.field("claim_kind", pa.string()),  # comparison|measurement|finding|statement
        pa.field("related_arxiv_id", pa.string()),  # the paper that supports or contradicts it
        pa.field("related_text", pa.string()),
        pa.field("shown", pa.bool_()),  # quoted in full (True) or cited only (False)
        pa.field("method", pa.string()),  # comparison rows
        pa.field("dataset", pa.string()),
        pa.field("metric", pa.string()),
        pa.field("value", pa.string()),
        pa.field("cites", pa.list_(pa.string()), nullable=False),  # writer rows: claim ids
        pa.field("status", pa.string()),  # writer rows: kept|uncited|invented_citation|unsupported
        pa.field("detail", pa.string()),
        pa.field("ledger_key", pa.string()),
    ]
)
ANSWER_SORT = ("kind", "theme", "seq")

REVIEWS = pa.schema(
    [
        pa.field("question_id", pa.string(), nullable=False),
        pa.field("round", pa.int32(), nullable=False),  # 0, or 1 after a revision
        pa.field("role", pa.string(), nullable=False),  # SKEPTIC|VALIDATOR|SYNTHESIZER|TRIBUNAL
        pa.field("seq", pa.int32(), nullable=False),  # 0: the role's score; 1..: its findings
        pa.field("reviewer", pa.string(), nullable=False),  # rules, or llm:<model>
        pa.field("criterion", pa.string(), nullable=False),
        pa.field("severity", pa.string(), nullable=False),  # info|minor|major|fatal
        pa.field("finding", pa.string(), nullable=False),
        pa.field("evidence", pa.list_(pa.string()), nullable=False),  # claim/paper ids, terms
        pa.field("points", pa.float64(), nullable=False),  # score (seq 0) or points deducted
        pa.field("prompt_sha256", pa.string()),  # LLM reviewer only
        pa.field("ledger_key", pa.string()),  # LLM reviewer only
    ]
)
REVIEWS_SORT = ("round", "role", "seq")
