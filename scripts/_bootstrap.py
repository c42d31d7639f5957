"""Put this workflow's own `src/` first on sys.path, so a script runs the library version that
sits beside it (a checkout, or a Gate 2 bundle), whatever else is installed. And keep pandas out
of stage jobs (see _NoPandas)."""

import importlib.abc
import sys
from pathlib import Path

SRC = str(Path(__file__).resolve().parent.parent / "src")
# First, even when already present: Snakemake's script preamble appends the parent's sys.path,
# which would leave this src/ behind an installed (e.g. editable) copy of the package.
while SRC in sys.path:
    sys.path.remove(SRC)
sys.path.insert(0, SRC)


class _NoPandas(importlib.abc.MetaPathFinder):
    """pyarrow imports pandas the first time it builds an array, only to ask whether its input is
    a pandas object: 0.2 s of every job, a third of a stage's start-up. No stage uses pandas, so
    its import is refused here and pyarrow takes its pandas-free path (same arrays, same bytes)."""

    def find_spec(self, name, path=None, target=None):
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError("pandas is kept out of sovereign's stage jobs", name=name)
        return None


if "pandas" not in sys.modules:
    sys.meta_path.insert(0, _NoPandas())
