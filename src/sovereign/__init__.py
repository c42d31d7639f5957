"""sovereign: reproducible, automated literature synthesis.

The package holds the pipeline's logic; `scripts/` and `rules/` are thin entry points into it.
"""

__version__ = "0.1.0"
