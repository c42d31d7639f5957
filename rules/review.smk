# review: the tribunal (SKEPTIC, VALIDATOR, SYNTHESIZER), a revision round, the policy.


if REMOTE_REVIEW:

    localrules:
        review,


rule review:
    input:
        raw=f"{RESULTS}/{{qid}}/raw.parquet",
        filtered=f"{RESULTS}/{{qid}}/filtered.parquet",
        claims=f"{RESULTS}/{{qid}}/claims.parquet",
        code=code("review"),
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
    params:
        question=get_question_text,
        config=get_review_params(),
        llm=config["review"]["llm"],
        ledger=config["ledger"],
    script:
        "../scripts/review.py"
