import os
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sovereign import schemas
from sovereign.errors import InputFileError
from sovereign.io import read_table, write_table
from support.paths import REPO

SCHEMA = pa.schema([pa.field("k", pa.string(), nullable=False), pa.field("v", pa.float64())])
ROWS = [{"k": "b", "v": 2.0}, {"k": "a", "v": None}, {"k": "c", "v": 0.1}]

# Rows arrive in set order, which changes with the hash seed; the writer's sort must undo it.
WRITER = """
import sys
import pyarrow as pa
from sovereign.io import write_table
schema = pa.schema([pa.field("k", pa.string(), nullable=False), pa.field("v", pa.float64())])
rows = [dict(k=k, v=len(k) / 7) for k in {"x", "yy", "zzz", "w", "vv"}]
write_table(rows, schema, sys.argv[1], ("k",))
"""


def test_rows_sorted_no_pandas_metadata(tmp_path):
    write_table(ROWS, SCHEMA, tmp_path / "t.parquet", ("k",))
    table = pq.read_table(tmp_path / "t.parquet")
    assert table.column("k").to_pylist() == ["a", "b", "c"]
    meta = table.schema.metadata or {}
    assert b"pandas" not in meta
    assert pq.ParquetFile(tmp_path / "t.parquet").metadata.row_group(0).column(0).compression == (
        "ZSTD"
    )


def test_same_rows_same_bytes_across_processes_and_hash_seeds(tmp_path):
    outputs = []
    for seed in ("0", "1", "12345"):
        path = tmp_path / f"t{seed}.parquet"
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO / "src")}
        subprocess.run([sys.executable, "-c", WRITER, str(path)], env=env, check=True)
        outputs.append(path.read_bytes())
    assert len(set(outputs)) == 1


def test_corrupt_and_foreign_files_are_reported(tmp_path):
    bad = tmp_path / "raw.parquet"
    bad.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(InputFileError, match="not a readable Parquet file") as err:
        read_table(bad, schemas.RAW)
    assert "delete" in err.value.message and str(bad) in err.value.where
    write_table(ROWS, SCHEMA, tmp_path / "other.parquet", ("k",))
    with pytest.raises(InputFileError, match="missing columns"):
        read_table(tmp_path / "other.parquet", schemas.RAW)
    with pytest.raises(InputFileError, match="does not exist"):
        read_table(tmp_path / "none.parquet", schemas.RAW)


def test_a_failed_write_leaves_nothing_behind(tmp_path):
    with pytest.raises(pa.ArrowInvalid):
        write_table([{"k": None, "v": 1.0}], SCHEMA, tmp_path / "t.parquet", ("k",))
    assert list(tmp_path.iterdir()) == []
