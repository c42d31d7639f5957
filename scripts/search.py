"""Snakemake entry point of the search stage (logic: sovereign.search)."""

import _bootstrap  # noqa: F401  (sovereign from this workflow's src/)

from sovereign import schemas
from sovereign.contracts import Question
from sovereign.io import write_table
from sovereign.run import entry
from sovereign.search.settings import Settings
from sovereign.search.stage import search


def stage(smk, log):
    question = Question(**smk.params.question)
    rows = search(question, Settings.from_config(smk.config), log)
    write_table(rows, schemas.RAW, smk.output.raw, schemas.RAW_SORT)
    log(f"{len(rows)} hits written to {smk.output.raw}")


entry.run(snakemake, stage)  # noqa: F821  (injected by Snakemake)
