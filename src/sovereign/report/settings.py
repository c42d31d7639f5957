"""The report stage's settings, from one place (`rerun_params`, the rule's params: a change
rebuilds the report): what the record states besides the stage files (publisher, external
registration, thresholds) and the methods the report describes (the search, the tribunal's
rule)."""

from __future__ import annotations

from typing import Any

from ..filter import settings as filter_settings
from ..io import canonical


def rerun_params(config: dict[str, Any]) -> dict[str, Any]:
    search, review = config["search"], config["review"]
    filtering = filter_settings.rerun_params(config)
    return canonical(
        {
            "record": {
                "publisher": config["record"]["publisher"],
                "external_record": config["record"]["external_record"],
                "quarantine_below": config["record"]["quarantine_below"],
                "publish_at": review["publish_at"],
                "filter_threshold": filtering["threshold"],
                "semantic_threshold": filtering["semantic_threshold"],
            },
            "methods": {
                "search": {
                    # replaying recorded arXiv answers is the arXiv search
                    "backend": "snapshot" if search["backend"] == "snapshot" else "arxiv",
                    "max_results": search["max_results"],
                },
                "review": {
                    "weights": review["weights"],
                    "revise_below": review["revise_below"],
                },
            },
        }
    )
