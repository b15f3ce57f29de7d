"""The language server: a thin LSP shell (pygls) over the search engine."""
