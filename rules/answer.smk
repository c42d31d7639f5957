# answer: the relevant evidence in themes, quoted and cited; a comparison table; the optional
# writer model's checked prose.


if REMOTE_WRITER:

    localrules:
        answer,


rule answer:
    input:
        filtered=f"{RESULTS}/{{qid}}/filtered.parquet",
        claims=f"{RESULTS}/{{qid}}/claims.parquet",
        sections=f"{RESULTS}/{{qid}}/sections.parquet",
    output:
        answer=f"{RESULTS}/{{qid}}/answer.parquet",
    log:
        "logs/answer/{qid}.log",
    conda:
        "../envs/sovereign.yaml"
    threads: 1
    resources:
        mem_mb=1024,
        runtime=30,
        # One writer request at a time across the workflow (profiles set llm_api=1), as for
        # the LLM reviewer; 0 when no writer model is configured.
        llm_api=1 if REMOTE_WRITER else 0,
    params:
        models=MODELS,
        code=code("answer"),
        question=get_question_text,
        settings=SETTINGS["answer"],
    script:
        "../scripts/answer.py"
