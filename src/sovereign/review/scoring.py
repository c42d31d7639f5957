"""The arithmetic every role shares: a score from its deductions, the cost of a disclosed gap,
the weighted overall score (capped after a fatal finding), rounded half up to 0.1.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .settings import Settings
from .types import UNFIXABLE_BY_DISCLOSURE, Finding, RoleReview, Synthesis


def paper_text(paper: dict[str, Any]) -> str:
    return f"{paper['title']}\n{paper['abstract']}"


def round_half_up(value: float) -> float:
    """Round half up to 0.1 (Python's round() is half-even, which surprises readers)."""
    return int(value * 10 + 0.5 + 1e-9) / 10


def score_from(deductions: float) -> float:
    return round(max(0.0, 10.0 - deductions), 2)


def with_cost(finding: Finding, synthesis: Synthesis, settings: Settings) -> Finding:
    """A disclosed gap costs `disclosed_factor` of its points (a fatal one stays fatal)."""
    if (
        finding.criterion in synthesis.disclosed
        and finding.severity in ("minor", "major")
        and finding.criterion not in UNFIXABLE_BY_DISCLOSURE
    ):
        return replace(
            finding,
            finding=finding.finding + " (disclosed)",
            points=round(finding.points * settings.disclosed_factor, 4),
        )
    return finding


def overall_score(reviews: tuple[RoleReview, ...], s: Settings) -> float:
    total = sum(s.weights[r.role] for r in reviews)
    value = sum(s.weights[r.role] * r.score for r in reviews) / total
    if any(r.fatal for r in reviews):
        value = min(value, s.fatal_cap)
    if any(f.criterion == "single_source" for r in reviews for f in r.findings):
        # An answer resting on one paper is no synthesis of a literature, however well grounded.
        value = min(value, s.single_source_cap)
    return round_half_up(value)
