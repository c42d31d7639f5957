"""Snakemake entry point of the snapshot index (logic: sovereign.search.snapshot_index)."""

import sys

import _bootstrap  # noqa: F401  (sovereign from this workflow's src/)

from sovereign.run import entry
from sovereign.search.snapshot_build import build_index


def stage(smk, log):
    def progress(message):
        log(message)
        # also on the terminal: an index build over a full snapshot takes minutes
        print(f"snapshot_index: {message}", file=sys.stderr, flush=True)

    manifest = build_index(
        smk.params.snapshot, smk.params.directory, workers=smk.threads, progress=progress
    )
    log(f"index written to {smk.params.directory}: {manifest['papers']} papers")


entry.run(snakemake, stage)  # noqa: F821  (injected by Snakemake)
