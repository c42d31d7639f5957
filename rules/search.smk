# search: four expanded queries per question -> every hit, with its query and rank.


# Live arXiv requests share one rate limit, so they stay on the submitting node.
if NETWORK_SEARCH:

    localrules:
        search,


rule search:
    input:
        snapshot=SNAPSHOT_FILES,
        code=code("search"),
    output:
        raw=f"{RESULTS}/{{qid}}/raw.parquet",
    log:
        "logs/search/{qid}.log",
    conda:
        "../envs/sovereign.yaml"
    threads: 1
    resources:
        mem_mb=1024,
        runtime=30,
        # One live search at a time across the workflow (profiles set arxiv_api=1); the
        # cross-process rate lock in sovereign.ratelimit enforces the 3 s spacing either way.
        arxiv_api=1 if NETWORK_SEARCH else 0,
    params:
        question=get_question,
        search=get_search_params(),
    script:
        "../scripts/search.py"
