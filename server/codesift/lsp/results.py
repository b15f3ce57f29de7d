"""Search results in their wire shape: URIs and zero-based LSP ranges."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..confidence import json_fields, leading
from ..search import SearchHit, SearchResult


def lsp_range(start_line: int, end_line: int) -> dict[str, dict[str, int]]:
    """Whole lines start_line..end_line (1-based, inclusive) as an LSP range."""
    return {"start": {"line": start_line - 1, "character": 0},
            "end": {"line": end_line, "character": 0}}


def hit_json(root: Path, hit: SearchHit, stage: str, search_id: int | None = None
             ) -> dict[str, Any]:
    return {
        "search_id": search_id,  # echoed back by codesift/opened
        "uri": (root / hit.path).as_uri(), "path": hit.path, "root": root.as_uri(),
        "range": lsp_range(hit.start_line, hit.end_line),
        "symbol": hit.symbol, "kind": hit.kind, "language": hit.language,
        "snippet": hit.snippet, "score": round(hit.score, 6), "stage": stage,
        **({"why": hit.why.to_json()} if hit.why is not None else {}),
    }


def snapshot_json(stage: str, ranked: list[tuple[Path, SearchHit]],
                  per_root: list[tuple[Path, SearchResult]]) -> dict[str, Any]:
    """A complete ranking snapshot across roots (clients replace their list with it)."""
    results = [r for _, r in per_root]
    ids = {root: r.search_id for root, r in per_root}
    timings: dict[str, float] = {}
    for result in results:
        for key, value in result.timings_ms.items():
            timings[key] = round(max(timings.get(key, 0.0), value), 3)
    sure = leading(results, ranked[0][1] if ranked else None)
    return {"stage": stage,
            "results": [hit_json(root, hit, stage, ids.get(root)) for root, hit in ranked],
            "timings_ms": timings, **json_fields(sure)}


def interleave(per_root: list[tuple[Path, SearchResult]], limit: int
               ) -> list[tuple[Path, SearchHit]]:
    """Merge roots' rankings by rank (scores of different indexes are not comparable)."""
    out: list[tuple[Path, SearchHit]] = []
    depth = max((len(r.hits) for _, r in per_root), default=0)
    for rank in range(depth):
        for root, result in per_root:
            if rank < len(result.hits):
                out.append((root, result.hits[rank]))
    return out[:limit]
