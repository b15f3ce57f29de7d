"""codesift: local code search with late-binding reranking."""

__version__ = "0.1.0"
