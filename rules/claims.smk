# claims: checkable statements of the kept papers, their evidence, verified, with confidence.


rule claims:
    input:
        filtered=f"{RESULTS}/{{qid}}/filtered.parquet",
        embeddings=f"{RESULTS}/{{qid}}/embeddings.parquet",
        sections=f"{RESULTS}/{{qid}}/sections.parquet",
    output:
        claims=f"{RESULTS}/{{qid}}/claims.parquet",
    log:
        "logs/claims/{qid}.log",
    conda:
        "../envs/sovereign.yaml"
    threads: 1
    resources:
        mem_mb=1024,
        runtime=30,
    params:
        models=MODELS,
        code=code("claims"),
        question=get_question_text,
        settings=SETTINGS["claims"],
    script:
        "../scripts/claims.py"
