"""Snakemake entry point of the filter stage (logic: sovereign.filter)."""

import _bootstrap  # noqa: F401  (sovereign from this workflow's src/)

from sovereign import schemas
from sovereign.encoders.local import encoder_for
from sovereign.errors import InputFileError
from sovereign.filter.model import MODEL_FILE, load_filter_model, semantic_threshold
from sovereign.filter.stage import filter_papers
from sovereign.io import read_table, write_table
from sovereign.run import entry


def stage(smk, log):
    raw = read_table(smk.input.raw, schemas.RAW)
    encoder = encoder_for(smk.config, smk.threads)
    fitted_on = load_filter_model().encoder
    if encoder.model != fitted_on:
        raise InputFileError(
            str(MODEL_FILE),
            f"was fitted on {fitted_on}, not on {encoder.model}",
            "restore it from the repository (git checkout -- src/sovereign/models/filter.json)",
        )
    semantic = semantic_threshold(smk.params.semantic_threshold)
    rows = filter_papers(smk.params.question, raw, smk.params.threshold, encoder, semantic, log)
    write_table(rows, schemas.FILTERED, smk.output.filtered, schemas.FILTERED_SORT)
    kept = sum(r["kept"] for r in rows)
    lexical = sum(r["tfidf_pass"] for r in rows)
    meaning = sum(r["semantic_pass"] for r in rows)
    log(
        f"{raw.num_rows} hits, {len(rows)} unique papers, {kept} kept "
        f"({lexical} by TF-IDF, {meaning} by meaning); {encoder.summary()}"
    )


entry.run(snakemake, stage)  # noqa: F821  (injected by Snakemake)
