"""Errors a user can act on: each names the file (and field) at fault and the fix."""

from __future__ import annotations


class SovereignError(Exception):
    """An expected failure with a message meant for a person, not a traceback."""

    def __init__(self, where: str, problem: str, fix: str | None = None):
        self.where = where
        self.problem = problem
        self.fix = fix
        super().__init__(self.message)

    def __reduce__(self):  # picklable, so a worker process can hand one back
        return (type(self), (self.where, self.problem, self.fix))

    @property
    def message(self) -> str:
        text = f"{self.where}: {self.problem}"
        if self.fix:
            text += f"\n  fix: {self.fix}"
        return text


class ConfigError(SovereignError):
    """Invalid configuration or question sheet, found before any job runs."""


class InputFileError(SovereignError):
    """A stage input (snapshot, Parquet, ledger entry) is missing or corrupt."""


class NetworkError(SovereignError):
    """A remote service could not be reached or kept refusing after retries."""


class LedgerMiss(SovereignError):
    """Replay mode needed a response the ledger does not hold."""
