# fulltext: each kept paper's text as sections, from its LaTeX e-print, else its PDF, else its
# abstract (the reason recorded).


# Live e-print downloads share arXiv's rate limit with search, so they stay on this node.
if NETWORK_FULLTEXT:

    localrules:
        fulltext,


rule fulltext:
    input:
        filtered=f"{RESULTS}/{{qid}}/filtered.parquet",
    output:
        sections=f"{RESULTS}/{{qid}}/sections.parquet",
    log:
        "logs/fulltext/{qid}.log",
    conda:
        "../envs/sovereign.yaml"
    threads: 1
    resources:
        mem_mb=2048,
        runtime=60,
        # One arXiv request at a time across the workflow (profiles set arxiv_api=1).
        arxiv_api=1 if NETWORK_FULLTEXT else 0,
    params:
        code=code("fulltext"),
        question=get_question_text,
        settings=SETTINGS["fulltext"],
        # a second look at the filter's near misses applies the filter's test to their bodies
        filter=SETTINGS["filter"],
    script:
        "../scripts/fulltext.py"
