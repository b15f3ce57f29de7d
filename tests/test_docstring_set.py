"""The docstring query set builder (bench/data/make_docstring_set.py) on a few modules."""

from __future__ import annotations

import ast
import importlib.util
import json
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "data" / "make_docstring_set.py"
MODULES = ("json", "textwrap.py", "shlex.py", "tokenize.py", "gzip.py")


def _load():
    spec = importlib.util.spec_from_file_location("make_docstring_set", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up by name
    spec.loader.exec_module(module)
    return module


make = _load()
STDLIB = make.load_corpus().STDLIB


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("docstrings")
    root, queries = base / "corpus", base / "queries.jsonl"
    count = make.build(root, queries, limit=25, seed=13, only=MODULES, quiet=True)
    rows = [json.loads(line) for line in queries.read_text(encoding="utf-8").splitlines()]
    return root, rows, count


def _flat(text: str) -> str:
    return " ".join(text.split()).lower()


def test_every_stripped_file_parses_and_keeps_its_definition_lines(built):
    root, _, _ = built
    files = sorted(root.rglob("*.py"))
    assert len(files) >= len(MODULES)
    for path in files:
        rel = path.relative_to(root)
        original = (STDLIB / rel).read_text(encoding="utf-8")
        stripped = path.read_text(encoding="utf-8")
        tree = ast.parse(stripped)
        assert make.definition_lines(tree) == make.definition_lines(ast.parse(original)), rel
        assert not make.docstring_nodes(tree), rel
        assert stripped.count("\n") == original.count("\n"), rel


def test_queries_file_schema(built):
    root, rows, count = built
    assert count == len(rows) > 0
    assert count <= 25
    assert len({row["targets"][0]["path"] for row in rows}) >= 3
    keys = []
    for row in rows:
        assert set(row) == {"query", "targets"}
        assert isinstance(row["query"], str)
        assert make.MIN_WORDS <= len(row["query"].split()) <= make.MAX_WORDS
        assert len(row["targets"]) == 1
        target = row["targets"][0]
        assert set(target) == {"path", "start_line", "end_line", "symbol"}
        assert "\\" not in target["path"] and (root / target["path"]).is_file()
        assert isinstance(target["start_line"], int) and isinstance(target["end_line"], int)
        assert 1 <= target["start_line"] < target["end_line"]
        assert target["symbol"] and not target["symbol"].split(".")[-1].startswith("__")
        keys.append((target["path"], target["start_line"], target["symbol"]))
    assert keys == sorted(keys)
    assert len({make.normalize(row["query"]) for row in rows}) == len(rows)


def test_targets_point_at_the_definition_without_its_docstring(built):
    root, rows, _ = built
    for row in rows:
        target = row["targets"][0]
        original = (STDLIB / target["path"]).read_text(encoding="utf-8")
        stripped = (root / target["path"]).read_text(encoding="utf-8")
        assert _flat(row["query"]) not in _flat(stripped), row
        name = target["symbol"].rsplit(".", 1)[-1]
        defs = {n.lineno: n for n in ast.walk(ast.parse(stripped))
                if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == name}
        originals = {n.lineno: n for n in ast.walk(ast.parse(original))
                     if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == name}
        node = next(n for n in defs.values()
                    if min([n.lineno] + [d.lineno for d in n.decorator_list])
                    == target["start_line"])
        assert node.end_lineno == target["end_line"]
        assert ast.get_docstring(node) is None
        assert make.first_sentence(ast.get_docstring(originals[node.lineno])) == row["query"]


def test_strip_keeps_lines_with_multibyte_text_before_a_docstring():
    source = (
        '"""Module doc\nover two lines."""\n'
        'class Ä:\n'
        '    """Ünïcode class docstring,\n    continued."""\n'
        '    def ƒ(self): "Inline docstring after a non-ASCII name"; return 1\n'
        '\n'
        '    @staticmethod\n'
        '    def g():\r\n'
        '        """CRLF docstring."""\r\n'
        '        return "not a docstring"  # kept\r\n'
    )
    stripped = make.strip_docstrings(source)
    assert "docstring" not in stripped.replace("not a docstring", "")
    assert "Module doc" not in stripped and "Ünïcode" not in stripped
    assert stripped.splitlines() == [
        "...", "", "class Ä:", "    ...", "", "    def ƒ(self): ...; return 1", "",
        "    @staticmethod", "    def g():", "        ...",
        '        return "not a docstring"  # kept',
    ]
    assert "\r\n" in stripped  # line endings are kept as they were
    assert make.definition_lines(ast.parse(stripped)) == make.definition_lines(ast.parse(source))


def test_first_sentence_and_filters():
    assert make.first_sentence("Return the thing, e.g. a path.  More text.") == (
        "Return the thing, e.g. a path")
    assert make.first_sentence("Split the\n   string into words.\n\nDetails.") == (
        "Split the string into words")
    assert make.first_sentence("If *obj* is iterable, return its items::\n\n  >>> x") == (
        "If *obj* is iterable, return its items")
    assert make.is_markup("(a // b, a % b)")
    assert make.is_markup("domain = dot-atom / domain-literal")
    assert not make.is_markup("Serialize ``obj`` as a JSON formatted stream to ``fp``")
    assert make.starts_with_signature("wrap(text : string) -> [string]\n\nWrap text.", "wrap")
    assert not make.starts_with_signature("Return a map of scheme -> proxy URL.", "getproxies")


def test_sampling_is_deterministic_and_capped():
    pool = [make.Candidate(f"query number {i} of file {i % 7}", f"f{i % 7}.py", i + 1, i + 5,
                           f"fn{i}") for i in range(200)]
    first = make.sample(pool, limit=30, seed=13)
    assert first == make.sample(pool, limit=30, seed=13)
    assert first != make.sample(pool, limit=30, seed=14)
    per_file: dict[str, int] = {}
    for c in first:
        per_file[c.path] = per_file.get(c.path, 0) + 1
    assert len(first) == 30 and max(per_file.values()) <= max(3, 30 // 7 * 2)
