"""Snakemake entry point of the embed stage (logic: sovereign.embed)."""

import _bootstrap  # noqa: F401  (sovereign from this workflow's src/)

from sovereign import schemas
from sovereign.embed.settings import Settings
from sovereign.embed.stage import embedding_rows, make_embedder
from sovereign.io import read_table, write_table
from sovereign.run import entry


def stage(smk, log):
    filtered = read_table(smk.input.filtered, schemas.FILTERED)
    embedder = make_embedder(Settings.from_config(smk.config), log, smk.threads)
    rows = embedding_rows(
        smk.wildcards.qid, smk.params.question, filtered, embedder, smk.params.near_misses
    )
    write_table(rows, schemas.EMBEDDINGS, smk.output.embeddings, schemas.EMBEDDINGS_SORT)
    log(f"{len(rows)} vectors ({embedder.model}, {embedder.dimension}-d)")
    if hasattr(embedder, "summary"):
        log(embedder.summary())


entry.run(snakemake, stage)  # noqa: F821  (injected by Snakemake)
