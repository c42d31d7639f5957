# search: four expanded queries per question -> every hit, with its query and rank.
# snapshot_index: the one-off index of a local snapshot that every question's search reads.


# Live arXiv requests share one rate limit, so they stay on the submitting node.
if NETWORK_SEARCH:

    localrules:
        search,


if SNAPSHOT_SEARCH:

    rule snapshot_index:
        input:
            snapshot=SNAPSHOT_FILES,
        output:
            SNAPSHOT_INDEX_FILES,
        log:
            f"logs/snapshot_index/{Path(SNAPSHOT_INDEX).name}.log",
        conda:
            "../envs/sovereign.yaml"
        # Parsing and tokenizing run in this many worker processes.
        threads: 2
        resources:
            # Memory grows with the vocabulary and the id list, not the text: 1.7 GB measured
            # (all processes) for 1 million records, so ~5 GB extrapolated for the full
            # 2.7 million-record Kaggle file; capped at the 8 GB the cluster profile asks for.
            mem_mb=lambda wildcards, input: min(8192, 1024 + 2 * int(input.size_mb)),
            runtime=lambda wildcards, input: max(10, int(input.size_mb) // 50),
        params:
            code=code("snapshot_index"),
            # the configured root (a file, or a directory whose files the refs are relative to)
            snapshot=lambda wildcards, input: config["search"]["snapshot"],
            directory=lambda wildcards, output: str(Path(output[0]).parent),
        script:
            "../scripts/snapshot_index.py"


rule search:
    input:
        # index.json stands for the whole index: it is written last, once every file is in place
        index=SNAPSHOT_INDEX_FILES[-1:],
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
        # cross-process rate lock in sovereign.net.ratelimit enforces the 3 s spacing either way.
        arxiv_api=1 if NETWORK_SEARCH else 0,
    params:
        code=code("search"),
        question=get_question,
        settings=SETTINGS["search"],
    script:
        "../scripts/search.py"
