"""`python -m sovereign`: the `sovereign` command (sovereign.cli)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
