"""Tree-sitter grammar registry.

Grammars come from the official per-language wheels (``tree-sitter-python`` and
friends): they bundle compiled parsers, so nothing is downloaded at run time.
Each language is loaded lazily, once per process, together with its definition
query from ``grammars/<language>.scm``.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import tree_sitter as ts

log = logging.getLogger(__name__)

# language name -> (module, function returning the language capsule)
GRAMMAR_MODULES: dict[str, tuple[str, str]] = {
    "python": ("tree_sitter_python", "language"),
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
    "go": ("tree_sitter_go", "language"),
    "rust": ("tree_sitter_rust", "language"),
    "java": ("tree_sitter_java", "language"),
    "c": ("tree_sitter_c", "language"),
    "cpp": ("tree_sitter_cpp", "language"),
    "csharp": ("tree_sitter_c_sharp", "language"),
    "ruby": ("tree_sitter_ruby", "language"),
    "php": ("tree_sitter_php", "language_php"),
    "bash": ("tree_sitter_bash", "language"),
}


def grammars_dir() -> Path:
    """Folder of the ``.scm`` query files: inside the wheel, or the repo root in a checkout."""
    packaged = Path(__file__).resolve().parent.parent / "grammars"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "grammars"


def query_source(name: str) -> str:
    """A language's query text; a first line ``; inherits: other`` prepends other's query."""
    text = (grammars_dir() / f"{name}.scm").read_text(encoding="utf-8")
    first = text.split("\n", 1)[0]
    if first.startswith("; inherits:"):
        parent = first.split(":", 1)[1].strip()
        text = query_source(parent) + "\n" + text
    return text


@dataclass(frozen=True)
class Grammar:
    """A loaded language: parser factory input plus its compiled definition query."""

    name: str
    language: ts.Language
    query: ts.Query

    def parser(self) -> ts.Parser:
        return ts.Parser(self.language)


@cache
def load_grammar(name: str) -> Grammar | None:
    """Load a grammar and its query; None (logged once) when either is unavailable."""
    spec = GRAMMAR_MODULES.get(name)
    if spec is None:
        return None
    module_name, func_name = spec
    try:
        module = importlib.import_module(module_name)
        language = ts.Language(getattr(module, func_name)())
        query = ts.Query(language, query_source(name))
    except (ImportError, AttributeError, OSError, ts.QueryError) as exc:
        log.warning("grammar %s unavailable (%s); using line windows", name, exc)
        return None
    return Grammar(name, language, query)
