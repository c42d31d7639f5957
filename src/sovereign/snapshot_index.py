"""`python -m sovereign.snapshot_index SNAPSHOT OUT`: build a snapshot's search index by hand
(the workflow's snapshot_index rule does the same; the code is sovereign.search.snapshot_build)."""

import sys

from .search.snapshot_build import main

if __name__ == "__main__":
    sys.exit(main())
