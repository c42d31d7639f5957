"""The full-text stage: papers' own sources (arXiv e-prints, PDFs) parsed into sections
(`stage`), found in a local directory or fetched from arXiv through the ledger (`sources`),
parsed once per source and shared across questions (`store`, `parse`: `archive` and `latex`
for e-prints, `pdf` for PDFs), read back from sections.parquet by later stages (`rows`)."""

__all__ = ["model", "parse", "rows", "settings", "sources", "stage"]
