"""What a search reports about its model stages, kept free of model imports so that a
search that runs no model (regex, ``--no-rerank``) never loads onnxruntime or numpy."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from ..kinds import ModelStage, SnapshotStage
from ..query import QueryAnalysis
from ..retrieve.candidate import Candidate

CancelCheck = Callable[[], bool]


@dataclass
class StageReport:
    """What one stage did, or why it did not run."""

    name: ModelStage
    ran: bool
    reason: str = ""
    model: str | None = None
    candidates_in: int = 0
    candidates_out: int = 0
    ms: float = 0.0
    cache_hits: int = 0
    unscored: int = 0  # candidates the time budget left unscored (kept below the scored)

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"name": self.name, "ran": self.ran}
        if self.reason:
            out["reason"] = self.reason
        if self.model:
            out["model"] = self.model
        if self.ran:
            out.update({"in": self.candidates_in, "out": self.candidates_out,
                        "ms": round(self.ms, 3), "cache_hits": self.cache_hits})
            if self.unscored:
                out["unscored"] = self.unscored
        return out


@dataclass
class Snapshot:
    """The complete current ranking after one stage (clients replace, never append)."""

    stage: SnapshotStage
    candidates: list[Candidate]
    stages: list[StageReport] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)


def skip_reason(analysis: QueryAnalysis, pool: Sequence[Candidate], enabled: bool
                ) -> str | None:
    """Why no model stage runs for this query, or None when they may."""
    if not enabled:
        return "reranking switched off"
    if analysis.route == "regex":
        return "regex query: exact matches keep their lexical order"
    if len(pool) < 2:
        return "fewer than two candidates"
    return None


def lexical_snapshots(pool: list[Candidate], limit: int, reason: str,
                      heavy_model: str) -> Iterator[Snapshot]:
    """The snapshots of a search whose model stages are skipped: lexical order."""
    yield Snapshot("candidates", pool[:limit])
    yield Snapshot("final", pool[:limit], [StageReport("light", False, reason),
                                           StageReport("heavy", False, reason,
                                                       heavy_model or None)])
