"""The comparison table: numbers the evidence reports, as (method, task or dataset, metric, value,
source) rows, found with explicit patterns and never guessed.

A number becomes a row only when a metric word stands within a few words of it and it carries a
unit (%, x, points) or sits right beside the metric ("41.2 BLEU", "accuracy of 87.1"); bare counts
and years do not. The dataset is the capitalised name after "on"/"in" (ImageNet, the GLUE
benchmark); the method is a model-like name before the number (GPT-4, ResNet-50, LLaMA) or the
short name before the colon of the paper's title; a cell the sentence does not name is left empty.
With fewer than two rows there is nothing to compare, and the table is left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .evidence import Quote

METRICS = (
    r"top-?[15] accuracy|accuracy|exact match|\bEM\b|F1|F-score|BLEU|ROUGE(?:-[12L])?|"
    r"METEOR|CIDEr|AUC|AUROC|mAP|\bAP\b|nDCG(?:@\d+)?|MRR|recall(?:@\d+)?|precision(?:@\d+)?|"
    r"perplexity|\bPPL\b|WER|error rate|error|win rate|pass@\d+|success rate|latency|throughput|"
    r"speed-?ups?|memory|energy|cost|FLOPs|hallucination rate|correlation|utili[sz]ation"
)
_METRIC = re.compile(METRICS, re.IGNORECASE)
_NUMBER = re.compile(
    r"(?<![\w.@-])(\d+(?:\.\d+)?)(\s?(?:%|percent\b|×|x\b|-?fold\b|points?\b|pp\b|ms\b|s\b))?"
)
_DATASET = re.compile(
    r"\b(?:on|in|for|across)\s+(?:the\s+)?((?:[A-Z][\w.+-]*|\d+[A-Za-z][\w.-]*)"
    r"(?:\s+(?:[A-Z0-9][\w.+-]*))*)"
)
_MODEL = re.compile(r"\b([A-Z][a-z]*[A-Z0-9][\w.+-]*|[A-Z]{2,}[\w.+-]*|[A-Za-z]+-\d[\w.+-]*)")
_CHANGE = (
    (re.compile(r"\b(improv\w*|gains?|boost\w*|increas\w*|outperform\w*|higher)\b", re.I), "gain"),
    (re.compile(r"\b(reduc\w*|decreas\w*|lower\w*|cuts?|fewer|drops?)\b", re.I), "reduction"),
    (re.compile(r"\b(speeds?\s?up\w*|faster|accelerat\w*)\b", re.I), "speed-up"),
)
_HARDWARE = re.compile(r"\b(GPUs?|TPUs?|CPUs?|FPGAs?)\b")  # where it ran, not what it ran on
NEAR = 40  # characters between a number and its metric word
MAX_ROWS = 20


@dataclass(frozen=True)
class Row:
    method: str
    dataset: str
    metric: str
    value: str
    claim_id: str
    arxiv_id: str


def _is_year(number: str, unit: str) -> bool:
    return not unit and "." not in number and 1900 <= int(number) <= 2100


def _metric_near(text: str, start: int, end: int) -> re.Match[str] | None:
    near = [
        m
        for m in _METRIC.finditer(text)
        if (0 <= start - m.end() <= NEAR) or (0 <= m.start() - end <= NEAR)
    ]
    return min(near, key=lambda m: min(abs(start - m.end()), abs(m.start() - end)), default=None)


def _change(text: str, start: int) -> str:
    before = text[max(0, start - 60) : start]
    for pattern, name in _CHANGE:
        if pattern.search(before) and re.search(r"\bby\s*$|\bof\s*$|\bup to\s*$", before):
            return name
    return ""


def _dataset(text: str) -> str:
    for m in _DATASET.finditer(text):
        name = m.group(1).rstrip(".,;:")
        if not _METRIC.fullmatch(name) and len(name) > 1 and not _HARDWARE.search(name):
            return name
    return ""


def _method(text: str, before: int, title: str, dataset: str) -> str:
    for m in reversed(list(_MODEL.finditer(text[:before]))):  # the nearest before the number
        name = m.group(1).rstrip(".,;:")
        if name != dataset and not _METRIC.fullmatch(name) and name not in dataset.split():
            return name
    head, colon, _ = title.partition(":")
    return head.strip() if colon and len(head.split()) <= 4 else ""


def quote_rows(quote: Quote, title: str) -> list[Row]:
    text = quote.text
    dataset = _dataset(text)
    rows = []
    for m in _NUMBER.finditer(text):
        number, unit = m.group(1), (m.group(2) or "").strip()
        if _is_year(number, unit):
            continue
        metric = _metric_near(text, m.start(), m.end())
        beside = metric is not None and (
            0 <= m.start() - metric.end() <= 4 or 0 <= metric.start() - m.end() <= 2
        )
        if metric is None or not (unit or beside):
            continue
        change = _change(text, m.start())
        name = metric.group(0)
        rows.append(
            Row(
                method=_method(text, m.start(), title, dataset),
                dataset=dataset,
                metric=f"{name} ({change})" if change else name,
                value=f"{number}{'' if unit in ('%', '×', 'x') else ' '}{unit}".strip(),
                claim_id=quote.claim_id,
                arxiv_id=quote.arxiv_id,
            )
        )
    return [r for r in rows if r.method or r.dataset]


def comparison_rows(quotes: list[Quote], titles: dict[str, str]) -> list[Row]:
    """Every row the quotes give, metric by metric; [] when fewer than two (nothing to compare)."""
    rows = {r for q in quotes for r in quote_rows(q, titles.get(q.arxiv_id, ""))}
    ordered = sorted(rows, key=lambda r: (r.metric.lower(), r.dataset, r.claim_id, r.value))
    return ordered[:MAX_ROWS] if len(ordered) >= 2 else []
