"""The claims stage: checkable statements of the kept papers, each tied to its source span,
checked against the other kept papers, and scored.

For a question and its kept papers:
1. every abstract is split into sentences (character spans into the stored abstract);
2. relevance of every sentence: the calibrated probability that it helps answer the question
   (sovereign.claims.relevance, fitted on expert question -> evidence data);
3. a sentence is a claim when it states something checkable: a comparison, a measured result,
   or a reported finding, and not only background, motivation or what the paper proposes; or
   when it is a relevant statement (`statement`: a full declarative sentence the relevance
   model judges relevant), since an answer is made of such sentences too;
4. evidence: the other kept papers nearest to the claim's paper in the semantic index, their
   sentences nearest to the claim, each judged by the verifier (SUPPORT/CONTRADICT/NEUTRAL);
5. grounded (the span gives the claim text back), verified (grounded, relevant, and no
   contradiction found: it does not require support) and confidence = P(relevant) x
   P(not contradicted | the evidence verdict), the second factor measured per verdict on the
   labelled claim sets (a claim with no evidence to judge counts as NEUTRAL).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..contracts import document
from ..encoders.base import Embedder, cosine
from ..encoders.local import encoder
from ..encoders.wordllama import WordLlamaEmbedder
from ..errors import InputFileError
from ..fulltext.model import ABSTRACT_PATH
from ..text.normalize import collapse_whitespace, fold, stems
from ..text.question import asked_words
from ..text.sentences import sentence_spans
from .relevance import load_relevance_model, relevance_features
from .settings import Settings
from .verifier import VerifierModel, feature_matrix, load_verifier_model, verdict
from .verifier_data import CONTRADICT, LABELS, SUPPORT

# What makes a sentence checkable. Matched on the folded (lower-case, TeX-free) sentence.
_COMPARISON = re.compile(
    r"\b(outperform\w*|surpass\w*|exceed\w*|better than|worse than|higher than|lower than|"
    r"more than|less than|fewer than|faster than|slower than|compared (to|with)|relative to|"
    r"over (the |strong |existing |prior |previous )?(baseline|state of the art|sota)\w*|"
    r"state of the art|sota|beat\w*|versus|vs|on par with|comparable to|matches|rivals?)\b"
)
# What a measured result is a number of (a dataset of 10 languages is not a result).
_METRIC = re.compile(
    r"\b(accuracy|accuracies|score|f1|bleu|rouge|auc|error|errors|precision|recall|perplexity|"
    r"loss|latency|throughput|speed\w*|faster|slower|gains?|improv\w*|reduc\w*|rate|"
    r"correlation|success|win|top-?1|top-?5|map|ndcg|mrr|points?)\b|%"
)
# A comparison so direct that scene-setting words around it do not make it background.
_OUTPERFORM = re.compile(r"\b(outperform\w*|surpass\w*|beat\w*)\b")
_MEASUREMENT = re.compile(
    r"(\d+(\.\d+)?\s*(%|percent|x\b|times\b|fold\b|points?\b|pp\b|db\b|ms\b|bleu|f1|auc)|"
    r"\b(up to|by|of|to|reaching|achieving)\s+\d+(\.\d+)?\b|\d+(\.\d+)?\s*(k|m|b)?\s*"
    r"(parameters|params|tokens|gpus?|hours|samples))"
)
_FINDING = re.compile(
    r"\b(we (show|find|found|observe|demonstrate|prove|confirm|reveal|establish)\w*|"
    r"(results?|experiments?|evaluations?|analys[ie]s|findings|ablations?|studies)( [^ .;]+){0,8} "
    r"(show|demonstrate|indicate|reveal|suggest|confirm|validate|verif)\w*|"
    r"superior (performance|results|accuracy|efficiency)|"
    r"(shows?|demonstrates?|reveals?|indicates?|confirms?) that|"
    r"(achiev|improv|reduc|boost|accelerat|halv|doubl)(es|ed|s)?\b|speeds? up|"
    r"(gains?|improvements?|reductions?|speedups?) (of|over|in|on)\b|"
    r"consistently|significantly (better|worse|higher|lower|faster|improv\w*|reduc\w*|"
    r"outperform\w*)|substantially|is (effective|robust))"
)
# Sentences that only set the scene or announce a contribution, unless they also report a result.
_BACKGROUND = re.compile(
    r"^(however, )?(recent(ly)?|in recent years|over the past|despite|while|although|"
    r"existing|current|prior|previous|traditional|conventional|(the )?(widespread|rapid|"
    r"growing|increasing))\b|"
    r"^([a-z]+, )?(to [^,]+, )?we (further |also |then |first )?(propose|present|introduce|"
    r"describe|develop|design)\b|"
    r"\b(has|have) (become|been widely|attracted|gained|emerged)|remains? (a |an )?"
    r"(challeng|open|difficult|unclear|unexplored)|\bis (crucial|essential|important|"
    r"fundamental|a key|a critical)\b|^((in this (paper|work|study)|here|this (paper|work)),? )?"
    r"we (propose|present|introduce|describe|develop|study|investigate|explore)\b|"
    r"\b(code|data|models?|datasets?) (is|are|will be) (publicly )?(available|released)"
)


def claim_kind(sentence: str) -> str | None:
    """comparison, measurement or finding for a checkable sentence; None for anything else."""
    text = fold(sentence)
    if "http" in text or "github" in text:
        return None
    background = bool(_BACKGROUND.search(text))
    if _COMPARISON.search(text) and (not background or _OUTPERFORM.search(text)):
        return "comparison"
    if _MEASUREMENT.search(text) and (_FINDING.search(text) or _METRIC.search(text)):
        return "measurement"
    if _FINDING.search(text) and not background:
        return "finding"
    return None


def is_statement(sentence: str) -> bool:
    """A sentence that states something (the `statement` kind, taken when it is relevant to the
    question): a full declarative sentence, not a question, a link or a fragment."""
    text = fold(sentence).strip()
    if "http" in text or "github" in text or text.endswith("?"):
        return False
    return len(re.findall(r"[a-z]{2,}", text)) >= 6


@dataclass(frozen=True)
class Sentence:
    arxiv_id: str
    index: int  # within the paper, across its sections in order
    start: int  # span into its section's stored text
    end: int
    text: str
    section_index: int = 0  # 0: the abstract
    section_path: str = "Abstract"


def paper_sentences(
    paper: dict[str, Any], sections: list[tuple[int, str, str]] | None = None
) -> list[Sentence]:
    """The paper's sentences, section by section: `sections` are (index, path, text) as in
    sections.parquet (the abstract first); without them, the abstract alone."""
    sections = sections or [(0, ABSTRACT_PATH, paper["abstract"])]
    out: list[Sentence] = []
    for section_index, path, text in sections:
        for s, e in sentence_spans(text):
            out.append(Sentence(paper["arxiv_id"], len(out), s, e, text[s:e], section_index, path))
    return out


def body_claims(
    candidates: list[tuple[Sentence, str, float]], limit: int, asked: frozenset[str]
) -> list[tuple[Sentence, str, float]]:
    """A paper's claims from its body: the body of a paper holds many checkable sentences about
    what the question does not ask, so only relevant full statements in at least one of the
    question's own words are taken (the relevance model leans on the paper, and would take a
    relevant paper's boilerplate), at most `limit` per paper, the most relevant first (ties:
    text order)."""
    on_question = [c for c in candidates if not asked or asked & stems(c[0].text)]
    ranked = sorted(on_question, key=lambda c: (-c[2], c[0].index))[:limit]
    return sorted(ranked, key=lambda c: c[0].index)


def _nearest_papers(
    index: dict[str, np.ndarray], source: str, candidates: list[str], k: int
) -> list[str]:
    """The k candidates nearest to `source` in the semantic index (ties broken by id)."""
    scored = sorted((-cosine(index[source], index[c]), c) for c in candidates)
    return [c for _, c in scored[:k]]


def extract_claims(
    question_id: str,
    question: str,
    papers: list[dict[str, Any]],
    index: dict[str, np.ndarray],
    settings: Settings,
    log: Callable[[str], None] = lambda _m: None,
    relevance_encoder: Embedder | None = None,
    sections: dict[str, list[tuple[int, str, str]]] | None = None,
) -> list[dict[str, Any]]:
    """Claims-stage rows for the kept `papers` (sorted by arxiv_id); `index` is the embed
    stage's {arxiv_id: vector}, used to pick which papers may hold a claim's evidence;
    `relevance_encoder` (default: the pipeline's sentence encoder) gives the relevance model's
    cosines, the one it was fitted on; `sections` ({arxiv_id: [(index, path, text)]}, from the
    full-text stage) are the papers' texts (default: their abstracts).
    A claim is grounded when its span in its stored section gives its text back (extracted
    verbatim, so always; checked rather than assumed)."""
    papers = sorted(papers, key=lambda p: p["arxiv_id"])
    ids = [p["arxiv_id"] for p in papers]
    if len(set(ids)) != len(ids):
        raise InputFileError(
            "claims", "the kept papers repeat an arXiv id", "rebuild filtered.parquet (delete it)"
        )
    missing = sorted(set(ids) - set(index))
    if papers and missing:
        raise InputFileError(
            "embeddings.parquet",
            f"holds no vector for kept paper(s) {', '.join(missing[:5])}",
            "delete it and run the workflow again to rebuild it",
        )
    sections = sections or {}
    sentences = {p["arxiv_id"]: paper_sentences(p, sections.get(p["arxiv_id"])) for p in papers}
    all_sentences = [s for p in papers for s in sentences[p["arxiv_id"]]]
    if not all_sentences:
        log(f"0 sentences in {len(papers)} papers, 0 claims")
        return []
    paper_text = {p["arxiv_id"]: document(p) for p in papers}

    # Relevance of every sentence, from the sentence encoder's cosines (the paper vectors are
    # the filter's, cached): a relevant statement answers the question, checkable or not.
    rel = relevance_encoder or encoder()
    rel_question = rel.embed([question], "query")[0]
    rel_sentences = rel.embed([s.text for s in all_sentences], "passage")
    rel_papers = dict(zip(paper_text, rel.embed(list(paper_text.values()), "passage"), strict=True))
    relevance_model = load_relevance_model()
    rel_rows = np.array(
        [
            relevance_features(
                question,
                s.text,
                paper_text[s.arxiv_id],
                rel_question,
                rel_sentences[n],
                rel_papers[s.arxiv_id],
            )
            for n, s in enumerate(all_sentences)
        ],
        dtype=np.float64,
    )
    p_relevant = relevance_model.probability(rel_rows)
    claims: list[tuple[Sentence, str]] = []
    relevance_list: list[float] = []
    body: dict[str, list[tuple[Sentence, str, float]]] = {}
    asked = asked_words(question)
    # A body sentence that repeats one of its paper's abstract sentences word for word is the
    # same claim: the abstract's is taken.
    in_abstract = {
        (s.arxiv_id, collapse_whitespace(s.text)) for s in all_sentences if s.section_index == 0
    }
    for s, prob in zip(all_sentences, p_relevant, strict=True):
        relevant = prob >= relevance_model.threshold
        if s.section_index and (s.arxiv_id, collapse_whitespace(s.text)) in in_abstract:
            continue
        if s.section_index == 0:
            kind = claim_kind(s.text) or (
                "statement" if relevant and is_statement(s.text) else None
            )
            if kind is not None:
                claims.append((s, kind))
                relevance_list.append(float(prob))
        elif relevant and is_statement(s.text):
            body.setdefault(s.arxiv_id, []).append(
                (s, claim_kind(s.text) or "statement", float(prob))
            )
    for arxiv_id in sorted(body):
        for s, kind, prob in body_claims(body[arxiv_id], settings.body_claims, asked):
            claims.append((s, kind))
            relevance_list.append(prob)
    order = sorted(range(len(claims)), key=lambda n: (claims[n][0].arxiv_id, claims[n][0].index))
    claims = [claims[n] for n in order]
    relevance_list = [relevance_list[n] for n in order]
    log(f"{len(all_sentences)} sentences in {len(papers)} papers, {len(claims)} claims")
    if not claims:
        return []
    relevance = np.asarray(relevance_list, dtype=np.float64)

    embedder = WordLlamaEmbedder()
    sentence_vectors = dict(
        zip(
            ((s.arxiv_id, s.index) for s in all_sentences),
            embedder.embed([s.text for s in all_sentences], "passage"),
            strict=True,
        )
    )

    # Candidate evidence per claim: sentences of the nearest other papers, nearest to the claim,
    # and no less similar than the verifier's training pairs (outside that it is not judged).
    verifier = load_verifier_model()
    by_paper = {
        i: np.stack([sentence_vectors[(s.arxiv_id, s.index)] for s in sentences[i]]).astype(
            np.float64
        )
        for i in ids
        if sentences[i]
    }
    pairs: list[tuple[int, Sentence]] = []
    for n, (claim, _) in enumerate(claims):
        others = [i for i in ids if i != claim.arxiv_id and i in by_paper]
        nearest = _nearest_papers(index, claim.arxiv_id, others, settings.evidence_papers)
        cv = np.asarray(sentence_vectors[(claim.arxiv_id, claim.index)], dtype=np.float64)
        same = fold(claim.text)
        scored = []
        for other in nearest:
            # elementwise product and numpy's own sum per row (no BLAS): the same bits anywhere
            cosines = np.sum(by_paper[other] * cv, axis=1)
            scored.extend(
                (-float(c), other, s.index, s)
                for c, s in zip(cosines, sentences[other], strict=True)
                # a verbatim copy (shared boilerplate) is no independent evidence either way
                if c >= verifier.min_cosine and fold(s.text) != same
            )
        ranked = [t[3] for t in sorted(scored, key=lambda t: t[:3])]
        pairs.extend((n, s) for s in ranked[: settings.evidence_sentences])

    if pairs:
        features = feature_matrix(
            [claims[n][0].text for n, _ in pairs],
            [s.text for _, s in pairs],
            np.stack(
                [sentence_vectors[(claims[n][0].arxiv_id, claims[n][0].index)] for n, _ in pairs]
            ),
            np.stack([sentence_vectors[(s.arxiv_id, s.index)] for _, s in pairs]),
        )
        probs = verifier.probabilities(features)
    else:
        probs = np.zeros((0, len(LABELS)))
    judged: dict[int, list[tuple[Sentence, np.ndarray]]] = {}
    for (n, s), p in zip(pairs, probs, strict=True):
        judged.setdefault(n, []).append((s, p))

    threshold = relevance_model.threshold
    texts = {
        (p["arxiv_id"], i): text
        for p in papers
        for i, _path, text in sections.get(p["arxiv_id"]) or [(0, "", p["abstract"])]
    }
    rows = []
    for n, (claim, kind) in enumerate(claims):
        rows.append(
            _row(
                question_id,
                claim,
                kind,
                float(relevance[n]),
                threshold,
                judged.get(n, []),
                verifier,
                grounded=texts[(claim.arxiv_id, claim.section_index)][claim.start : claim.end]
                == claim.text,
            )
        )
    return rows


def _best(judged: list[tuple[Sentence, np.ndarray]], label: str) -> tuple[Sentence | None, float]:
    """The sentence most probably of `label` (ties: lowest arXiv id, then sentence index)."""
    if not judged:
        return None, 0.0
    column = LABELS.index(label)
    s, p = min(judged, key=lambda sp: (-float(sp[1][column]), sp[0].arxiv_id, sp[0].index))
    return s, float(p[column])


def _row(
    question_id: str,
    claim: Sentence,
    kind: str,
    relevance: float,
    threshold: float,
    judged: list[tuple[Sentence, np.ndarray]],
    verifier: VerifierModel,
    grounded: bool,
) -> dict[str, Any]:
    label, score = verdict(np.array([p for _, p in judged]).reshape(-1, len(LABELS)), verifier)
    support, p_support = _best(judged, SUPPORT)
    contra, p_contra = _best(judged, CONTRADICT)
    relevant = relevance >= threshold
    return {
        "question_id": question_id,
        "claim_id": f"{claim.arxiv_id}#{claim.index}",
        "arxiv_id": claim.arxiv_id,
        "sentence_index": claim.index,
        "section_index": claim.section_index,
        "section_path": claim.section_path,
        "char_start": claim.start,
        "char_end": claim.end,
        "claim": claim.text,
        "claim_kind": kind,
        "grounded": grounded,
        "relevance": round(relevance, 6),
        "relevant": relevant,
        "evidence_label": label,
        "evidence_score": round(score, 6),
        "evidence_candidates": len(judged),
        "support_arxiv_id": support.arxiv_id if support else None,
        "support_sentence_index": support.index if support else None,
        "support_text": support.text if support else None,
        "support_score": round(p_support, 6) if support else None,
        "contradict_arxiv_id": contra.arxiv_id if contra else None,
        "contradict_sentence_index": contra.index if contra else None,
        "contradict_text": contra.text if contra else None,
        "contradict_score": round(p_contra, 6) if contra else None,
        "verified": grounded and relevant and label != CONTRADICT,
        "confidence": round(relevance * verifier.holds[label], 6) if grounded else 0.0,
    }
