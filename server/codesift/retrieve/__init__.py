"""Candidate generators (keyword, AST symbols, regex) and their fusion."""
