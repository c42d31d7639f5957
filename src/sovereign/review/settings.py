"""The review stage's settings, from one place: the tribunal's thresholds, weights and policy,
the filter's thresholds it judges the sources by, and the LLM reviewer's model (`rerun_params`,
the rule's params: a change reruns review; how to reach a service is not in it), and the
tribunal's `Settings`, built from those params alone, so what the job uses is what is tracked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..filter import settings as filter_settings
from ..io import canonical

# Settings that only say how to reach the LLM: a change is no reason to review again.
_TRANSPORT = ("url", "api_key_env", "offline", "retries", "backoff", "max_wait", "timeout")


def rerun_params(config: dict[str, Any]) -> dict[str, Any]:
    """The settings that change a review; JSON-like, every mapping sorted (`canonical`)."""
    review = {k: v for k, v in config["review"].items() if k != "llm"}
    llm = config["review"]["llm"]
    if llm["url"]:
        review["llm"] = {k: v for k, v in llm.items() if k not in _TRANSPORT}
    return canonical({"review": review, "filter": filter_settings.rerun_params(config)})


@dataclass(frozen=True)
class Settings:
    """The tribunal's rules (config section `review`; the schema holds the defaults)."""

    revise_below: float
    publish_at: float
    reject_below: float
    fatal_cap: float
    disclosed_factor: float
    answer_coverage: float
    entity_fatal_share: float
    term_fatal_share: float
    answered_share: float
    breadth_papers: int
    breadth_weight: float
    single_source_cap: float
    relevance_threshold: float  # the claims stage's, from its shipped relevance model
    filter_threshold: float
    semantic_threshold: float
    weights: dict[str, float]
    policy: dict[str, str]

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Settings:
        # the relevance model is read by the job, not by every parse of the Snakefile
        from ..claims.relevance import load_relevance_model

        r, f = params["review"], params["filter"]
        return cls(
            revise_below=float(r["revise_below"]),
            publish_at=float(r["publish_at"]),
            reject_below=float(r["reject_below"]),
            fatal_cap=float(r["fatal_cap"]),
            disclosed_factor=float(r["disclosed_factor"]),
            answer_coverage=float(r["answer_coverage"]),
            entity_fatal_share=float(r["entity_fatal_share"]),
            term_fatal_share=float(r["term_fatal_share"]),
            answered_share=float(r["answered_share"]),
            breadth_papers=int(r["breadth_papers"]),
            breadth_weight=float(r["breadth_weight"]),
            single_source_cap=float(r["single_source_cap"]),
            relevance_threshold=float(load_relevance_model().threshold),
            filter_threshold=float(f["threshold"]),
            semantic_threshold=float(f["semantic_threshold"]),
            weights={k: float(v) for k, v in sorted(r["weights"].items())},
            policy=dict(sorted(r["policy"].items())),
        )

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Settings:
        return cls.from_params(rerun_params(config))
