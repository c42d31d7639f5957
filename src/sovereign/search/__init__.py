"""The search stage: a question expanded into four relevance-sorted queries (`queries`), run
through the live arXiv API (`arxiv_api`, answers recorded in the ledger and replayable) or a local
metadata snapshot (`snapshot` reads its records, `snapshot_files` finds them and names their
index, `snapshot_build` builds the index once from the chunks `snapshot_tokenize` reads, and
`snapshot_index` searches it), every hit as one record (`records`); `stage` writes raw.parquet.
`corpus` makes a compact compressed snapshot from larger ones (the shipped default corpus)."""

__all__ = [
    "arxiv_api",
    "corpus",
    "queries",
    "settings",
    "snapshot_build",
    "snapshot_files",
    "stage",
]
