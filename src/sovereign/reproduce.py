"""`python -m sovereign.reproduce BUNDLE`: verify a Gate 2 bundle offline (the command every
bundle's README prints; the code is sovereign.gate2.verify)."""

import sys

from .gate2.verify import main

if __name__ == "__main__":
    sys.exit(main())
