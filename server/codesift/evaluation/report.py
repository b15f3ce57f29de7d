"""The comparison table ``codesift eval`` prints."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from .runner import ApproachResult

DESCRIPTIONS = {
    "lexical": "keyword + AST pool, no model",
    "light": "light model over the pool",
    "heavy": "heavy model over the whole pool",
    "cascade": "pool -> light -> heavy",
    "dense": "bi-encoder over every chunk",
}


def _ms(summary: dict[str, float] | None) -> str:
    if not summary:
        return "-"
    return f"{summary['p50']:.0f} / {summary['p95']:.0f}"


def print_report(results: Sequence[ApproachResult], header: str, console: Console) -> None:
    table = Table(title=header, title_justify="left", header_style="bold")
    table.add_column("approach")
    for name in ("MRR@10", "R@1", "R@5", "R@10", "nDCG@10"):
        table.add_column(name, justify="right")
    table.add_column("ms p50 / p95", justify="right")
    table.add_column("update ms", justify="right")
    for r in results:
        label = f"{r.name} [dim]({DESCRIPTIONS.get(r.name, '')})[/]"
        if not r.ran or r.scores is None:
            table.add_row(label, *["-"] * 5, "-", f"[dim]{r.reason}[/]")
            continue
        s = r.scores
        table.add_row(label, f"{s.mrr10:.3f}", f"{s.recall1:.3f}", f"{s.recall5:.3f}",
                      f"{s.recall10:.3f}", f"{s.ndcg10:.3f}",
                      _ms(r.latency_ms.get("total")),
                      "-" if r.update_ms is None else f"{r.update_ms:.0f}")
    console.print(table)
    for r in results:
        if not r.ran:
            continue
        stages = [f"{stage} {_ms(v)}" for stage, v in r.latency_ms.items() if stage != "total"]
        extra = []
        if r.repeat_ms:
            extra.append(f"repeated query {_ms(r.repeat_ms)}")
        if r.setup_ms is not None:
            extra.append(f"embedding every chunk took {r.setup_ms / 1000:.1f} s")
        if r.pool_recall is not None:
            extra.append(f"pool recall {r.pool_recall:.3f} (a target among the candidates "
                         "the models rerank)")
        if r.reason:
            extra.append(f"[yellow]{r.reason}[/]")
        detail = " · ".join(stages + extra)
        if detail:
            console.print(f"  [bold]{r.name}[/] [dim]stage p50 / p95 ms:[/] {detail}")
    console.print("[dim]update ms: time until the index is current after one file changes "
                  "(dense: re-index plus re-embedding that file's chunks)[/]")
