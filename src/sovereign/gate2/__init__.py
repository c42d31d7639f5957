"""Gate 2, the sandbox-reproduction check of a published record: a deterministic bundle per
question (`bundle`, written by `archive`), verified by re-running it offline in a sealed sandbox
(`seal` builds the bubblewrap command with its `seccomp` filter, `watch` runs it within the
`limits`, `driver` starts inside) and comparing every output byte for byte (`verify`,
`diffsummary` says what differs); the `verdict` is appended to the question's corrections."""

__all__ = [
    "archive",
    "bundle",
    "driver",
    "limits",
    "members",
    "seal",
    "seccomp",
    "verdict",
    "verify",
    "watch",
]
