"""arXiv API facts the config check and the client share (kept import-light for the Snakefile)."""

ARXIV_API_URL = "https://export.arxiv.org/api/query"
TOU_MIN_INTERVAL = 3.0  # arXiv's terms of use: no more than one request every three seconds
