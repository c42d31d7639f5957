"""Snakemake entry point of the report stage (logic: sovereign.report)."""

import json
from pathlib import Path

import _bootstrap  # noqa: F401  (sovereign from this workflow's src/)

from sovereign import schemas
from sovereign.answer.rows import answer_from_rows
from sovereign.contracts import STAGE_FILES
from sovereign.fulltext.rows import readings, with_second_look
from sovereign.io import read_table, sha256_file, write_atomic
from sovereign.report.corrections import head_sha256, read_corrections
from sovereign.report.inputs import Inputs
from sovereign.report.stage import model_figures, render_all
from sovereign.review.rows import summary_from_rows
from sovereign.run import entry
from sovereign.versions import package_versions

# The stage files the report is made from (the rule names each input after its file)
PARQUET_INPUTS = [name for name in STAGE_FILES if name.endswith(".parquet")]


def stage(smk, log):
    reviews = read_table(smk.input.reviews, schemas.REVIEWS).to_pylist()
    embeddings = read_table(smk.input.embeddings, schemas.EMBEDDINGS).to_pylist()
    index = next((e for e in embeddings if e["role"] == "query"), None)
    methods = {
        **smk.params.settings["methods"],
        "embed": {
            "backend": index["backend"] if index else "none",
            "model": index["model"] if index else "none",
            "dimension": index["dimension"] if index else 0,
        },
        "verifier": model_figures(),
    }
    q = smk.params.question
    corrections = smk.input.corrections[0] if smk.input.corrections else None
    sections = read_table(smk.input.sections, schemas.SECTIONS)
    inputs = Inputs(
        question_id=q["question_id"],
        question=q["question"],
        as_of=q["as_of"],
        hits=read_table(smk.input.raw, schemas.RAW).to_pylist(),
        papers=with_second_look(
            read_table(smk.input.filtered, schemas.FILTERED).to_pylist(), sections
        ),
        claims=read_table(smk.input.claims, schemas.CLAIMS).to_pylist(),
        summary=summary_from_rows(reviews, smk.input.reviews),
        corrections=read_corrections(corrections),
        settings={**smk.params.settings["record"], "methods": methods},
        artifacts={
            **{n: sha256_file(smk.input[n.removesuffix(".parquet")]) for n in PARQUET_INPUTS},
            "report.md": "0" * 64,  # replaced by the report's own hash once it is written
        },
        versions=package_versions(),
        corrections_head=head_sha256(corrections),
        answer=answer_from_rows(
            read_table(smk.input.answer, schemas.ANSWER).to_pylist(), smk.input.answer
        ),
        readings=readings(sections.to_pylist()),
    )
    schema = json.loads(Path(smk.input.schema).read_text(encoding="utf-8"))
    report, record, page = render_all(inputs, schema, smk.output.record)
    # All three are rendered before any is written: an error leaves no half-set behind.
    write_atomic(Path(smk.output.report), report.encode("utf-8"))
    write_atomic(Path(smk.output.record), record.encode("utf-8"))
    write_atomic(Path(smk.output.page), page.encode("utf-8"))
    log(f"record {json.loads(record)['id']}: report, record and page written")


entry.run(snakemake, stage)  # noqa: F821  (injected by Snakemake)
