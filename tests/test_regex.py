"""Regex search: same matches as Python's re, bounded time, clear errors."""

from __future__ import annotations

import re
import time

import pytest

from codesift.errors import RegexError
from codesift.retrieve.regex import compile_pattern, iter_matches, literal_groups
from codesift.search import Searcher, SearchRequest

PATTERNS = [
    r"def \w+_header\(",
    r"^class \w+\(Exception\):",
    r"import (os|sys)$",
    r"raise (ValueError|TypeError)\(",
    r"self\._\w+ = \w+",
    "Fußball\\w+|“\\w+”",
    r"\bTODO\b|\bXXX\b",
    r"0x[0-9a-fA-F]{4,}",
    r"(?i)content-type",
    r"return None$",
    r"[A-Z_]{12,} = ",
    r"\d+\.\d+\.\d+",
]


def python_matches(store, pattern: str) -> set[tuple[str, int]]:
    compiled = re.compile(pattern, re.MULTILINE)
    found = set()
    for file_id, path, _ in store.files():
        text = store.file_content(file_id)
        for m in compiled.finditer(text):
            found.add((path, text.count("\n", 0, m.start()) + 1))
    return found


@pytest.mark.parametrize("pattern", PATTERNS)
def test_regex_matches_equal_python_re(stdlib_index, pattern):
    _, store = stdlib_index
    ours = {(m.path, m.start_line) for m in iter_matches(store, pattern)}
    expected = python_matches(store, pattern)
    assert ours == expected
    assert expected, f"pattern {pattern!r} should match something in the sample"


def test_prefilter_literals_are_required_substrings():
    assert literal_groups(r"def \w+_json\(") == [["def ", "_json("]]
    assert literal_groups(r"foo|barbaz") == [["foo"], ["barbaz"]]
    assert literal_groups(r"\d+") is None
    assert literal_groups(r"(?i)hello") is None


def test_pathological_regex_returns_within_a_second(stdlib_index):
    workspace, store = stdlib_index
    searcher = Searcher(store, workspace.config)
    for pattern in [r"(a*)*b", r"(x+x+)+y", r"(.*a){20}", r"(\w+\s?)+$"]:
        started = time.perf_counter()
        searcher.search(SearchRequest(pattern, regex=True, limit=10))
        assert time.perf_counter() - started < 1.0, pattern


@pytest.mark.parametrize("pattern,problem", [
    ("(unclosed", "missing )"),
    (r"(a)\1", "invalid escape"),
    (r"(?<=x)y", "invalid perl operator"),
])
def test_invalid_regex_names_the_problem(pattern, problem):
    with pytest.raises(RegexError, match=re.escape(problem)):
        compile_pattern(pattern)


def test_a_question_with_invalid_regex_syntax_is_searched_as_words():
    from codesift.query import analyze

    question = "passing a Regexp object unwraps its (?-mix:...) source"
    assert analyze(question).route == "natural"
    assert analyze("def \\w+_json\\(").route == "regex"
    assert analyze(question, force_regex=True).route == "regex"  # --regex: refused later


def test_matching_inside_a_large_file_stops_at_the_deadline():
    from codesift.retrieve.regex import SLICE_CHARS, _sliced_matches, compile_pattern

    text = "needle\n" + ("x" * 79 + "\n") * (3 * SLICE_CHARS // 80) + "needle\n"
    compiled = compile_pattern("needle")
    assert len(list(_sliced_matches(compiled, text, None))) == 2  # every slice, no deadline
    assert len(list(_sliced_matches(compiled, text, 0.0))) == 1  # stops after the first
