# review: the tribunal (SKEPTIC, VALIDATOR, SYNTHESIZER), a revision round, the policy.


if REMOTE_REVIEW:

    localrules:
        review,


rule review:
    input:
        raw=f"{RESULTS}/{{qid}}/raw.parquet",
        filtered=f"{RESULTS}/{{qid}}/filtered.parquet",
        claims=f"{RESULTS}/{{qid}}/claims.parquet",
        answer=f"{RESULTS}/{{qid}}/answer.parquet",
        sections=f"{RESULTS}/{{qid}}/sections.parquet",
    output:
        reviews=f"{RESULTS}/{{qid}}/reviews.parquet",
    log:
        "logs/review/{qid}.log",
    conda:
        "../envs/sovereign.yaml"
    threads: 1
    resources:
        mem_mb=512,
        runtime=30,
        # One LLM review at a time across the workflow (profiles set llm_api=1), so a rate
        # limited endpoint is asked politely; 0 when no LLM reviewer is configured.
        llm_api=1 if REMOTE_REVIEW else 0,
    params:
        models=MODELS,
        code=code("review"),
        question=get_question_text,
        settings=SETTINGS["review"],
    script:
        "../scripts/review.py"
