# filter: de-duplicate hits, TF-IDF cosine with the question, keep >= filter.threshold.


rule filter:
    input:
        raw=f"{RESULTS}/{{qid}}/raw.parquet",
        code=code("filter", "text", "schemas", "parquet_io"),
    output:
        filtered=f"{RESULTS}/{{qid}}/filtered.parquet",
    params:
        question=get_question_text,
        threshold=config["filter"]["threshold"],
    log:
        "logs/filter/{qid}.log",
    threads: 1
    resources:
        mem_mb=1024,
        runtime=10,
    conda:
        "../envs/sovereign.yaml"
    script:
        "../scripts/filter.py"
