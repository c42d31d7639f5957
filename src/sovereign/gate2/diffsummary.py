"""One line saying how a re-run output differs from the expected one (for Gate 2 verdicts)."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def summarize(name: str, expected: bytes, actual: bytes | None) -> str:
    if actual is None:
        return "not produced by the re-run"
    if name.endswith(".parquet"):
        return _parquet(expected, actual)
    return _text(expected, actual)


def _text(expected: bytes, actual: bytes) -> str:
    old = expected.decode("utf-8", "replace").split("\n")
    new = actual.decode("utf-8", "replace").split("\n")
    for number, (a, b) in enumerate(zip(old, new, strict=False), start=1):
        if a != b:
            return f"line {number} differs: expected {_clip(a)!r}, got {_clip(b)!r}"
    return f"{len(old)} lines expected, {len(new)} produced"


def _parquet(expected: bytes, actual: bytes) -> str:
    try:
        old = pq.read_table(io.BytesIO(expected))
        new = pq.read_table(io.BytesIO(actual))
    except (pa.ArrowException, OSError) as err:
        return f"not a readable Parquet file ({type(err).__name__})"
    if old.schema != new.schema:
        return "the schema differs"
    if old.num_rows != new.num_rows:
        return f"{old.num_rows} rows expected, {new.num_rows} produced"
    columns = [c for c in old.column_names if not old.column(c).equals(new.column(c))]
    if columns:
        return f"same {old.num_rows} rows; values differ in: {', '.join(columns)}"
    return "same schema and values; the file bytes differ (writer, version or metadata)"
