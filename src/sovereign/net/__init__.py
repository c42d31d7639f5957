"""HTTP with manners, for every remote service (arXiv, NIM, an LLM): retries with backoff that
honour Retry-After (`http`), one request per interval across processes (`ratelimit`), and the
ledger that records every answer so a rerun or a Gate 2 replay never asks again (`ledger`), and
an OpenAI-compatible chat client on top of them (`chat`: the LLM reviewer, the writer model)."""

__all__ = ["chat", "http", "ledger", "ratelimit"]
