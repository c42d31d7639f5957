"""`python -m sovereign.corrections add|check FILE`: append to or check a question's correction
file (the code is sovereign.report.corrections)."""

import sys

from .report.corrections import main

if __name__ == "__main__":
    sys.exit(main())
