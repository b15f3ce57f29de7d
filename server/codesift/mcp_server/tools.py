"""What each MCP tool does, over the language server's engine (run on its threads).

Plain functions from arguments to JSON-ready dicts; ``server.py`` wires them to the
protocol. Rankings are the engine's own: the same request gives the same order as
``codesift search`` on the same index and settings."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..confidence import json_fields, leading
from ..config import ScanConfig
from ..errors import UserError
from ..lsp.engine import Engine
from ..lsp.results import interleave
from ..relevance import comment_query, elsewhere, query_at
from ..retrieve.candidate import Filters
from ..scan import decode, is_binary, read_named
from ..search import SearchHit, SearchRequest, SearchResult
from .events import IndexEvents
from .paths import inside_roots

MAX_RESULTS = 50
SNIPPET_LINES = 12  # what an agent reads per result before asking get_code for more
SNIPPET_CHARS = 900
MAX_CODE_LINES = 400
MAX_LINE_QUERY = 300
FIRST_ANSWER_WAIT_S = 0.6  # a search on a root still indexing waits at most this long


@dataclass(frozen=True)
class SearchArgs:
    """The ``search`` tool's arguments, checked."""

    query: str
    regex: bool = False
    path_glob: str | None = None
    language: str | None = None
    limit: int = 10
    budget_ms: float | None = None

    def checked(self) -> SearchArgs:
        if not self.query.strip():
            raise UserError("query: must not be empty")
        if not 1 <= self.limit <= MAX_RESULTS:
            raise UserError(f"limit: must be between 1 and {MAX_RESULTS}, got {self.limit}")
        if self.budget_ms is not None and self.budget_ms < 0:
            raise UserError("budget_ms: must not be negative")
        return self

    def request(self, rerank: bool = True) -> SearchRequest:
        filters = Filters((self.path_glob,) if self.path_glob else (),
                          (self.language,) if self.language else ())
        return SearchRequest(self.query, self.limit, self.regex, filters, rerank=rerank,
                             budget_ms=self.budget_ms or None, client="mcp")


def cut_snippet(text: str) -> tuple[str, bool]:
    """The first lines of a snippet, bounded in characters; whether it was cut."""
    lines = text.split("\n")
    out = "\n".join(lines[:SNIPPET_LINES])
    cut = len(lines) > SNIPPET_LINES
    if len(out) > SNIPPET_CHARS:
        out, cut = out[:SNIPPET_CHARS], True
    return out, cut


def hit_json(root: Path, hit: SearchHit, roots: int) -> dict[str, Any]:
    snippet, cut = cut_snippet(hit.snippet)
    out: dict[str, Any] = {"path": hit.path, "start_line": hit.start_line,
                           "end_line": hit.end_line, "symbol": hit.symbol, "kind": hit.kind,
                           "language": hit.language, "score": round(hit.score, 4),
                           "snippet": snippet}
    if hit.why is not None:  # short for an agent: the reason and the words it matched
        out["why"] = hit.why.summary()
        out["matched"] = sorted({m.term for m in hit.why.matched})
    if cut:
        out["snippet_cut"] = True
    if roots > 1:
        out["root"] = str(root)
    return out


BUILDING = ("waiting", "indexing")


def still_building(engine: Engine, events: IndexEvents) -> bool:
    progress = events.snapshot()
    return any(path not in progress or progress[path].state in BUILDING
               for path in engine.roots)


def index_notes(engine: Engine, events: IndexEvents) -> list[str]:
    """Roots whose index is still building or failed, in words."""
    notes = []
    progress = events.snapshot()
    for path in engine.roots:
        p = progress.get(path)
        if p is None or p.state in BUILDING:
            done = f"{p.done:,} of {p.total:,} files" if p and p.total else "starting"
            notes.append(f"index of {path} still building ({done}): lexical ranking only, "
                         "results may be missing; search again when status says ready")
        elif p.state == "error":
            notes.append(f"indexing {path} failed: {p.error}")
    return notes


def partial_notes(engine: Engine, per_root: list[tuple[Path, SearchResult]]) -> list[str]:
    """What the ranking itself left undone (budget, missing models), in words."""
    notes = []
    for path, result in per_root:
        for stage in result.stages:
            if stage.unscored:
                notes.append(f"{stage.name} stage: time budget spent, {stage.unscored} "
                             f"candidates unscored in {path}")
        failures = engine.roots[path].searcher.models.failures if path in engine.roots else {}
        for ref, reason in failures.items():
            notes.append(f"model {ref} unavailable: {reason}")
    return notes


Ranked = list[tuple[Path, SearchHit]]


def ranked_search(engine: Engine, events: IndexEvents, args: SearchArgs,
                  cancelled: Callable[[], bool], on_stage: Callable[[str, int], None]
                  ) -> tuple[list[tuple[Path, SearchResult]], Ranked, list[str]]:
    """The search across every root, streamed stage by stage to ``on_stage``: the
    per-root results, the merged ranking, and what makes the answer partial."""
    if not engine.roots:
        raise UserError("no workspace root is open")
    args.checked()
    building = index_notes(engine, events)
    if building:  # give a fresh index a moment to have something in it
        deadline = time.monotonic() + FIRST_ANSWER_WAIT_S
        while still_building(engine, events) and time.monotonic() < deadline \
                and not cancelled():
            events.wait(0.05)
        building = index_notes(engine, events)
    # while an index builds, answer at once from what is indexed (the models wait)
    request = args.request(rerank=not building)
    per_root: list[tuple[Path, SearchResult]] = []
    for stage, per_root in engine.stream(request, cancelled):
        on_stage(stage, len(interleave(per_root, args.limit)))
    return per_root, interleave(per_root, args.limit), building + partial_notes(engine,
                                                                                per_root)


def search_json(args: SearchArgs, per_root: list[tuple[Path, SearchResult]], ranked: Ranked,
                notes: list[str]) -> dict[str, Any]:
    return {
        "query": args.query,
        "route": per_root[0][1].route if per_root else None,
        "results": [hit_json(root, hit, len(per_root)) for root, hit in ranked],
        "stages": [{**s.to_json(), **({"root": str(root)} if len(per_root) > 1 else {})}
                   for root, r in per_root for s in r.stages],
        "partial": bool(notes), "notes": notes,
        **json_fields(leading([r for _, r in per_root], ranked[0][1] if ranked else None)),
        "timings_ms": {k: round(v, 1) for _, r in per_root[:1] for k, v in
                       r.timings_ms.items()},
    }


def run_search(engine: Engine, events: IndexEvents, args: SearchArgs,
               cancelled: Callable[[], bool], on_stage: Callable[[str, int], None]
               ) -> dict[str, Any]:
    """The ``search`` tool's answer."""
    return search_json(args, *ranked_search(engine, events, args, cancelled, on_stage))


def run_relevant(engine: Engine, events: IndexEvents, args: SearchArgs,
                 origin: Path | None, line: int, cancelled: Callable[[], bool]
                 ) -> dict[str, Any]:
    """The ``relevant_code`` tool's answer: the editor's rule (``relevance.elsewhere``)
    drops the place asked from and repeated snippets."""
    per_root, ranked, notes = ranked_search(engine, events, args, cancelled,
                                            lambda *_: None)
    return search_json(args, per_root, elsewhere(ranked, origin, line - 1), notes)


def read_lines(path: Path, start: int, end: int, max_bytes: int
               ) -> tuple[list[str], int]:
    """Lines start..end (1-based, inclusive) of a text file, and its line count; read
    under the same rule as every file a client names (``scan.read_named``)."""
    raw = read_named(path, max_bytes, f"path: {path}")
    if is_binary(raw):
        raise UserError(f"path: {path} is a binary file")
    lines = decode(raw).split("\n")
    if lines[-1] == "":  # the newline that ends the last line starts no new one
        lines.pop()
    return lines[start - 1 : end], len(lines)


def max_file_bytes(engine: Engine, root: Path) -> int:
    """The root's ``scan.max_file_bytes`` (the default while it is still opening)."""
    opened = engine.roots.get(root)
    return (opened.config.scan if opened else ScanConfig()).max_file_bytes


def get_code(engine: Engine, roots: list[Path], path: str, start_line: int,
             end_line: int | None) -> dict[str, Any]:
    """Exact text of a line range of a file inside a root."""
    root, resolved = inside_roots(roots, path)
    if start_line < 1:
        raise UserError("start_line: lines count from 1")
    end = end_line if end_line is not None else start_line + MAX_CODE_LINES - 1
    if end < start_line:
        raise UserError(f"end_line: {end} is before start_line {start_line}")
    cut = end - start_line + 1 > MAX_CODE_LINES
    end = min(end, start_line + MAX_CODE_LINES - 1)
    lines, total = read_lines(resolved, start_line, end, max_file_bytes(engine, root))
    if start_line > total:
        raise UserError(f"start_line: {start_line} is past the end ({total} lines)")
    out: dict[str, Any] = {"path": resolved.relative_to(root.resolve()).as_posix(),
                           "start_line": start_line, "end_line": start_line + len(lines) - 1,
                           "total_lines": total, "text": "\n".join(lines)}
    if cut:
        out["cut"] = f"at most {MAX_CODE_LINES} lines per call; ask again from line {end + 1}"
    return out


def relevant_query(engine: Engine, roots: list[Path], path: str | None, line: int | None,
                   column: int | None, symbol: str | None) -> tuple[str, Path | None, int]:
    """The query "go to relevant code" runs: the symbol, the identifier at a position,
    a comment's text, or the line's words; with the place it came from."""
    if symbol:
        return symbol, None, -1
    if not path or line is None:
        raise UserError("give either symbol, or path and line")
    if line < 1:
        raise UserError("line: lines count from 1")
    root, resolved = inside_roots(roots, path)
    lines, total = read_lines(resolved, line, line, max_file_bytes(engine, root))
    if not lines:
        raise UserError(f"line: {line} is past the end ({total} lines)")
    text = lines[0]
    query = query_at(text, column - 1) if column else comment_query(text)
    query = query or " ".join(text.split())[:MAX_LINE_QUERY]
    if not query:
        raise UserError(f"line: {line} of {path} is empty; nothing to look for")
    return query, resolved, line


def status_json(engine: Engine, events: IndexEvents, version: str,
                status: dict[str, Any]) -> dict[str, Any]:
    """The engine's status with each root's indexing progress."""
    progress = events.snapshot()
    for root in status["roots"]:
        path = next((p for p in engine.roots if p.as_uri() == root["uri"]), None)
        root["progress"] = progress[path].to_json() if path in progress else \
            {"state": "waiting"}
        root["path"] = str(path) if path else None
    return {"version": version, **status}
