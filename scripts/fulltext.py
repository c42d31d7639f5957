"""Snakemake entry point of the full-text stage (logic: sovereign.fulltext)."""

import _bootstrap  # noqa: F401  (sovereign from this workflow's src/)

from sovereign import schemas
from sovereign.fulltext.second_look import encoder_judge
from sovereign.fulltext.settings import Settings
from sovereign.fulltext.stage import paper_texts
from sovereign.io import read_table, write_table
from sovereign.run import entry


def stage(smk, log):
    filtered = read_table(smk.input.filtered, schemas.FILTERED)
    settings = Settings.from_config(smk.config)
    question = smk.params.question
    rows = paper_texts(
        smk.wildcards.qid,
        filtered.to_pylist(),
        settings,
        log,
        # the filter's encoder, loaded only when a near miss has a body to judge
        judge=lambda: encoder_judge(question, smk.config, smk.threads),
    )
    write_table(rows, schemas.SECTIONS, smk.output.sections, schemas.SECTIONS_SORT)


entry.run(snakemake, stage)  # noqa: F821  (injected by Snakemake)
