"""Snakemake entry point of the filter stage (logic: sovereign.filter)."""

import _bootstrap  # noqa: F401  (sovereign from this workflow's src/)

from sovereign import schemas
from sovereign.encoders.local import encoder_for
from sovereign.filter.settings import Settings
from sovereign.filter.stage import check_encoder, filter_papers
from sovereign.io import read_table, write_table
from sovereign.run import entry


def stage(smk, log):
    raw = read_table(smk.input.raw, schemas.RAW)
    settings = Settings(**smk.params.settings)
    encoder = encoder_for(smk.config, smk.threads)
    check_encoder(encoder)
    rows = filter_papers(smk.params.question, raw, settings, encoder, log)
    write_table(rows, schemas.FILTERED, smk.output.filtered, schemas.FILTERED_SORT)
    kept = sum(r["kept"] for r in rows)
    lexical = sum(r["tfidf_pass"] for r in rows)
    meaning = sum(r["semantic_pass"] for r in rows)
    log(
        f"{raw.num_rows} hits, {len(rows)} unique papers, {kept} kept "
        f"({lexical} by TF-IDF, {meaning} by meaning); {encoder.summary()}"
    )


entry.run(snakemake, stage)  # noqa: F821  (injected by Snakemake)
