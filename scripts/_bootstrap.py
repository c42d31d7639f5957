"""Put this workflow's own `src/` first on sys.path, so a script runs the library version that
sits beside it (a checkout, or a Gate 2 bundle), whatever else is installed."""

import sys
from pathlib import Path

SRC = str(Path(__file__).resolve().parent.parent / "src")
# First, even when already present: Snakemake's script preamble appends the parent's sys.path,
# which would leave this src/ behind an installed (e.g. editable) copy of the package.
while SRC in sys.path:
    sys.path.remove(SRC)
sys.path.insert(0, SRC)
