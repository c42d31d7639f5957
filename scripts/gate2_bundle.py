"""Snakemake entry point: a question's Gate 2 bundle (logic: sovereign.gate2.bundle)."""

from pathlib import Path

import _bootstrap  # noqa: F401  (sovereign from this workflow's src/)

from sovereign import schemas
from sovereign.contracts import document
from sovereign.embed.stage import embedded_papers
from sovereign.fulltext.settings import second_look
from sovereign.gate2.archive import write_archive
from sovereign.gate2.bundle import build_members
from sovereign.io import read_table
from sovereign.run import entry
from sovereign.versions import package_versions

WORKFLOW = Path(__file__).resolve().parent.parent


def stage(smk, log):
    # the kept papers and the near misses the full-text stage also read (and embed indexed)
    papers = embedded_papers(
        read_table(smk.input.filtered, schemas.FILTERED).to_pylist(), second_look(smk.config)
    )
    texts = {p["arxiv_id"]: document(p) for p in papers}
    texts["question"] = smk.params.question["question"]
    members = build_members(
        question=smk.params.question,
        config=smk.config,
        workflow_dir=WORKFLOW,
        results_dir=Path(smk.input.raw).parent,
        ledger_dir=Path(smk.config["ledger"]),
        corrections=Path(smk.input.corrections[0]) if smk.input.corrections else None,
        embedded_texts=texts,
        raw=read_table(smk.input.raw, schemas.RAW).to_pylist(),
        embeddings=read_table(smk.input.embeddings, schemas.EMBEDDINGS).to_pylist(),
        reviews=read_table(smk.input.reviews, schemas.REVIEWS).to_pylist(),
        answers=read_table(smk.input.answer, schemas.ANSWER).to_pylist(),
        papers=papers,
        versions=package_versions(),
        log=log,
    )
    digest = write_archive(Path(smk.output.bundle), members)
    log(f"bundle of {len(members)} members, sha256 {digest}")


entry.run(snakemake, stage)  # noqa: F821  (injected by Snakemake)
