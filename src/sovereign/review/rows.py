"""The one codec of reviews.parquet: a tribunal outcome as rows (every finding, each role's score,
the overall score, the revision, the verdict and the policy), and the rows read back as a Summary
for the report, the record and its page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..contracts import ROLES
from ..errors import InputFileError
from .types import OVERALL, TRIBUNAL, Outcome


def outcome_rows(question_id: str, outcome: Outcome) -> list[dict[str, Any]]:
    """reviews.parquet rows: every finding, each role's score, and the tribunal's decisions."""
    rows: list[dict[str, Any]] = []

    def add(number, role, seq, criterion, severity, finding, evidence=(), points=0.0, r=None):
        rows.append(
            {
                "question_id": question_id,
                "round": number,
                "role": role,
                "seq": seq,
                "reviewer": r.reviewer if r else "rules",
                "criterion": criterion,
                "severity": severity,
                "finding": finding,
                "evidence": list(evidence),
                "points": float(points),
                "prompt_sha256": r.prompt_sha256 if r else None,
                "ledger_key": r.ledger_key if r else None,
            }
        )

    for rnd in outcome.rounds:
        for r in rnd.reviews:
            add(rnd.number, r.role, 0, "score", "info", f"{r.role} score", (), r.score, r)
            for seq, f in enumerate(r.findings, start=1):
                add(
                    rnd.number,
                    r.role,
                    seq,
                    f.criterion,
                    f.severity,
                    f.finding,
                    f.evidence,
                    f.points,
                    r,
                )
        add(rnd.number, TRIBUNAL, 0, "overall", "info", OVERALL_RULE, (), rnd.overall)
        if rnd.number == 0 and outcome.revision:
            dropped = [c["claim_id"] for c in rnd.synthesis.claims if not c["verified"]]
            add(0, TRIBUNAL, 1, "revision", "info", "; ".join(outcome.revision), dropped)
    last = outcome.final.number
    add(last, TRIBUNAL, 2, "verdict", "info", outcome.verdict, (), outcome.final.overall)
    add(last, TRIBUNAL, 3, "policy", "info", outcome.policy, outcome.reasons)
    return rows


OVERALL_RULE = (
    "weighted mean of the role scores (weights in config review.weights), rounded half up to "
    "0.1; capped at review.fatal_cap after a fatal finding"
)


@dataclass(frozen=True)
class Summary:
    """The tribunal's outcome as read back from reviews.parquet (for the report and record)."""

    scores: dict[int, dict[str, float]]  # round -> role (and OVERALL) -> score
    findings: dict[int, list[dict[str, Any]]]  # round -> finding rows (seq > 0, not TRIBUNAL)
    revision: str | None
    dropped: list[str]
    verdict: str
    policy: str
    reasons: list[str]
    final_round: int
    final_score: float
    reviewer: dict[int, dict[str, str]]  # round -> role -> who scored it ("rules", "rules+llm:...")

    @property
    def reviewers(self) -> list[str]:
        """Every reviewer that scored a role, in any round."""
        return sorted({who for roles in self.reviewer.values() for who in roles.values()})

    @property
    def fatal(self) -> list[dict[str, Any]]:
        return [f for f in self.findings[self.final_round] if f["severity"] == "fatal"]


def summary_from_rows(rows: list[dict[str, Any]], where: str = "reviews.parquet") -> Summary:
    """The tribunal's outcome from its rows; rows that lack a score, verdict or policy are
    refused (InputFileError naming the file), never half-read."""
    summary = _summary(rows)
    problem = None
    if not summary.verdict or not summary.policy:
        problem = "it has no verdict or policy row"
    else:
        for rnd, scores in sorted(summary.scores.items()):
            lacking = [r for r in (*ROLES, OVERALL) if r not in scores]
            if lacking:
                problem = f"round {rnd} has no score for {', '.join(lacking)}"
                break
    if problem:
        raise InputFileError(
            where,
            f"not a complete tribunal review: {problem}",
            "delete it and run again (the review stage writes it whole)",
        )
    return summary


def _summary(rows: list[dict[str, Any]]) -> Summary:
    scores: dict[int, dict[str, float]] = {}
    findings: dict[int, list[dict[str, Any]]] = {}
    revision, dropped, verdict, policy, reasons = None, [], "", "", []
    final_round, final_score = 0, 0.0
    reviewer: dict[int, dict[str, str]] = {}
    for row in rows:
        rnd = row["round"]
        scores.setdefault(rnd, {})
        findings.setdefault(rnd, [])
        if row["role"] == TRIBUNAL:
            if row["criterion"] == "overall":
                scores[rnd][OVERALL] = row["points"]
            elif row["criterion"] == "revision":
                revision, dropped = row["finding"], list(row["evidence"])
            elif row["criterion"] == "verdict":
                verdict, final_round, final_score = row["finding"], rnd, row["points"]
            elif row["criterion"] == "policy":
                policy, reasons = row["finding"], list(row["evidence"])
        elif row["seq"] == 0:
            scores[rnd][row["role"]] = row["points"]
            reviewer.setdefault(rnd, {})[row["role"]] = row["reviewer"]
        else:
            findings[rnd].append(row)
    return Summary(
        scores,
        findings,
        revision,
        dropped,
        verdict,
        policy,
        reasons,
        final_round,
        final_score,
        reviewer,
    )
