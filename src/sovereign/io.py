"""All file I/O in one place: the one Parquet writer (and checked reader) every stage goes
through, atomic writes, canonical JSON, file hashes and the shipped model files.

Parquet: same rows in, same bytes out: an explicit schema, rows stably sorted by the stage's key,
zstd at a fixed level, a fixed row-group size, no pandas index or metadata, and an atomic rename
so a failed job never leaves a half-written file behind. pyarrow is imported by the functions
that need it, so the Snakefile's top level (which writes nothing) does not pay for it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import InputFileError

if TYPE_CHECKING:
    import pyarrow as pa

Model = TypeVar("Model")
# The shipped model files (and the MiniLM tokenizer), inside the package.
MODELS = Path(__file__).parent / "models"

COMPRESSION = "zstd"
COMPRESSION_LEVEL = 9
ROW_GROUP_SIZE = 65_536


def to_table(rows: Sequence[dict[str, Any]] | pa.Table, schema: pa.Schema) -> pa.Table:
    """Rows (dicts) or a table as exactly `schema`: no extra columns, no pandas metadata."""
    import pyarrow as pa

    if isinstance(rows, pa.Table):
        table = rows.select(schema.names).cast(schema)
    else:
        # Column by column: Table.from_pylist imports pandas, 0.2 s of every job that writes
        rows = list(rows)
        columns = [pa.array([r.get(f.name) for r in rows], type=f.type) for f in schema]
        table = pa.Table.from_arrays(columns, schema=schema)
    return table.replace_schema_metadata(None)


def write_table(
    rows: Sequence[dict[str, Any]] | pa.Table,
    schema: pa.Schema,
    path: str | os.PathLike[str],
    sort_by: Sequence[str],
) -> pa.Table:
    """Write rows sorted by `sort_by` (stable); returns the table as written."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = to_table(rows, schema)
    if table.num_rows:
        order = pc.sort_indices(table, sort_keys=[(k, "ascending") for k in sort_by])
        table = table.take(order)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        pq.write_table(
            table,
            tmp,
            compression=COMPRESSION,
            compression_level=COMPRESSION_LEVEL,
            row_group_size=ROW_GROUP_SIZE,
            use_dictionary=True,
            write_statistics=True,
        )
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return table


def read_table(path: str | os.PathLike[str], schema: pa.Schema) -> pa.Table:
    """Read a stage file and check it holds the stage's columns; corrupt files say so."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    # The job reading it fails, and the workflow's onerror clears what was made after it
    # (sovereign.run.leftovers): deleted, it is rebuilt by the next run with everything after it.
    fix = f"delete {path} and run the workflow again to rebuild it"
    try:
        # ParquetFile, not pq.read_table: the latter imports pyarrow.dataset and pandas, 0.2 s
        # of every job that reads a stage file
        with pq.ParquetFile(path) as parquet:
            table = parquet.read()
    except FileNotFoundError:
        raise InputFileError(str(path), "the file does not exist", fix) from None
    except (pa.ArrowInvalid, OSError) as err:
        raise InputFileError(str(path), f"not a readable Parquet file ({err})", fix) from None
    missing = [name for name in schema.names if name not in table.schema.names]
    if missing:
        raise InputFileError(
            str(path), f"missing columns {missing}; it was written by another version", fix
        )
    try:
        return table.select(schema.names).cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as err:
        raise InputFileError(str(path), f"columns of the wrong type ({err})", fix) from None


def write_atomic(path: Path, data: bytes) -> None:
    """Write via a temporary file in the same directory and rename: never a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def canonical_json(value: Any) -> str:
    """Compact JSON with sorted keys: the form that is hashed (ledger keys, cache keys, ids)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical(value: Any) -> Any:
    """The same JSON-like value with every mapping's keys sorted: rule params are compared by
    their repr, so the order keys were set in (by a config file, an overlay or --config) must
    not count as a change."""
    return json.loads(canonical_json(value))


def sha256_file(path: str | os.PathLike[str]) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_model_file(path: Path, parse: Callable[[str], Model], kind: str, trainer: str) -> Model:
    """`parse(text)` of a shipped model file; any failure names the file and how to get a good
    one back."""
    try:
        return parse(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise InputFileError(
            str(path),
            f"not a {kind} model this code can use ({err})",
            f"restore it from the repository (git checkout -- src/sovereign/models/{path.name}) "
            f"or retrain it: python benchmarks/{trainer} --write-model",
        ) from None
