# Two commands do all the setup on a fresh machine:
#   make run    build .venv (pinned packages) and run the workflow on config/config.yaml
#   make test   build .venv, run the linters and the whole test suite
# Extra Snakemake arguments: make run ARGS="--configfile my.yaml -c 4"

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARGS ?=
PYTEST_ARGS ?=

.PHONY: setup run test lint clean corpus sandbox

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "sovereign needs Python 3.11 (set PYTHON=/path/to/python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	@$(MAKE) --no-print-directory sandbox
	touch $(STAMP)

# Gate 2 runs a bundle's code only in bubblewrap's sealed sandbox (docs/gate2.md). Installed here
# where the machine lets us (root, or sudo without a password); otherwise a note, and verdicts
# say UNVERIFIED with the same hint until it is installed. Nothing else needs it.
sandbox:
	@command -v bwrap >/dev/null && exit 0; \
	sudo=$$([ "$$(id -u)" -eq 0 ] || echo "sudo -n"); \
	if command -v apt-get >/dev/null && { $$sudo apt-get update -q && \
	    $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q bubblewrap; } >/dev/null 2>&1; \
	then echo "installed bubblewrap (the Gate 2 sandbox)"; \
	else echo "note: bubblewrap (bwrap) is missing and could not be installed here; Gate 2 verdicts will be UNVERIFIED until it is (apt-get install bubblewrap)"; fi

run: setup
	$(BIN)/snakemake $(ARGS)

lint: setup
	$(BIN)/ruff check src scripts tests benchmarks
	$(BIN)/ruff format --check src scripts tests benchmarks
	$(BIN)/snakefmt --check Snakefile rules
	$(BIN)/snakemake --lint
	$(BIN)/snakemake --dry-run --quiet
# The SLURM profile plans the same run without SLURM installed (no sbatch, no sinfo).
# (tests/workflow/test_cluster.py runs it for real, on a fake cluster.)
	$(BIN)/snakemake --dry-run --quiet --workflow-profile profiles/slurm

test: lint
	$(BIN)/pytest $(PYTEST_ARGS)

# Rebuild the embedded default corpus from the evaluation data beside this repository
# (resources/corpus/SOURCE.md says what it holds).
corpus: setup
	$(BIN)/sovereign corpus ../shared/data/arxiv_cs_daily --out resources/corpus/arxiv-cs-daily.jsonl.xz

clean:
	rm -rf $(VENV) .snakemake results logs indexes cache answer-bench .results.sovereign-run.lock .sovereign
