"""The comparison table ``codesift eval`` prints."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .misses import reason_counts
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
    for name in ("MRR@10", "R@1", "R@5", "R@10", "nDCG@10", "P@3", "S@3"):
        table.add_column(name, justify="right")
    table.add_column("ms p50 / p95", justify="right")
    table.add_column("update ms", justify="right")
    for r in results:
        label = f"{r.name} [dim]({DESCRIPTIONS.get(r.name, '')})[/]"
        if not r.ran or r.scores is None:
            table.add_row(label, *["-"] * 7, "-", f"[dim]{r.reason}[/]")
            continue
        s = r.scores
        table.add_row(label, f"{s.mrr10:.3f}", f"{s.recall1:.3f}", f"{s.recall5:.3f}",
                      f"{s.recall10:.3f}", f"{s.ndcg10:.3f}", f"{s.precision3:.3f}",
                      f"{s.success3:.3f}",
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
                  "(dense: re-index plus re-embedding that file's chunks). P@3: share of the "
                  "first three results that hit a target; S@3: a target among them[/]")
    print_lift(results, console)


def print_lift(results: Sequence[ApproachResult], console: Console) -> None:
    """What reranking buys in the top three, against the lexical top three."""
    base = next((r.scores for r in results if r.name == "lexical" and r.scores), None)
    rows = [r for r in results if r.ran and r.scores and r.name != "lexical"]
    if base is None or not rows:
        return
    table = Table(title="lift over the lexical top 3", title_justify="left",
                  header_style="bold")
    for name in ("approach", "P@3", "Δ P@3", "S@3", "Δ S@3", "Δ MRR@10"):
        table.add_column(name, justify="left" if name == "approach" else "right")
    for r in rows:
        s = r.scores
        assert s is not None
        table.add_row(r.name, f"{s.precision3:.3f}", f"{s.precision3 - base.precision3:+.3f}",
                      f"{s.success3:.3f}", f"{s.success3 - base.success3:+.3f}",
                      f"{s.mrr10 - base.mrr10:+.3f}")
    console.print(table)


def print_misses(results: Sequence[ApproachResult], console: Console) -> None:
    """Every query without a target in the first three, per approach, with its reason."""
    for r in results:
        if not r.ran:
            continue
        counts = ", ".join(f"{reason} {n}" for reason, n in reason_counts(r.misses).items())
        console.print(f"[bold]{r.name}[/]: {len(r.misses)} misses · {escape(counts)}")
        for m in r.misses:
            rank = f"#{m.rank}" if m.rank else "-"
            console.print(f"  {escape(m.reason):28} {rank:>5}  {escape(m.query)} "
                          f"[dim](first: {escape(m.first)})[/]", highlight=False)
