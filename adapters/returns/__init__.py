"""File formats of the returns context (carriers' claim files)."""
