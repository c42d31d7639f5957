"""A second look: papers the filter dropped, read in full, kept when their body answers.

The filter judges a paper by its title and abstract. An abstract can name a paper's topic and
not its finding, and such a paper falls below both thresholds while a section of its body
answers the question. So the full-text stage also reads the papers the filter dropped (all, or
the `n` best-scored: by encoder cosine, then TF-IDF cosine, then id), cuts each body
into passages of about an abstract's length, and applies the filter's rule to each passage on
its own: TF-IDF cosine >= `filter.threshold`, or encoder cosine >= a passage threshold fitted
the way the filter's semantic threshold was (`passage_model`: a short passage scores higher than
a whole abstract, so the filter's own threshold would keep too much). Without the title: it was
judged with the abstract, and beside a short generic passage it would carry the decision alone.
A paper with a passing passage is kept "on its full text", and its best passage is named in the
record; a near miss with no body (its abstract only) is never kept, since the filter has judged
that text already.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..text.sentences import split_sentences
from ..text.tfidf import tfidf_scores
from .model import Section

ABSTRACT_KEPT = "abstract"  # sections.parquet `kept_on`: the filter kept the paper
FULL_TEXT_KEPT = "full text"  # ... or a passage of its body passed the filter's test

PASSAGE_WORDS = 120  # about an abstract's length: the texts the filter's thresholds were fitted on
# A paper's passages judged at most (about 36,000 words): a huge hostile body costs bounded work.
MAX_PASSAGES = 300


def passages(text: str, words: int = PASSAGE_WORDS) -> list[str]:
    """`text` as runs of whole sentences of at most `words` words each (a longer sentence is a
    passage of its own), in order."""
    out: list[str] = []
    run: list[str] = []
    size = 0
    for sentence in split_sentences(text):
        n = len(sentence.split())
        if run and size + n > words:
            out.append(" ".join(run))
            run, size = [], 0
        run.append(sentence)
        size += n
    if run:
        out.append(" ".join(run))
    return out


@dataclass(frozen=True)
class Passing:
    """The best passage of a near miss that passed the filter's test."""

    section_index: int  # 1-based, as in sections.parquet (0 is the abstract)
    section_path: str
    tfidf_score: float
    semantic_score: float

    def note(self, threshold: float, semantic_threshold: float) -> str:
        signals = []
        if self.semantic_score >= semantic_threshold:
            signals.append(f"encoder cosine {self.semantic_score:.3f} >= {semantic_threshold:.3f}")
        if self.tfidf_score >= threshold:
            signals.append(f"TF-IDF cosine {self.tfidf_score:.3f} >= {threshold}")
        return (
            f"kept on its full text: a passage of {self.section_path} passes the filter "
            f"({' and '.join(signals)}); its abstract did not"
        )


Score = Callable[[list[str]], list[float]]  # encoder cosines of the question with documents


@dataclass(frozen=True)
class Judge:
    """The filter's test for passages: its thresholds, the question, and the question's encoder
    cosine with documents (`score`, the filter's encoder)."""

    question: str
    threshold: float
    semantic_threshold: float
    score: Score

    def passage_scores(self, sections: Sequence[Section]) -> list[Passing]:
        """Every passage's scores, in text order (a Passing whether it passes or not). A passage
        is judged on its own, without the paper's title: the title was judged with the abstract,
        and beside a short, generic passage it would carry the decision alone."""
        spots: list[tuple[int, str]] = []
        texts: list[str] = []
        for index, section in enumerate(sections, start=1):
            for passage in passages(section.text):
                spots.append((index, section.path))
                texts.append(passage)
        spots, texts = spots[:MAX_PASSAGES], texts[:MAX_PASSAGES]
        if not texts:
            return []
        lexical = tfidf_scores(self.question, texts)
        meaning = self.score(texts)
        return [
            # the encoder cosine rounded as the filter rounds it before comparing (TF-IDF is not)
            Passing(index, path, float(t), round(float(m), 6))
            for (index, path), t, m in zip(spots, lexical, meaning, strict=True)
        ]

    def passes(self, passage: Passing) -> bool:
        return (
            passage.tfidf_score >= self.threshold
            or passage.semantic_score >= self.semantic_threshold
        )

    def best(self, sections: Sequence[Section]) -> Passing | None:
        """The passing passage with the highest encoder cosine (then TF-IDF, then the first),
        None when no passage passes."""
        scored = list(enumerate(self.passage_scores(sections)))
        passing = [(i, p) for i, p in scored if self.passes(p)]
        if not passing:
            return None
        return min(passing, key=lambda ip: (-ip[1].semantic_score, -ip[1].tfidf_score, ip[0]))[1]


def encoder_judge(question: str, config: dict[str, Any], threads: int = 1) -> Judge:
    """The configured second look's Judge: the filter's TF-IDF threshold, the fitted passage
    threshold (models/second_look.json), and the filter's encoder (checked to be the one both
    were fitted on)."""
    from ..encoders.base import cosine
    from ..encoders.local import encoder_for
    from ..errors import InputFileError
    from ..filter.settings import Settings as FilterSettings
    from ..filter.stage import check_encoder
    from .passage_model import MODEL_FILE, load_passage_model

    encoder = encoder_for(config, threads)
    check_encoder(encoder)
    model = load_passage_model()
    if encoder.model != model.encoder:
        raise InputFileError(
            str(MODEL_FILE),
            f"was fitted on {model.encoder}, not on {encoder.model}",
            "restore it from the repository "
            "(git checkout -- src/sovereign/models/second_look.json)",
        )
    q = encoder.embed([question], "query")[0]

    def score(texts: list[str]) -> list[float]:
        return [cosine(q, v) for v in encoder.embed(texts, "passage")]

    threshold = FilterSettings.from_config(config).threshold
    return Judge(question, threshold, model.passage_threshold, score)
