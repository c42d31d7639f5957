"""Snakemake entry point: verify a Gate 2 bundle in the sealed sandbox, within the limits of
config gate2.limits (logic: sovereign.gate2.verify)."""

import json
from pathlib import Path

import _bootstrap  # noqa: F401  (sovereign from this workflow's src/)

from sovereign.gate2.limits import Limits
from sovereign.gate2.verdict import record_verdict
from sovereign.gate2.verify import verify
from sovereign.io import write_atomic
from sovereign.run import entry


def stage(smk, log):
    limits = Limits.from_config(smk.config["gate2"]["limits"])
    verdict = verify(Path(smk.input.bundle), cores=smk.threads, limits=limits)
    write_atomic(
        Path(smk.output.verdict), (json.dumps(verdict, sort_keys=True, indent=2) + "\n").encode()
    )
    appended = record_verdict(verdict, Path(smk.params.corrections))
    note = f"; correction {appended['seq']} appended" if appended else "; already recorded"
    log(f"{verdict['status']}: {verdict['reason']}{note}")


entry.run(snakemake, stage)  # noqa: F821  (injected by Snakemake)
