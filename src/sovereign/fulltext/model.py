"""What every part of the full-text stage speaks: a section, the kinds of source, the limits a
source is parsed under, and the one error a bad source raises (it costs that paper its full text,
never the run)."""

from __future__ import annotations

from dataclasses import dataclass

# Bump when parsing changes what a source gives: it is recorded per section and reruns the stage.
PARSER_VERSION = "fulltext-1"

# Source kinds, strongest first (sections.parquet `source_kind`).
LATEX = "latex"
PDF = "pdf"
ABSTRACT = "abstract"

# The path of a paper's first section, its metadata abstract.
ABSTRACT_PATH = "Abstract"


@dataclass(frozen=True)
class Section:
    """One section of a paper: `path` names it as a reader would ("4 Experiments / 4.2
    Ablations", "Abstract"), `text` is plain text (LaTeX turned into readable text, math kept)."""

    path: str
    text: str


@dataclass(frozen=True)
class Limits:
    """Against hostile or broken sources (defaults live in the config schema)."""

    max_bytes: int  # the downloaded/stored source file itself
    max_unpacked_bytes: int  # all members of an archive together, and any single member
    max_members: int  # members of an archive
    seconds: float  # parse time per paper


class SourceError(Exception):
    """A source that cannot be used: `reason` says why in a few words, for the record."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)
