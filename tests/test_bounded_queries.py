"""Any query is bounded work: very long questions are cut at MAX_QUERY_CHARS (word
splitting is linear), very long regexes are refused with a message."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from codesift.query import MAX_QUERY_CHARS, MAX_TERMS, analyze

from .conftest import STDLIB

CLI = [sys.executable, "-m", "codesift.cli"]


def test_long_queries_are_cut_and_their_words_bounded():
    run_on = "x" * 100_000
    assert len(analyze(run_on).text) == MAX_QUERY_CHARS
    many = " ".join(f"word{i}" for i in range(20_000))
    analysis = analyze(many)
    assert len(analysis.text) <= MAX_QUERY_CHARS and not analysis.text.endswith("wor")
    assert len(analysis.terms) <= MAX_TERMS
    assert analysis.all_forms == list(dict.fromkeys(analysis.all_forms))


def test_a_hundred_thousand_character_query_is_answered(tmp_path: Path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "shlex.py").write_bytes((STDLIB / "shlex.py").read_bytes())
    for query in ("split" * 20_000, "quote " * 20_000):
        proc = subprocess.run([*CLI, "search", query, "--root", str(root), "--json",
                               "--no-rerank"], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr[-500:]
        assert "results" in json.loads(proc.stdout)
    proc = subprocess.run([*CLI, "search", "(a|b)" * 1000, "--regex", "--root", str(root)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "limit is 1,000" in proc.stderr, proc.stderr
