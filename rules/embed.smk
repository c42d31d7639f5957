# embed: a semantic index of the kept papers, the dropped ones the full text's second look may
# keep, and the question (one vector each).


# A remote embedder (nim) stays on the submitting node, where the network and the key are.
if REMOTE_EMBED:

    localrules:
        embed,


rule embed:
    input:
        filtered=f"{RESULTS}/{{qid}}/filtered.parquet",
    output:
        embeddings=f"{RESULTS}/{{qid}}/embeddings.parquet",
    log:
        "logs/embed/{qid}.log",
    conda:
        "../envs/sovereign.yaml"
    threads: 1
    resources:
        mem_mb=1024,
        runtime=30,
    params:
        code=code("embed"),
        question=get_question_text,
        settings=SETTINGS["embed"],
        # the full-text stage's second look may keep these; claims then needs their vectors
        near_misses=SECOND_LOOK,
    script:
        "../scripts/embed.py"
