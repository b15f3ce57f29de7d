"""``codesift eval``: metrics, the queries file, and the comparison run end to end."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from codesift.errors import QueryFileError
from codesift.evaluation.metrics import (
    EvalQuery,
    Ranked,
    Target,
    load_queries,
    mean_scores,
    percentile,
    query_scores,
)

from .test_cli import run


def definition(root: Path, rel: str, name: str) -> dict[str, object]:
    tree = ast.parse((root / rel).read_text(encoding="utf-8"))
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
    return {"path": rel, "start_line": node.lineno, "end_line": node.end_lineno}


def test_metrics_credit_each_target_once():
    q = EvalQuery("q", (Target("a.py", 10, 20), Target("b.py", 1, 5)))
    results = [Ranked("c.py", 1, 9), Ranked("a.py", 15, 16), Ranked("a.py", 18, 30),
               Ranked("b.py", 5, 8)]
    s = query_scores(q, results)
    assert s.mrr10 == pytest.approx(1 / 2)
    assert (s.recall1, s.recall5, s.recall10) == (0.0, 1.0, 1.0)
    # gains 0,1,0,1 against the ideal 1,1
    ideal = 1 + 1 / 1.5849625007211562
    assert s.ndcg10 == pytest.approx((1 / 1.5849625007211562 + 1 / 2.321928094887362) / ideal)
    assert (s.precision3, s.success3) == (pytest.approx(1 / 3), 1.0)  # one new target in 3
    assert query_scores(q, [Ranked("a.py", 21, 30)] * 12).mrr10 == 0.0
    mean = mean_scores([s, query_scores(q, [])])
    assert mean.mrr10 == pytest.approx(0.25)
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0
    assert percentile([1.0] * 19 + [100.0], 95) == 1.0


def test_queries_file_errors_name_the_line(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text('{"query": "x", "targets": [{"path": "a.py", "start_line": 1, '
                    '"end_line": 2}]}\n\n{"query": "y"}\n', encoding="utf-8")
    with pytest.raises(QueryFileError, match=r"q.jsonl:3"):
        load_queries(path)
    with pytest.raises(QueryFileError, match="No such file"):
        load_queries(tmp_path / "missing.jsonl")


@pytest.fixture(scope="module")
def queries_file(tiny_corpus, tmp_path_factory) -> Path:
    lines = [
        {"query": "split a string using shell-like syntax",
         "targets": [definition(tiny_corpus, "shlex.py", "split")]},
        {"query": "remove common leading whitespace from every line",
         "targets": [definition(tiny_corpus, "textwrap.py", "dedent")]},
        {"query": "translate a shell pattern to a regular expression",
         "targets": [definition(tiny_corpus, "fnmatch.py", "translate")]},
        {"query": "deserialize a str instance containing a JSON document",
         "targets": [definition(tiny_corpus, "json/__init__.py", "loads")]},
    ]
    path = tmp_path_factory.mktemp("queries") / "queries.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    return path


def test_eval_compares_every_approach(tiny_corpus, tiny_models, queries_file, tmp_path):
    bi, cross = tiny_models
    proc = run("eval", "--queries", str(queries_file), "--root", str(tiny_corpus),
               "--index-dir", str(tmp_path / "index"), "--stage1-model", str(bi),
               "--stage2-model", str(cross), "--pool-size", "30", "--json", cache=tmp_path)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["queries"] == 4 and report["pool_size"] == 30
    by_name = {a["name"]: a for a in report["approaches"]}
    assert list(by_name) == ["lexical", "light", "heavy", "cascade", "dense"]
    assert all(a["ran"] for a in by_name.values()), by_name
    for a in by_name.values():
        for metric in ("mrr@10", "recall@1", "recall@5", "recall@10", "ndcg@10"):
            assert 0.0 <= a[metric] <= 1.0
        assert a["latency_ms"]["total"]["p50"] <= a["latency_ms"]["total"]["p95"]
        assert a["update_ms"] > 0
    assert by_name["lexical"]["mrr@10"] > 0.5  # these queries share words with their targets
    assert set(by_name["cascade"]["latency_ms"]) == {"candidates", "light", "heavy", "total"}
    assert "p50" in by_name["cascade"]["repeat_ms"]
    assert by_name["heavy"]["models"] == ["test/tiny-cross-encoder"]
    assert by_name["dense"]["setup_ms"] > 0
    assert by_name["dense"]["update_ms"] >= by_name["lexical"]["update_ms"]
    for a in by_name.values():  # every miss (no target in the top 3) has a reason
        assert 0.0 <= a["precision@3"] <= a["success@3"] <= 1.0
        if a["name"] == "dense":
            continue
        assert len(a["misses"]) == round(4 * (1 - a["success@3"]))
        assert sum(a["miss_reasons"].values()) == len(a["misses"])
        for miss in a["misses"]:
            assert miss["reason"] in {"not in the pool", "dropped by the light stage",
                                      "dropped by the heavy stage", "below the top 10",
                                      "ranked 4–10"}
            assert (miss["rank"] is None) == (miss["reason"] == "not in the pool")


def test_eval_table_and_usage_errors(tiny_corpus, queries_file, tmp_path):
    proc = run("eval", "--queries", str(queries_file), "--root", str(tiny_corpus),
               "--index-dir", str(tmp_path / "index"), "--approaches", "lexical",
               cache=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "MRR@10" in proc.stdout and "lexical" in proc.stdout and "P@3" in proc.stdout
    bad = run("eval", "--queries", str(queries_file), "--root", str(tiny_corpus),
              "--approaches", "lexical,magic", cache=tmp_path)
    assert bad.returncode == 2 and "magic" in bad.stderr
    missing = run("eval", "--queries", str(tmp_path / "none.jsonl"), "--root",
                  str(tiny_corpus), cache=tmp_path)
    assert missing.returncode == 2 and "none.jsonl" in missing.stderr


def test_recall_does_not_depend_on_result_order():
    q = EvalQuery("q", (Target("m.py", 10, 20), Target("m.py", 30, 40)))
    whole_class, method_a = Ranked("m.py", 1, 50), Ranked("m.py", 10, 20)
    for results in ([whole_class, method_a], [method_a, whole_class]):
        assert query_scores(q, results).recall5 == 1.0


def test_eval_misses_and_plot(tiny_corpus, queries_file, tmp_path):
    """A query whose target cannot be found is listed with its reason, and the plot is a
    PNG file."""
    hard = tmp_path / "hard.jsonl"
    hard.write_text(queries_file.read_text(encoding="utf-8") + json.dumps(
        {"query": "zebra quartz plinth",
         "targets": [{"path": "nowhere.py", "start_line": 1, "end_line": 2}]}) + "\n")
    png = tmp_path / "eval.png"
    proc = run("eval", "--queries", str(hard), "--root", str(tiny_corpus), "--index-dir",
               str(tmp_path / "index"), "--approaches", "lexical", "--misses", "--plot",
               str(png), cache=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "not in the pool" in proc.stdout and "zebra quartz plinth" in proc.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    unwritable = run("eval", "--queries", str(hard), "--root", str(tiny_corpus),
                     "--index-dir", str(tmp_path / "index"), "--approaches", "lexical",
                     "--plot", str(tmp_path / "no" / "such" / "dir.png"), cache=tmp_path)
    assert unwritable.returncode == 2 and "--plot: cannot write" in unwritable.stderr
