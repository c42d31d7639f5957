"""The report stage's logic: stage files in, report.md + record.json + record.html out (pure).

The record is built first, the report from it; then the report's sha256 goes into the record's
provenance, the record is checked against its JSON Schema, and the page renders the checked record.
"""

from __future__ import annotations

import hashlib
import json
from statistics import mean
from typing import Any

import jsonschema

from ..claims.relevance import MODEL_FILE as RELEVANCE_FILE
from ..claims.verifier import MODEL_FILE as VERIFIER_FILE
from ..errors import SovereignError
from ..io import load_model_file
from .inputs import Inputs
from .markdown import abstract, render_report
from .quality import uncertainty_disclosure
from .record import build_record
from .record_page import record_page


class RecordSchemaError(SovereignError):
    pass


def model_figures() -> dict[str, float]:
    """The measured quality of the shipped models, quoted in methodology and uncertainties."""
    verifier = load_model_file(VERIFIER_FILE, json.loads, "verifier", "verify_eval.py")
    relevance = load_model_file(RELEVANCE_FILE, json.loads, "relevance", "relevance_eval.py")
    return {
        "macro_f1": round(mean(verifier["measured"]["test_macro_f1"].values()), 4),
        "relevance_auc": relevance["measurement"]["report_half"]["auc"],
        "relevance_threshold": relevance["threshold"],
    }


def check_record(record: dict[str, Any], schema: dict[str, Any], where: str) -> None:
    """Refuse a record its schema rejects, naming the field (a bug, never the user's input)."""
    errors = sorted(
        jsonschema.Draft202012Validator(schema).iter_errors(record), key=lambda e: list(e.path)
    )
    if errors:
        err = errors[0]
        field = ".".join(str(p) for p in err.absolute_path) or "(top level)"
        raise RecordSchemaError(
            f"{where}: {field}",
            f"the record does not match config/schemas/record.schema.json ({err.message})",
            "report this as a bug in sovereign; the record was not written",
        )


def render_all(inp: Inputs, schema: dict[str, Any], where: str) -> tuple[str, str, str]:
    """(report.md, record.json, record.html) as text, byte-identical for the same inputs."""
    record = build_record(inp)
    text_abstract = abstract(record, inp.papers, inp.claims, inp.summary)
    report = render_report(
        record, inp.papers, inp.claims, inp.summary, text_abstract, answer=inp.answer
    )
    record["provenance"]["report_artifact"]["sha256"] = hashlib.sha256(
        report.encode("utf-8")
    ).hexdigest()
    record["quality_dimensions"]["uncertainty_disclosure"] = uncertainty_disclosure(
        inp.summary, report, record["retrieval"]["verified"]
    )
    check_record(record, schema, where)
    record_json = json.dumps(record, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    page = record_page(
        record,
        inp.papers,
        inp.claims,
        inp.summary,
        text_abstract,
        publish_at=inp.settings["publish_at"],
        answer=inp.answer,
    )
    return report, record_json, page
