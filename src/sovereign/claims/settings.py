"""The claims stage's settings, from one place: how much evidence each claim is checked against.
They are the rule's rerun params and the job's settings alike."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..io import canonical


@dataclass(frozen=True)
class Settings:
    evidence_papers: int  # other kept papers, nearest in the semantic index, searched
    evidence_sentences: int  # their sentences, nearest to the claim, judged by the verifier
    body_claims: int  # claims taken from a paper's body (full text), the most relevant

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Settings:
        c = config["claims"]
        return cls(int(c["evidence_papers"]), int(c["evidence_sentences"]), int(c["body_claims"]))


def rerun_params(config: dict[str, Any]) -> dict[str, Any]:
    return canonical(asdict(Settings.from_config(config)))
