"""The review stage: a tribunal of three roles scores the synthesis 0-10 with itemised findings,
revises once below the threshold and applies the policy.

Public: `types` (the vocabulary: verdicts, Evidence, findings, the outcome), `settings`,
`tribunal` (the rounds, the revision and the policy), `rows` (the one codec of reviews.parquet),
`llm_review` (the optional LLM reviewer's fixed prompts, asked through sovereign.net.chat),
`stage` (the stage's glue). Private: the three rubrics (`skeptic`,
`validator`, `synthesizer`), their shared `scoring`, and `coverage` (which parts of the question
the sources answer).
"""

__all__ = ["llm_review", "rows", "settings", "stage", "tribunal", "types"]
