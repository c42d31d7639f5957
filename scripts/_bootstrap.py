"""Put this workflow's own `src/` first on sys.path, so a script runs the library version that
sits beside it (a checkout, or a Gate 2 bundle), whatever else is installed."""

import sys
from pathlib import Path

SRC = str(Path(__file__).resolve().parent.parent / "src")
if SRC not in sys.path:
    sys.path.insert(0, SRC)
