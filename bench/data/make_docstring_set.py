"""Build the docstring query set (CodeSearchNet protocol) over the evaluation corpus.

The corpus (``corpus.py``: a fixed slice of the running Python's standard library)
is copied into ``--corpus DIR`` and every docstring in that copy (module, class,
function, method) is replaced by ``...`` plus as many newlines as the docstring
spanned, so every other line keeps its number. The queries come from the original
source: the first sentence of each documented function or method, and the target is
that definition in the stripped copy (decorators included). A search engine indexed
over the copy therefore never sees the text it is asked for.

    .venv/bin/python -m bench.data.make_docstring_set --corpus /tmp/docstring-corpus \\
        [--out bench/data/stdlib_docstrings.jsonl] [--limit 600] [--seed 13]

Each output line is ``{"query": ..., "targets": [{"path", "start_line", "end_line",
"symbol"}]}``: the path is relative to the stdlib root (POSIX separators), lines are
1-based and inclusive, and the symbol is the in-file dotted path (``Class.method``).

Filters: at least 4 and at most 40 words; no dunder methods; a body of at least two
lines besides the docstring; no docstring that opens with a call signature
(``wrap(text : string) -> [string]``); no sentence that is mostly reST or doctest
markup; no boilerplate (``Return self==value``, ``See ...``, ``Same as ...``); no
sentence shared by two definitions anywhere in the corpus (all of them are dropped,
the target would be ambiguous); no sentence that still occurs verbatim in the
stripped file (in a comment or another string). Sampling is deterministic
(``--seed``) and capped per file so that many modules are represented.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import random
import re
import shutil
import sys
import time
import warnings
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "stdlib_docstrings.jsonl"

MIN_WORDS, MAX_WORDS = 4, 40
MIN_BODY_LINES = 2

_NEWLINE = re.compile(r"\r\n|\r|\n")
_SENTENCE_END = re.compile(r"\.\s")
_ABBREVIATIONS = {"e.g", "i.e", "etc", "vs", "cf", "approx", "resp", "ca", "no", "esp"}
_BOILERPLATE = re.compile(
    r"^(?:return\s+self\b|implement\s+\w+\(self|return\s+(?:repr|str|hash|len|iter|bool)\(self\)"
    r"|see\b|(?:same|identical)\s+as\b|deprecated\b|obsolete\b|not\s+implemented\b)",
    re.IGNORECASE,
)
_MARKUP_START = re.compile(
    r"\s*(?:>>>|\.\.\s|:\w[\w ]*:|[\w-]+\s*=\s)"  # doctest, directive, field, grammar rule
)
_PROSE_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]")
_ARROW = re.compile(r"\s(?:-{1,2}|=)>\s")  # "f(x) -> y", "data -> result", "a => b"
_PARAGRAPH_STOP = re.compile(r"\n[ \t]*(?:>>>|\.\.\s|:\w[\w ]*:)")  # doctest, directive, field


def load_corpus():
    """Import ``corpus.py`` from this folder by its location (any cwd works)."""
    spec = importlib.util.spec_from_file_location("_codesift_bench_corpus", HERE / "corpus.py")
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {HERE / 'corpus.py'}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def _parse(text: str, name: str = "<corpus>") -> ast.Module:
    with warnings.catch_warnings():  # invalid escape sequences in old stdlib code
        warnings.simplefilter("ignore")
        return ast.parse(text, filename=name)


# --- stripping -------------------------------------------------------------------------


def docstring_nodes(tree: ast.Module) -> list[ast.Constant]:
    """The string literal of every module, class and function docstring in ``tree``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str)):
                found.append(body[0].value)
    return found


def _line_starts(text: str) -> list[int]:
    """Character offset of each line's start (only CR, LF and CRLF end a line, as in Python)."""
    return [0] + [m.end() for m in _NEWLINE.finditer(text)]


def _char_offset(text: str, starts: list[int], lineno: int, byte_col: int) -> int:
    """Convert an ast (1-based line, UTF-8 byte column) position to a character offset."""
    begin = starts[lineno - 1]
    end = starts[lineno] if lineno < len(starts) else len(text)
    line = text[begin:end]
    return begin + len(line.encode("utf-8")[:byte_col].decode("utf-8"))


def definition_lines(tree: ast.AST) -> list[tuple[str, str, int, list[int]]]:
    """(kind, name, line, decorator lines) of every class and function, in walk order.

    End lines are left out on purpose: a definition that ends with a multi-line
    docstring ends on the ``...`` line once stripped (the newlines after it are blank).
    """
    return [(type(n).__name__, n.name, n.lineno, [d.lineno for d in n.decorator_list])
            for n in ast.walk(tree)
            if isinstance(n, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)]


def strip_docstrings(text: str, tree: ast.Module | None = None) -> str:
    """``text`` with every docstring replaced by ``...`` and the newlines it spanned.

    Raises ``ValueError`` when the result does not parse or a definition moved.
    """
    tree = tree if tree is not None else _parse(text)
    starts = _line_starts(text)
    spans = []
    for node in docstring_nodes(tree):
        assert node.end_lineno is not None and node.end_col_offset is not None
        spans.append((_char_offset(text, starts, node.lineno, node.col_offset),
                      _char_offset(text, starts, node.end_lineno, node.end_col_offset),
                      node.end_lineno - node.lineno))
    pieces, pos = [], 0
    for begin, end, newlines in sorted(spans):
        pieces += [text[pos:begin], "...", "\n" * newlines]
        pos = end
    pieces.append(text[pos:])
    stripped = "".join(pieces)
    try:
        new_tree = _parse(stripped)
    except SyntaxError as exc:
        raise ValueError(f"stripped source does not parse: {exc}") from exc
    if definition_lines(new_tree) != definition_lines(tree) or docstring_nodes(new_tree):
        raise ValueError("stripping moved a definition or left a docstring")
    return stripped


# --- queries ---------------------------------------------------------------------------


@dataclass
class Candidate:
    query: str
    path: str
    start_line: int
    end_line: int
    symbol: str
    leaked: bool = False  # the sentence still occurs in the stripped file

    def record(self) -> dict:
        return {"query": self.query, "targets": [{
            "path": self.path, "start_line": self.start_line,
            "end_line": self.end_line, "symbol": self.symbol}]}


@dataclass
class Stats:
    files: int = 0
    unstripped: list[str] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)


def first_sentence(docstring: str) -> str:
    """The first sentence: up to the first blank line or '. ', whitespace collapsed.

    A doctest, directive or field list also ends the paragraph; a leading ``+`` (an
    inherited-docstring marker in ``email.policy``) and a trailing period or colon
    (a reST ``::`` lead-in included) are dropped.
    """
    paragraph = re.split(r"\n[ \t]*\n", docstring.strip(), maxsplit=1)[0]
    paragraph = _PARAGRAPH_STOP.split(paragraph, maxsplit=1)[0]
    text = " ".join(paragraph.split()).lstrip("+ ")
    for match in _SENTENCE_END.finditer(text):
        word = text[:match.start()].rsplit(" ", 1)[-1].lower().lstrip("(")
        if word in _ABBREVIATIONS or len(word) == 1:  # "e.g. ", "i.e. ", initials
            continue
        text = text[:match.start()]
        break
    return text.rstrip(" :").removesuffix(".").rstrip()


def starts_with_signature(docstring: str, name: str) -> bool:
    """An old-style docstring that opens with a call signature or a ``x -> y`` summary."""
    first = docstring.lstrip().split("\n", 1)[0]
    if re.match(rf"(?:[^=]*=\s*)?[\w.<>]*?\b{re.escape(name)}\(", first):
        return True
    sentence = first_sentence(docstring)  # "data -> result", but not "Return a map of x -> y"
    return _ARROW.search(sentence) is not None and not re.match(r"[A-Z][a-z]+\b", sentence)


def normalize(sentence: str) -> str:
    return " ".join(sentence.lower().split()).rstrip(".:;, ")


def is_markup(sentence: str) -> bool:
    """Mostly reST/doctest markup or notation: fewer than half the tokens are words.

    A word is a token of two or more letters once quotes, brackets and punctuation
    around it are stripped; literals (````x````) and roles (``:func:`x```) are not words.
    """
    if _MARKUP_START.match(sentence):
        return True
    tokens = sentence.split()
    words = sum(1 for t in tokens if "``" not in t and not re.search(r":\w+:`", t)
                and _PROSE_WORD.fullmatch(t.strip("()[]{}<>\"'`*_.,;:!?")))
    return words * 2 < len(tokens)


def _walk_definitions(body: list[ast.stmt], prefix: str) -> Iterator[tuple[ast.AST, str]]:
    """Functions and methods outside function bodies, with their in-file dotted paths.

    Definitions under module- or class-level ``if``/``try``/``with`` blocks count.
    """
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node, prefix + node.name
        elif isinstance(node, ast.ClassDef):
            yield from _walk_definitions(node.body, f"{prefix}{node.name}.")
        elif isinstance(node, ast.If | ast.Try | ast.With):
            for block in ("body", "orelse", "finalbody"):
                yield from _walk_definitions(getattr(node, block, []), prefix)
            for handler in getattr(node, "handlers", []):
                yield from _walk_definitions(handler.body, prefix)


def candidates_in(tree: ast.Module, rel_path: str, stats: Stats) -> list[Candidate]:
    """Every documented function or method of one file that passes the filters."""
    out = []
    for node, symbol in _walk_definitions(tree.body, ""):
        assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        docstring = ast.get_docstring(node, clean=True)
        if not docstring:
            continue
        name = node.name
        if name.startswith("__") and name.endswith("__"):
            stats.skipped["dunder"] += 1
            continue
        body = node.body[1:]
        body_end = body[-1].end_lineno or body[-1].lineno if body else 0
        if not body or body_end - body[0].lineno + 1 < MIN_BODY_LINES:
            stats.skipped["short body"] += 1
            continue
        if starts_with_signature(docstring, name):
            stats.skipped["signature line"] += 1
            continue
        sentence = first_sentence(docstring)
        words = len(sentence.split())
        if not MIN_WORDS <= words <= MAX_WORDS:
            stats.skipped["length"] += 1
            continue
        if is_markup(sentence):
            stats.skipped["markup"] += 1
            continue
        if _BOILERPLATE.match(sentence):
            stats.skipped["boilerplate"] += 1
            continue
        start = min([node.lineno] + [d.lineno for d in node.decorator_list])
        out.append(Candidate(sentence, rel_path, start, node.end_lineno or node.lineno, symbol))
    return out


# --- corpus ----------------------------------------------------------------------------


def materialize(dest: Path, only: Iterable[str] | None = None) -> Path:
    """Copy the corpus into ``dest``; ``only`` keeps the named entries (``"json"``, ...)."""
    corpus = load_corpus()
    if only is None:
        return corpus.materialize(dest)
    wanted = {name.removesuffix(".py") for name in only}
    dest.mkdir(parents=True, exist_ok=True)
    for source in corpus.corpus_paths():
        rel = source.relative_to(corpus.STDLIB)
        if rel.as_posix().removesuffix(".py") not in wanted:
            continue
        if source.is_dir():
            shutil.copytree(source, dest / rel, ignore=corpus._IGNORE, dirs_exist_ok=True)
        else:
            shutil.copy2(source, dest / rel)
    return dest


def prepare(dest: Path) -> None:
    """Empty ``dest`` if it holds nothing but corpus entries (an earlier run); refuse
    any other non-empty folder, so a mistyped ``--corpus`` never deletes real files."""
    if not dest.is_dir() or not any(dest.iterdir()):
        return
    names = {path.name for path in load_corpus().corpus_paths()}
    strangers = sorted(entry.name for entry in dest.iterdir() if entry.name not in names)
    if strangers:
        raise SystemExit(f"{dest} is not empty and holds more than the corpus "
                         f"({', '.join(strangers[:5])}); choose an empty or new folder")
    shutil.rmtree(dest)


def strip_tree(root: Path, stats: Stats) -> list[Candidate]:
    """Strip every ``*.py`` under ``root`` in place; return the query candidates.

    A candidate whose sentence still occurs in the stripped file is marked ``leaked``
    (it still counts when looking for duplicates).
    """
    found: list[Candidate] = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            _warn(f"{rel}: not UTF-8, left as is")
            stats.unstripped.append(rel)
            continue
        try:
            tree = _parse(text, rel)
            stripped = strip_docstrings(text, tree)
        except (SyntaxError, ValueError) as exc:
            _warn(f"{rel}: left unstripped, its functions are excluded ({exc})")
            stats.unstripped.append(rel)
            continue
        path.write_bytes(stripped.encode("utf-8"))
        stats.files += 1
        flat = normalize(stripped)
        for candidate in candidates_in(tree, rel, stats):
            candidate.leaked = normalize(candidate.query) in flat
            found.append(candidate)
    return found


def deduplicate(candidates: list[Candidate], stats: Stats) -> list[Candidate]:
    """Drop every candidate whose normalized sentence is shared with another one."""
    counts = Counter(normalize(c.query) for c in candidates)
    kept = [c for c in candidates if counts[normalize(c.query)] == 1]
    stats.skipped["duplicate sentence"] += len(candidates) - len(kept)
    return kept


def sample(candidates: list[Candidate], limit: int, seed: int) -> list[Candidate]:
    """At most ``limit`` candidates, at most ``cap`` per file, chosen by ``seed``."""
    rng = random.Random(seed)
    by_file: dict[str, list[Candidate]] = defaultdict(list)
    for c in candidates:
        by_file[c.path].append(c)
    if not by_file:
        return []
    cap = max(3, limit // len(by_file) * 2)
    pool: list[Candidate] = []
    for path in sorted(by_file):
        group = sorted(by_file[path], key=lambda c: (c.start_line, c.symbol))
        rng.shuffle(group)
        pool += group[:cap]
    rng.shuffle(pool)
    return sorted(pool[:limit], key=lambda c: (c.path, c.start_line, c.symbol))


def build(out_root: Path, queries_path: Path, limit: int = 600, seed: int = 13,
          only: Iterable[str] | None = None, quiet: bool = False) -> int:
    """Materialize and strip the corpus into ``out_root``, write the queries, return their count.

    ``only`` restricts the corpus to the named entries (for tests); ``quiet`` skips the summary.
    """
    started = time.perf_counter()
    out_root, queries_path = Path(out_root), Path(queries_path)
    prepare(out_root)
    materialize(out_root, only)
    stats = Stats()
    candidates = deduplicate(strip_tree(out_root, stats), stats)
    stats.skipped["still in stripped file"] += sum(c.leaked for c in candidates)
    candidates = [c for c in candidates if not c.leaked]
    chosen = sample(candidates, limit, seed)
    queries_path.parent.mkdir(parents=True, exist_ok=True)
    with queries_path.open("w", encoding="utf-8", newline="\n") as handle:
        for c in chosen:
            handle.write(json.dumps(c.record(), ensure_ascii=False) + "\n")
    if not quiet:
        files = {c.path for c in chosen}
        skipped = ", ".join(f"{k} {v}" for k, v in sorted(stats.skipped.items()))
        print(f"queries: {len(chosen)} from {len(files)} files -> {queries_path}")
        print(f"candidates before sampling: {len(candidates)} from "
              f"{len({c.path for c in candidates})} files")
        print(f"files stripped: {stats.files}; unstripped: {len(stats.unstripped)}"
              + (f" ({', '.join(stats.unstripped)})" if stats.unstripped else ""))
        print(f"filtered out: {skipped}")
        print(f"stripped corpus: {out_root} ({time.perf_counter() - started:.1f} s)")
    return len(chosen)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True,
                        help="folder to write the docstring-stripped corpus into")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"queries file (JSON lines; default {DEFAULT_OUT.name} here)")
    parser.add_argument("--limit", type=int, default=600, help="most queries (default 600)")
    parser.add_argument("--seed", type=int, default=13, help="sampling seed (default 13)")
    args = parser.parse_args(argv)
    if args.limit < 1:
        parser.error("--limit must be at least 1")
    build(args.corpus, args.out, args.limit, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
