# filter: de-duplicate hits, score each paper by TF-IDF and by the sentence encoder, keep a paper
# that passes either threshold (the semantic one fitted, in src/sovereign/models/filter.json).


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
        runtime=30,
    params:
        code=code("filter"),
        question=get_question_text,
        settings=SETTINGS["filter"],
    script:
        "../scripts/filter.py"
