"""The labelled claim-verification sets in `../shared/data`, as (claim, evidence, label) pairs.

Five public sets, each read by path (never copied into the project), mapped to one label space:
SUPPORT / CONTRADICT / NEUTRAL. Each pair carries a group key (the unit its source kept together:
a claim, a topic, a cited article), and the train/test split is drawn by group, so no claim, topic
or article is on both sides. The split hash is salted: the shared folders are themselves the
`sha256(key) % 3 != 0` side of their originals, so an unsalted `% 3` would put nothing in test.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SUPPORT, CONTRADICT, NEUTRAL = "SUPPORT", "CONTRADICT", "NEUTRAL"
LABELS = (SUPPORT, CONTRADICT, NEUTRAL)
SPLIT_SALT = "sovereign-verifier-split-v1"
TEST_SHARE = 3  # one group in three goes to test

SETS = ("scifact", "climate_fever", "healthver", "covidfact", "citint")


@dataclass(frozen=True)
class Pair:
    dataset: str
    group: str
    claim: str
    evidence: str
    label: str


def split_of(dataset: str, group: str) -> str:
    digest = hashlib.sha256(f"{SPLIT_SALT}:{dataset}:{group}".encode()).hexdigest()
    return "test" if int(digest, 16) % TEST_SHARE == 0 else "train"


def fold_of(dataset: str, group: str, folds: int) -> int:
    """The cross-validation fold of a group on the train side (another salt: independent)."""
    digest = hashlib.sha256(f"{SPLIT_SALT}-fold:{dataset}:{group}".encode()).hexdigest()
    return int(digest, 16) % folds


def _lines(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _norm(text: str) -> str:
    return " ".join(text.split())


def scifact(folder: Path) -> Iterator[Pair]:
    # Only the ScholarQABench file carries the abstract text; its answers map true/false to
    # SciFact's SUPPORT/CONTRADICT.
    for r in _lines(folder / "scholarqabench_scifact.jsonl"):
        label = SUPPORT if r["answer"] == "true" else CONTRADICT
        evidence = " ".join(c["text"] for c in r["gold_ctx"])
        yield Pair("scifact", _norm(r["input"]), r["input"], evidence, label)


_CLIMATE = {"SUPPORTS": SUPPORT, "REFUTES": CONTRADICT, "NOT_ENOUGH_INFO": NEUTRAL}


def climate_fever(folder: Path) -> Iterator[Pair]:
    # Each of a claim's five Wikipedia sentences has its own label: one pair per sentence.
    for r in _lines(folder / "climate-fever.jsonl"):
        for e in r["evidences"]:
            yield Pair(
                "climate_fever",
                r["claim_id"],
                r["claim"],
                e["evidence"],
                _CLIMATE[e["evidence_label"]],
            )


_HEALTHVER = {"Supports": SUPPORT, "Refutes": CONTRADICT, "Neutral": NEUTRAL}


def healthver(folder: Path) -> Iterator[Pair]:
    for name in ("healthver_dev.jsonl", "healthver_test.jsonl"):
        for r in _lines(folder / name):
            yield Pair(
                "healthver", r["topic_ip"], r["claim"], r["evidence"], _HEALTHVER[r["label"]]
            )


def covidfact(folder: Path) -> Iterator[Pair]:
    for r in _lines(folder / "COVIDFACT_dataset.jsonl"):
        label = SUPPORT if r["label"] == "SUPPORTED" else CONTRADICT
        yield Pair("covidfact", r["gold_source"], r["claim"], " ".join(r["evidence"]), label)


_CITATION_MARK = re.compile(r"\[[^\]]*<\|[a-z_]*cit[a-z_]*\|>[^\]]*\]")


def citint(folder: Path) -> Iterator[Pair]:
    # Claims are citing sentences (markers removed); evidence is the labelled sentences of the
    # cited article, or all of its selected sentences when the claim has none (NEI).
    corpus = {r["doc_id"]: r["abstract"] for r in _lines(folder / "corpus.jsonl")}
    for name in ("claims_train.jsonl", "claims_dev.jsonl", "claims_test.jsonl"):
        for r in _lines(folder / name):
            doc = r["cited_doc_ids"][0]
            claim = _norm(_CITATION_MARK.sub("", r["claim"]))
            sentences = corpus[doc]
            rationales = r["evidence"].get(str(doc), [])
            if not rationales:
                yield Pair("citint", str(doc // 1000), claim, " ".join(sentences), NEUTRAL)
                continue
            for rationale in rationales:
                label = SUPPORT if rationale["label"] == "SUPPORT" else CONTRADICT
                text = " ".join(sentences[i] for i in rationale["sentences"] if i < len(sentences))
                yield Pair("citint", str(doc // 1000), claim, text, label)


READERS = {
    "scifact": scifact,
    "climate_fever": climate_fever,
    "healthver": healthver,
    "covidfact": covidfact,
    "citint": citint,
}


def load_pairs(data_dir: str | Path, dataset: str) -> list[Pair]:
    return list(READERS[dataset](Path(data_dir) / dataset))


def label_space(pairs: list[Pair]) -> tuple[str, ...]:
    """The labels a set uses, in the fixed order (two-way sets have no NEUTRAL)."""
    present = {p.label for p in pairs}
    return tuple(label for label in LABELS if label in present)
