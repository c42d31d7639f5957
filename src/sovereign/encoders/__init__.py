"""Text encoders that know no stage: the interface (`base`), the local embedders (`minilm`,
`wordllama`, `hashing`, chosen by name in `local`) and the content-addressed vector cache
(`cache`). The filter, embed, claims and review stages all score meaning with them."""

__all__ = ["base", "local", "wordllama"]
