"""Snakemake entry point of the full-text stage (logic: sovereign.fulltext)."""

import _bootstrap  # noqa: F401  (sovereign from this workflow's src/)

from sovereign import schemas
from sovereign.fulltext.settings import Settings
from sovereign.fulltext.stage import paper_texts
from sovereign.io import read_table, write_table
from sovereign.run import entry


def stage(smk, log):
    filtered = read_table(smk.input.filtered, schemas.FILTERED)
    papers = [p for p in filtered.to_pylist() if p["kept"]]
    settings = Settings.from_config(smk.config)
    rows = paper_texts(smk.wildcards.qid, papers, settings, log)
    write_table(rows, schemas.SECTIONS, smk.output.sections, schemas.SECTIONS_SORT)


entry.run(snakemake, stage)  # noqa: F821  (injected by Snakemake)
