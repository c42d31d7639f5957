"""What the tests share: paths and the shared data (`paths`), real Snakemake runs (`workflow`),
settings at the schema's defaults (`settings`), fresh processes under other hash seeds
(`processes`), and the fakes they run against on 127.0.0.1: arXiv (`fake_arxiv`, its Atom feeds
from `atom`), NIM (`fake_nim`) and an OpenAI-compatible LLM (`fake_llm`), both on `loopback`;
the fixture corpus (`fixture_papers`); a headless-Chromium driver (`browser`); Snakemake's dry-run
API (`dryrun_api`); and a fake cluster (`cluster/`)."""
