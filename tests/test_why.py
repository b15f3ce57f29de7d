"""Per-result explanations (codesift.why) and the per-search confidence."""

from __future__ import annotations

from codesift.confidence import LOW_NOTE, confidence, describe, features
from codesift.query import analyze
from codesift.why import PART, Match, explain, matches, query_stems, stem

from .conftest import stdlib_heads


def test_matches_compare_stems_of_word_parts():
    stems = query_stems(analyze("parsing http headers"))
    snippet = "def parse_header(line):\n    parsedHeaders = HTTPHeaderParser(line)"
    found = matches(snippet, stems)
    words = {(m.line, snippet.split("\n")[m.line][m.start:m.end]) for m in found}
    assert words == {(0, "parse"), (0, "header"), (1, "parsed"), (1, "Headers"),
                     (1, "HTTP"), (1, "Header")}
    assert {m.term for m in found} == {"parsing", "http", "headers"}
    assert matches("nothing related here", stems) == ()


def test_matches_equal_stemming_every_word_on_real_code():
    """Only words that begin like a query stem are stemmed: the same matches as stemming
    every word, over real modules, for queries with irregular forms too."""
    code = stdlib_heads(60, 6000)
    for query in ("parse http headers", "why is my file lying about its size",
                  "tying a process to a dying parent", "decoded bytes from a stream"):
        stems = query_stems(analyze(query))
        for snippet in code:
            every = tuple(Match(word, number, m.start(), m.end())
                          for number, line in enumerate(snippet.split("\n"))
                          for m in PART.finditer(line)
                          if (word := stems.get(stem(m.group()))) is not None)[:50]
            assert matches(snippet, stems) == every
    lying = query_stems(analyze("lie"))
    assert [m.term for m in matches("lying = dying", lying)] == ["lie"]


def test_explain_orders_sources_and_names_stages():
    why = explain(analyze("read a config file"), "def read_config(path):",
                  {"keyword": 0.8, "ast": 0.3, "light": 0.61, "heavy": 2.5},
                  {"keyword": 3, "ast": 12, "light": 1, "heavy": 2}, None)
    assert why.summary() == "keyword #3 → light #1 → heavy #2"
    data = why.to_json()
    assert [f["source"] for f in data["found_by"]] == ["keyword", "ast"]
    assert [(s["stage"], s["rank"]) for s in data["stages"]] == [("light", 1), ("heavy", 2)]
    budget = explain(analyze("read a config file"), "x = 1", {"keyword": 0.2},
                     {"keyword": 40}, "budget: not scored by light")
    assert budget.summary() == "keyword #40 → budget: not scored by light"


def test_confidence_rises_with_the_light_models_lead():
    unsure = [{"light": 0.30, "keyword": 0.5}, {"light": 0.29}, {"light": 0.28}]
    sure = [{"light": 0.80, "keyword": 0.9}, {"light": 0.40}, {"light": 0.35}]
    low, high = confidence("natural", unsure), confidence("natural", sure)
    assert low is not None and high is not None and 0.0 <= low < high <= 1.0
    assert describe(low) == LOW_NOTE and describe(high) is None
    assert features(sure)[1] == sure[0]["light"] - sure[1]["light"]  # the lead
    assert confidence("regex", sure) == 1.0 and confidence("regex", []) == 0.0
    assert confidence("natural", []) == 0.0
    assert confidence("symbol", [{"ast": 1.0, "keyword": 0.4}]) >= 0.95  # type: ignore[operator]
