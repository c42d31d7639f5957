"""The embed stage: one vector per kept paper and one for the question (`stage`), from a local
encoder (sovereign.encoders) or NVIDIA NIM over HTTP (`nim`, its answers kept in the ledger)."""

__all__ = ["nim", "settings", "stage"]
