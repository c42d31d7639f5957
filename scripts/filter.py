"""Snakemake entry point of the filter stage (logic: sovereign.filter)."""

import _bootstrap  # noqa: F401  (sovereign from this workflow's src/)

from sovereign import entry, schemas
from sovereign.filter import filter_papers
from sovereign.parquet_io import read_table, write_table


def stage(smk, log):
    raw = read_table(smk.input.raw, schemas.RAW)
    rows = filter_papers(smk.params.question, raw, smk.params.threshold)
    write_table(rows, schemas.FILTERED, smk.output.filtered, schemas.FILTERED_SORT)
    kept = sum(r["kept"] for r in rows)
    log(f"{raw.num_rows} hits, {len(rows)} unique papers, {kept} kept")


entry.run(snakemake, stage)  # noqa: F821  (injected by Snakemake)
