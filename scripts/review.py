"""Snakemake entry point of the review stage (logic: sovereign.review)."""

import _bootstrap  # noqa: F401  (sovereign from this workflow's src/)

from sovereign import schemas
from sovereign.answer.rows import answer_from_rows
from sovereign.fulltext.rows import section_texts, with_second_look
from sovereign.io import read_table, write_table
from sovereign.review.rows import outcome_rows
from sovereign.review.settings import Settings
from sovereign.review.stage import llm_client, llm_reviewer
from sovereign.review.tribunal import run_tribunal
from sovereign.review.types import Evidence
from sovereign.run import entry


def stage(smk, log):
    sections = read_table(smk.input.sections, schemas.SECTIONS)
    filtered = read_table(smk.input.filtered, schemas.FILTERED).to_pylist()
    evidence = Evidence(
        question=smk.params.question,
        hits=read_table(smk.input.raw, schemas.RAW).to_pylist(),
        papers=with_second_look(filtered, sections),
        claims=read_table(smk.input.claims, schemas.CLAIMS).to_pylist(),
        answer=answer_from_rows(
            read_table(smk.input.answer, schemas.ANSWER).to_pylist(), smk.input.answer
        ),
        texts=section_texts(sections),
    )
    llm = smk.config["review"]["llm"]
    extra = None
    if llm["url"]:
        client = llm_client(smk.config, log)
        extra = llm_reviewer(client, evidence, llm["weight"])
    # built from the rule's params: what changes a review (not how to reach a service)
    settings = Settings.from_params(smk.params.settings)
    outcome = run_tribunal(evidence, settings, extra)
    write_table(
        outcome_rows(smk.wildcards.qid, outcome),
        schemas.REVIEWS,
        smk.output.reviews,
        schemas.REVIEWS_SORT,
    )
    scores = " -> ".join(f"{r.overall:.1f}" for r in outcome.rounds)
    log(f"tribunal {scores}/10: {outcome.verdict}, policy {outcome.policy}")


entry.run(snakemake, stage)  # noqa: F821  (injected by Snakemake)
