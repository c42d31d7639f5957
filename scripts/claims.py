"""Snakemake entry point of the claims stage (logic: sovereign.claims)."""

import _bootstrap  # noqa: F401  (sovereign from this workflow's src/)

from sovereign import schemas
from sovereign.claims.settings import Settings
from sovereign.claims.stage import extract_claims
from sovereign.embed.stage import vectors
from sovereign.encoders.local import encoder_for
from sovereign.fulltext.rows import paper_sections, with_second_look
from sovereign.io import read_table, write_table
from sovereign.run import entry


def stage(smk, log):
    filtered = read_table(smk.input.filtered, schemas.FILTERED)
    embeddings = read_table(smk.input.embeddings, schemas.EMBEDDINGS)
    model, index = vectors(embeddings, smk.input.embeddings)
    table = read_table(smk.input.sections, schemas.SECTIONS)
    papers = [p for p in with_second_look(filtered.to_pylist(), table) if p["kept"]]
    settings = Settings(**smk.params.settings)
    encoder = encoder_for(smk.config, smk.threads)
    sections = paper_sections(table)
    rows = extract_claims(
        smk.wildcards.qid, smk.params.question, papers, index, settings, log, encoder, sections
    )
    write_table(rows, schemas.CLAIMS, smk.output.claims, schemas.CLAIMS_SORT)
    verified = sum(r["verified"] for r in rows)
    log(f"{len(rows)} claims ({verified} verified), evidence index {model}")
    log(f"relevance encoder: {encoder.summary()}")


entry.run(snakemake, stage)  # noqa: F821  (injected by Snakemake)
