"""What a search takes and gives: the request, its hits and the result of each stage,
in the shape of the JSON contract, and what the local search log keeps of it. Kept apart
from the pipeline (``search.py``) so that clients of the types load none of it."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from .confidence import json_fields
from .index.search_log import LogEntry
from .kinds import Route, SnapshotStage
from .query import QueryAnalysis
from .rerank.stages import StageReport
from .retrieve.candidate import Filters
from .why import Why


@dataclass(frozen=True)
class SearchRequest:
    query: str
    limit: int = 10
    regex: bool = False
    filters: Filters = field(default_factory=Filters)
    rerank: bool = True
    # latency budget for the model stages (None: score the whole pool)
    budget_ms: float | None = None
    client: str = "cli"  # who asked, for the search log: cli, lsp, mcp, eval


@dataclass(frozen=True)
class SearchHit:
    """One result, in the shape of the JSON contract (paths relative, lines 1-based)."""

    path: str
    start_line: int
    end_line: int
    score: float
    symbol: str | None
    kind: str
    language: str
    snippet: str
    scores: dict[str, float]
    why: Why | None = None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "path": self.path, "start_line": self.start_line, "end_line": self.end_line,
            "score": round(self.score, 6), "symbol": self.symbol, "kind": self.kind,
            "language": self.language, "snippet": self.snippet,
            "scores": {k: round(v, 6) for k, v in self.scores.items()},
        }
        if self.why is not None:
            out["why"] = self.why.to_json()
        return out


@dataclass(frozen=True)
class SearchResult:
    query: str
    route: Route
    hits: list[SearchHit]
    timings_ms: dict[str, float]
    analysis: QueryAnalysis
    stage: SnapshotStage = "final"
    stages: list[StageReport] = field(default_factory=list)
    confidence: float | None = None  # see codesift.confidence
    search_id: int | None = None  # its row in the local search log (codesift/opened)
    pool: int = 0  # candidates the model stages could rerank

    def to_json(self, extra_timings: dict[str, float] | None = None) -> dict[str, object]:
        timings = {**self.timings_ms, **(extra_timings or {})}
        return {
            "query": self.query, "route": self.route, "stage": self.stage,
            "results": [h.to_json() for h in self.hits],
            "stages": [s.to_json() for s in self.stages],
            "timings_ms": {k: round(v, 3) for k, v in timings.items()},
            **json_fields(self.confidence),
            "search_id": self.search_id,
        }


_last_id = 0
_id_lock = threading.Lock()


def new_search_id() -> int:
    """A search's id: milliseconds since the epoch, unique within this process. Thirteen
    digits: JSON encoders that print numbers with 14 significant digits (Neovim's) echo
    it back exactly."""
    global _last_id
    with _id_lock:
        _last_id = max(_last_id + 1, time.time_ns() // 1_000_000)
        return _last_id


def log_entry(request: SearchRequest, result: SearchResult) -> LogEntry:
    """What the search log keeps of a finished search."""
    assert result.search_id is not None
    return LogEntry(
        result.search_id, request.client, result.route, request.query,
        stages_ms={k: round(v, 2) for k, v in result.timings_ms.items()
                   if k in ("candidates", "light", "heavy", "total")},
        pool=result.pool, unscored=sum(s.unscored for s in result.stages),
        skipped={s.name: s.reason for s in result.stages if not s.ran},
        confidence=result.confidence, results=len(result.hits))
