"""Parsing: tree-sitter grammars, definition queries and the chunker."""
