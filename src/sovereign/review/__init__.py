"""The review stage: a tribunal of three roles (SKEPTIC, VALIDATOR, SYNTHESIZER) scores the
synthesis 0-10 with itemised findings, revises once below the threshold and applies the policy
(`tribunal`); `coverage` measures which parts of the question the sources answer; an optional LLM
reviewer (`llm_review`, through the OpenAI-compatible client `llm`) adds its own scores;
`stage` assembles the evidence and writes reviews.parquet."""

__all__ = ["coverage", "llm", "llm_review", "stage", "tribunal"]
