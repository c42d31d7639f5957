"""Ask Snakemake's Python API which files a run would update (a dry run), as JSON on stdout.

Usage: python dryrun_api.py SNAKEFILE WORKDIR CONFIG_OVERRIDES_JSON
Runs in its own process: the API changes the working directory and sets up global logging.
"""

import json
import sys
from pathlib import Path

from snakemake.api import SnakemakeApi
from snakemake.settings.types import ConfigSettings, OutputSettings, ResourceSettings


def updated_files(snakefile: Path, workdir: Path, overrides: dict) -> list[str]:
    updated: list[str] = []
    with SnakemakeApi(OutputSettings(quiet={"all"})) as api:
        workflow = api.workflow(
            resource_settings=ResourceSettings(cores=1),
            config_settings=ConfigSettings(config=overrides),
            snakefile=snakefile,
            workdir=workdir,
        )
        workflow.dag().execute_workflow(executor="dryrun", updated_files=updated)
    return sorted(updated)


if __name__ == "__main__":
    files = updated_files(Path(sys.argv[1]), Path(sys.argv[2]), json.loads(sys.argv[3]))
    print(json.dumps(files))
