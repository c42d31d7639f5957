"""Snakemake entry point of the answer stage (logic: sovereign.answer)."""

import _bootstrap  # noqa: F401  (sovereign from this workflow's src/)

from sovereign import schemas
from sovereign.answer.build import build_answer
from sovereign.answer.rows import answer_rows
from sovereign.answer.settings import Settings
from sovereign.encoders.local import encoder_for
from sovereign.fulltext.rows import section_texts, with_second_look
from sovereign.io import read_table, write_table
from sovereign.run import entry


def stage(smk, log):
    sections = read_table(smk.input.sections, schemas.SECTIONS)
    papers = with_second_look(
        read_table(smk.input.filtered, schemas.FILTERED).to_pylist(), sections
    )
    claims = read_table(smk.input.claims, schemas.CLAIMS).to_pylist()
    settings = Settings.from_params(smk.params.settings)
    encoder = encoder_for(smk.config, smk.threads)
    writer = None
    if smk.config["answer"]["writer"]["url"]:
        from sovereign.answer.writer import llm_writer, writer_client

        writer = llm_writer(writer_client(smk.config, log), settings, log)
    answer = build_answer(
        smk.params.question,
        papers,
        claims,
        lambda texts: encoder.embed(texts, "passage"),
        settings,
        writer,
        section_texts(sections),
    )
    rows = answer_rows(smk.wildcards.qid, answer)
    write_table(rows, schemas.ANSWER, smk.output.answer, schemas.ANSWER_SORT)
    log(
        f"{len(answer.themes)} themes, {len(answer.quotes)} quoted or cited sentences from "
        f"{len(answer.cited_papers)} papers, {len(answer.comparison)} comparison rows"
        + (
            f", {len(answer.written)} of {len(answer.writer)} written sentences kept"
            if writer
            else ""
        )
    )


entry.run(snakemake, stage)  # noqa: F821  (injected by Snakemake)
