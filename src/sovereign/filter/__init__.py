"""The filter stage: de-duplicate the hits and keep a paper whose TF-IDF cosine or sentence-
encoder cosine with the question passes its threshold (`stage`); the semantic threshold is
fitted on the answer-quality benchmark and shipped in models/filter.json (`model`)."""

__all__ = ["model", "settings", "stage"]
