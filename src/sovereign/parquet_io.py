"""The one Parquet writer (and checked reader) every stage goes through.

Same rows in, same bytes out: an explicit schema, rows stably sorted by the stage's key, zstd at a
fixed level, a fixed row-group size, no pandas index or metadata, and an atomic rename so a failed
job never leaves a half-written file behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .errors import InputFileError

COMPRESSION = "zstd"
COMPRESSION_LEVEL = 9
ROW_GROUP_SIZE = 65_536


def to_table(rows: Sequence[dict[str, Any]] | pa.Table, schema: pa.Schema) -> pa.Table:
    """Rows (dicts) or a table as exactly `schema`: no extra columns, no pandas metadata."""
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
    # The job reading it fails, and the workflow's onerror clears what was made after it
    # (sovereign.leftovers): deleted, it is rebuilt by the next run with everything after it.
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
