"""Snakemake entry point of the index page across questions (logic: sovereign.report.index_page)."""

import json
import os
from pathlib import Path

import _bootstrap  # noqa: F401  (sovereign from this workflow's src/)

from sovereign.errors import InputFileError
from sovereign.io import write_atomic
from sovereign.report.index_page import index_page
from sovereign.run import entry


def load(path):
    try:
        return json.loads(open(path, encoding="utf-8").read())
    except (OSError, ValueError) as err:
        fix = "delete it and run again"
        raise InputFileError(path, f"not a readable record ({err})", fix) from None


def stage(smk, log):
    base = os.path.dirname(smk.output.index)
    entries = [
        (os.path.relpath(os.path.join(os.path.dirname(p), "record.html"), base), load(p))
        for p in sorted(smk.input.records)
    ]
    write_atomic(Path(smk.output.index), index_page(entries).encode("utf-8"))
    log(f"index of {len(entries)} records written")


entry.run(snakemake, stage)  # noqa: F821  (injected by Snakemake)
