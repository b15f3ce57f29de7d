"""``codesift stats``: what the local search log says about real use: per-stage latency,
why stages were skipped, failures, and the rank of the results users opened (the share
opened at #1 is a quality signal no benchmark gives)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .confidence import LOW
from .evaluation.metrics import percentile
from .index.search_log import LogEntry

STAGES = ("candidates", "light", "heavy", "total")
RANK_BUCKETS = ("1", "2", "3", "4-10", ">10")


def reason_kind(reason: str) -> str:
    """A skip reason or error without its particulars ("early exit: exact definition X
    leads by 0.12" -> "early exit")."""
    return reason.split(":", 1)[0].strip() or reason


def rank_bucket(rank: int) -> str:
    return str(rank) if rank <= 3 else "4-10" if rank <= 10 else ">10"


@dataclass(frozen=True)
class Stats:
    searches: int
    first_time: float | None
    last_time: float | None
    clients: dict[str, int]
    routes: dict[str, int]
    latency_ms: dict[str, dict[str, float]]
    skipped: dict[str, dict[str, int]]
    partial: int  # searches that left candidates unscored (budget spent)
    failures: dict[str, int]
    low_confidence: int
    opened: int
    opened_ranks: dict[str, int] = field(default_factory=dict)
    log_bytes: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "searches": self.searches, "first_time": self.first_time,
            "last_time": self.last_time, "clients": self.clients, "routes": self.routes,
            "latency_ms": self.latency_ms, "skipped": self.skipped, "partial": self.partial,
            "failures": self.failures, "low_confidence": self.low_confidence,
            "opened": self.opened, "opened_ranks": self.opened_ranks,
            "log_bytes": self.log_bytes,
        }


def summarize(entries: Sequence[LogEntry], log_bytes: int = 0) -> Stats:
    latency: dict[str, dict[str, float]] = {}
    for stage in STAGES:
        values = [e.stages_ms[stage] for e in entries if stage in e.stages_ms]
        if values:
            latency[stage] = {"p50": round(percentile(values, 50), 1),
                              "p95": round(percentile(values, 95), 1), "n": len(values)}
    skipped: dict[str, Counter[str]] = {}
    for e in entries:
        for stage, reason in e.skipped.items():
            skipped.setdefault(stage, Counter())[reason_kind(reason)] += 1
    ranks = Counter(rank_bucket(e.opened_rank) for e in entries if e.opened_rank)
    return Stats(
        searches=len(entries),
        first_time=entries[0].time if entries else None,
        last_time=entries[-1].time if entries else None,
        clients=dict(Counter(e.client for e in entries).most_common()),
        routes=dict(Counter(e.route for e in entries if not e.error).most_common()),
        latency_ms=latency,
        skipped={s: dict(c.most_common()) for s, c in skipped.items()},
        partial=sum(1 for e in entries if e.unscored),
        failures=dict(Counter(reason_kind(e.error) for e in entries if e.error).most_common()),
        low_confidence=sum(1 for e in entries if e.confidence is not None
                           and e.confidence < LOW and not e.error),
        opened=sum(ranks.values()),
        opened_ranks={b: ranks[b] for b in RANK_BUCKETS if ranks[b]},
        log_bytes=log_bytes,
    )


def print_stats(stats: Stats, out: Console, where: str) -> None:
    if not stats.searches:
        out.print(f"no searches logged for {escape(where)}")
        return
    clients = ", ".join(f"{k} {v}" for k, v in stats.clients.items())
    out.print(f"[bold]{stats.searches:,} searches[/] ({escape(clients)}) · "
              f"log {stats.log_bytes / 1e6:.2f} MB · {escape(where)}")
    table = Table(title="latency per stage (ms)", title_justify="left", header_style="bold")
    for name in ("stage", "p50", "p95", "searches"):
        table.add_column(name, justify="left" if name == "stage" else "right")
    for stage, v in stats.latency_ms.items():
        table.add_row(stage, f"{v['p50']:.1f}", f"{v['p95']:.1f}", f"{int(v['n']):,}")
    out.print(table)
    for stage, reasons in stats.skipped.items():
        text = ", ".join(f"{escape(r)} {n}" for r, n in reasons.items())
        out.print(f"[cyan]{stage} skipped:[/] {text}")
    out.print(f"partial (budget left candidates unscored): {stats.partial:,} · "
              f"low confidence: {stats.low_confidence:,}")
    if stats.failures:
        out.print("[red]failures:[/] " + ", ".join(f"{escape(k)} {v}"
                                                   for k, v in stats.failures.items()))
    if stats.opened:
        ranks = " · ".join(f"#{b} {n} ({n / stats.opened:.0%})"
                           for b, n in stats.opened_ranks.items())
        out.print(f"[green]opened results[/] {stats.opened:,}: {ranks}")
    else:
        out.print("[dim]no opened results logged yet (the editors report which result "
                  "was opened)[/]")
