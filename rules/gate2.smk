# gate2: a reproduction bundle per question, and its verification offline (not part of `all`:
# run `snakemake gate2`). The verdict is appended to the question's corrections, so the next run
# shows it in the record.


rule gate2_bundle:
    input:
        raw=f"{RESULTS}/{{qid}}/raw.parquet",
        filtered=f"{RESULTS}/{{qid}}/filtered.parquet",
        embeddings=f"{RESULTS}/{{qid}}/embeddings.parquet",
        sections=f"{RESULTS}/{{qid}}/sections.parquet",
        claims=f"{RESULTS}/{{qid}}/claims.parquet",
        answer=f"{RESULTS}/{{qid}}/answer.parquet",
        reviews=f"{RESULTS}/{{qid}}/reviews.parquet",
        report=f"{RESULTS}/{{qid}}/report.md",
        record=f"{RESULTS}/{{qid}}/record.json",
        page=f"{RESULTS}/{{qid}}/record.html",
        corrections=get_corrections,
    output:
        bundle=f"{RESULTS}/{{qid}}/gate2/bundle.tar.gz",
    log:
        "logs/gate2_bundle/{qid}.log",
    conda:
        "../envs/sovereign.yaml"
    threads: 1
    resources:
        mem_mb=1024,
        runtime=10,
    params:
        code=get_bundle_code,
        question=get_question,
    script:
        "../scripts/gate2_bundle.py"


rule gate2_verify:
    input:
        bundle=f"{RESULTS}/{{qid}}/gate2/bundle.tar.gz",
    output:
        verdict=f"{RESULTS}/{{qid}}/gate2/verdict.json",
    log:
        "logs/gate2_verify/{qid}.log",
    conda:
        "../envs/sovereign.yaml"
    threads: 2
    resources:
        # the sandbox's limits (gate2.limits: its processes, its tmpfs), and the verifier's own
        mem_mb=config["gate2"]["limits"]["memory_mb"]
        + config["gate2"]["limits"]["written_mb"]
        + 512,
        runtime=int(config["gate2"]["limits"]["wall_seconds"] // 60) + 5,
    params:
        code=code("gate2_verify"),
        corrections=get_corrections_path,
    script:
        "../scripts/gate2_verify.py"


rule gate2:
    input:
        expand(f"{RESULTS}/{{qid}}/gate2/verdict.json", qid=sorted(QUESTIONS)),
