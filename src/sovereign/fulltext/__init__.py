"""The full-text stage: papers' own sources (arXiv e-prints, PDFs) parsed into sections
(`stage`), found in a local directory or fetched from arXiv through the ledger (`sources`),
parsed once per source and shared across questions (`store`, `parse`: `archive` and `latex`
for e-prints, `pdf` for PDFs), read back from sections.parquet by later stages (`rows`); the
filter's near misses read too and kept when a passage of their body passes its test
(`second_look`, its fitted threshold in `passage_model`)."""

__all__ = ["model", "parse", "passage_model", "rows", "second_look", "settings", "sources", "stage"]
