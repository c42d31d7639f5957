# report: report.md, the public record (record.json, validated) and its page (record.html);
# index: one page across every question's record.


rule report:
    input:
        raw=f"{RESULTS}/{{qid}}/raw.parquet",
        filtered=f"{RESULTS}/{{qid}}/filtered.parquet",
        embeddings=f"{RESULTS}/{{qid}}/embeddings.parquet",
        sections=f"{RESULTS}/{{qid}}/sections.parquet",
        claims=f"{RESULTS}/{{qid}}/claims.parquet",
        answer=f"{RESULTS}/{{qid}}/answer.parquet",
        reviews=f"{RESULTS}/{{qid}}/reviews.parquet",
        corrections=get_corrections,
        schema=RECORD_SCHEMA,
    output:
        report=f"{RESULTS}/{{qid}}/report.md",
        record=f"{RESULTS}/{{qid}}/record.json",
        page=f"{RESULTS}/{{qid}}/record.html",
    log:
        "logs/report/{qid}.log",
    conda:
        "../envs/sovereign.yaml"
    threads: 1
    resources:
        mem_mb=512,
        runtime=30,
    params:
        models=MODELS,
        code=code("report"),
        question=get_question,
        settings=SETTINGS["report"],
    script:
        "../scripts/report.py"


localrules:
    index,


rule index:
    input:
        records=expand(f"{RESULTS}/{{qid}}/record.json", qid=sorted(QUESTIONS)),
    output:
        index=f"{RESULTS}/index.html",
    log:
        "logs/index/index.log",
    conda:
        "../envs/sovereign.yaml"
    threads: 1
    resources:
        mem_mb=256,
        runtime=10,
    params:
        code=code("index"),
    script:
        "../scripts/index.py"
