"""Gate 2, the sandbox-reproduction check of a published record: a deterministic bundle per
question (`bundle`, written by `archive`), verified by re-running it offline in isolation
(`sandbox`) and comparing every output byte for byte (`verify`, `diffsummary` says what
differs)."""

__all__ = ["archive", "bundle", "diffsummary", "sandbox", "verify"]
