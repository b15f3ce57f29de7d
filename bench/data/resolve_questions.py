"""Resolve the hand-written stdlib questions into an evaluation file with line ranges.

The source file (``stdlib_questions.src.jsonl``) names each target by path and dotted
symbol, e.g. ``{"path": "http/client.py", "symbol": "HTTPResponse._read_status"}``.
This script finds every symbol with ``ast`` in the running Python's standard library
and writes one line per query with ``start_line`` (first decorator line, else the
``def``/``class`` line) and ``end_line`` (inclusive) added:

    python -m bench.data.resolve_questions [--src PATH] [--out PATH] [--stdlib PATH]

It exits with status 1, listing every problem, when a file is missing or outside the
corpus (``corpus.py``), a symbol is not found or is ambiguous, or a class target is
80 lines or longer. Queries that contain a target's bare name are only warned about.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import re
import sys
import sysconfig
from pathlib import Path

HERE = Path(__file__).resolve().parent
MAX_CLASS_LINES = 80
EXCLUDED_PARTS = {"test", "tests", "__pycache__"}

Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def load_corpus():
    """Import corpus.py from its file location, so the script runs from any cwd."""
    spec = importlib.util.spec_from_file_location("_bench_corpus", HERE / "corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def in_corpus(file: Path, roots: list[Path], stdlib: Path) -> bool:
    if stdlib not in file.parents:
        return False
    rel = file.relative_to(stdlib)
    if file.suffix != ".py" or EXCLUDED_PARTS.intersection(rel.parts[:-1]):
        return False
    return any(file == root or (root.is_dir() and root in file.parents) for root in roots)


def load(stdlib: Path, path: str, roots: list[Path]) -> ast.Module | str:
    """The parsed file, or why it cannot be used."""
    file = (stdlib / path).resolve()
    if not file.is_file():
        return "file not found"
    if not in_corpus(file, roots, stdlib):
        return "file is outside the corpus"
    try:
        return ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
    except (SyntaxError, UnicodeDecodeError) as exc:
        return f"file does not parse ({exc})"


def definitions(body: list[ast.stmt], name: str) -> list[Definition]:
    """Definitions called ``name`` in one scope, looking through if/try/with/for blocks
    (platform branches, import fallbacks) but not into nested functions or classes."""
    found: list[Definition] = []
    for stmt in body:
        if isinstance(stmt, Definition):
            if stmt.name == name:
                found.append(stmt)
            continue
        for field in ("body", "orelse", "finalbody"):
            found.extend(definitions(getattr(stmt, field, []), name))
        for handler in getattr(stmt, "handlers", []):
            found.extend(definitions(handler.body, name))
        for case in getattr(stmt, "cases", []):
            found.extend(definitions(case.body, name))
    return found


def resolve(tree: ast.Module, symbol: str) -> list[Definition]:
    """Every definition matching a dotted path such as ``Class.method`` or ``func.inner``."""
    found: list[Definition] = []
    bodies = [tree.body]
    for part in symbol.split("."):
        found = [node for body in bodies for node in definitions(body, part)]
        bodies = [node.body for node in found]
    return found


def bare_name_in(query: str, symbol: str) -> str | None:
    """The symbol's own name (underscores trimmed) if the query contains it as a word."""
    name = symbol.rsplit(".", 1)[-1].strip("_")
    if name and re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", query, re.IGNORECASE):
        return name
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=HERE / "stdlib_questions.src.jsonl")
    parser.add_argument("--out", type=Path, default=HERE / "stdlib_questions.jsonl")
    parser.add_argument("--stdlib", type=Path, default=Path(sysconfig.get_paths()["stdlib"]))
    args = parser.parse_args(argv)

    stdlib = args.stdlib.resolve()
    roots = [path.resolve() for path in load_corpus().corpus_paths(stdlib)]
    trees: dict[str, ast.Module | str] = {}
    problems: list[str] = []
    warnings: list[str] = []
    records: list[dict] = []
    seen: dict[str, int] = {}

    for lineno, line in enumerate(args.src.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{args.src.name}:{lineno}"
        try:
            item = json.loads(line)
            query, targets = item["query"], item["targets"]
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(f"{where}: bad line ({exc})")
            continue
        if not isinstance(query, str) or not query.strip():
            problems.append(f"{where}: empty query")
            continue
        if query in seen:
            warnings.append(f"{where}: same query as line {seen[query]}: {query!r}")
        seen.setdefault(query, lineno)
        if not isinstance(targets, list) or not targets:
            problems.append(f"{where}: no targets")
            continue
        resolved = []
        for target in targets:
            if not isinstance(target, dict) or not target.get("path") or not target.get("symbol"):
                problems.append(f"{where}: target needs a path and a symbol: {target!r}")
                continue
            path, symbol = target["path"], target["symbol"]
            label = f"{where}: {path}::{symbol}"
            if path not in trees:
                trees[path] = load(stdlib, path, roots)
            tree = trees[path]
            if isinstance(tree, str):
                problems.append(f"{label}: {tree}")
                continue
            nodes = resolve(tree, symbol)
            if not nodes:
                problems.append(f"{label}: symbol not found")
                continue
            if len(nodes) > 1:
                lines = ", ".join(str(n) for n in sorted(node.lineno for node in nodes))
                problems.append(f"{label}: symbol is ambiguous (defined at lines {lines})")
                continue
            node = nodes[0]
            start = min([node.lineno] + [dec.lineno for dec in node.decorator_list])
            end = node.end_lineno or node.lineno
            length = end - start + 1
            if isinstance(node, ast.ClassDef) and length >= MAX_CLASS_LINES:
                problems.append(f"{label}: class is {length} lines (limit {MAX_CLASS_LINES})")
                continue
            name = bare_name_in(query, symbol)
            if name:
                warnings.append(f"{where}: query contains the target name {name!r}: {query!r}")
            resolved.append({"path": path, "start_line": start, "end_line": end,
                             "symbol": symbol})
        if len(resolved) == len(targets):
            records.append({"query": query, "targets": resolved, "split": "test"})

    for message in warnings:
        print(f"warning: {message}", file=sys.stderr)
    if problems:
        for message in problems:
            print(f"error: {message}", file=sys.stderr)
        print(f"{len(problems)} problem(s); {args.out} not written", file=sys.stderr)
        return 1

    args.out.write_text("".join(json.dumps(record) + "\n" for record in records),
                        encoding="utf-8")
    files = {t["path"] for record in records for t in record["targets"]}
    n_targets = sum(len(record["targets"]) for record in records)
    print(f"{len(records)} queries, {len(files)} files, {n_targets} targets -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
