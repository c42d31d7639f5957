"""The answer stage's settings (config section `answer`; the schema holds the defaults): how many
themes and quotes, and the optional writer model. `rerun_params` are the rule's params: a change
rebuilds the answer; how to reach the writer's service is not in them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..io import canonical

_TRANSPORT = ("url", "api_key_env", "offline", "retries", "backoff", "max_wait", "timeout")


@dataclass(frozen=True)
class Settings:
    max_themes: int
    quotes_per_theme: int
    writer_min_overlap: float  # the writer's check (its model and limits reach it by its client)

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Settings:
        a = params["answer"]
        writer = a.get("writer") or {}
        return cls(
            max_themes=int(a["max_themes"]),
            quotes_per_theme=int(a["quotes_per_theme"]),
            writer_min_overlap=float(writer.get("min_overlap", 0.0)),
        )


def rerun_params(config: dict[str, Any]) -> dict[str, Any]:
    """What changes an answer; the writer's model and limits only when a writer is configured."""
    answer = {k: v for k, v in config["answer"].items() if k != "writer"}
    writer = config["answer"]["writer"]
    if writer["url"]:
        answer["writer"] = {k: v for k, v in writer.items() if k not in _TRANSPORT}
    return canonical({"answer": answer})
