# filter: de-duplicate hits, TF-IDF cosine with the question, keep >= filter.threshold.


rule filter:
    input:
        raw=f"{RESULTS}/{{qid}}/raw.parquet",
    output:
        filtered=f"{RESULTS}/{{qid}}/filtered.parquet",
    log:
        "logs/filter/{qid}.log",
    conda:
        "../envs/sovereign.yaml"
    threads: 1
    resources:
        mem_mb=1024,
        runtime=10,
    params:
        code=code("filter"),
        question=get_question_text,
        threshold=config["filter"]["threshold"],
    script:
        "../scripts/filter.py"
