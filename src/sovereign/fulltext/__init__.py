"""The full-text stage: papers' own sources (arXiv e-prints, PDFs) parsed into sections."""
