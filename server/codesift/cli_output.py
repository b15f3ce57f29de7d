"""The search results ``codesift search`` prints for a person: snippets with the matched
query words highlighted, the confidence (and what to try when it is low), and with
``--explain`` each result's reason ("keyword #3 → light #1 → heavy #1")."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from .confidence import describe
from .search import SearchHit, SearchResult

SNIPPET_LINES = 4


def snippet_line(hit: SearchHit, number: int, line: str) -> Text:
    """One snippet line with its matched query words in bold yellow."""
    text = Text(f"{hit.start_line + number:>6}  ", style="dim")
    body = Text(line.rstrip())
    for m in hit.why.matched if hit.why is not None else ():
        if m.line == number:
            body.stylize("bold yellow", m.start, m.end)
    return text + body


def print_results(result: SearchResult, out: Console, explain: bool = False) -> None:
    if not result.hits:
        query = result.query if len(result.query) <= 80 else result.query[:77] + "..."
        out.print(f"[yellow]no results[/] for {escape(query)!s} ({result.route})")
        return
    for hit in result.hits:
        where = f"[magenta]{escape(hit.path)}[/]:[green]{hit.start_line}[/]"
        symbol = f" [bold cyan]{escape(hit.symbol)}[/]" if hit.symbol else ""
        out.print(f"{where}{symbol} [dim]{hit.kind} · {hit.score:.3f}[/]", highlight=False)
        if explain and hit.why is not None:
            terms = sorted({m.term for m in hit.why.matched})
            matched = f" · matched: {', '.join(terms)}" if terms else ""
            out.print(f"  [cyan]why:[/] {escape(hit.why.summary())}{escape(matched)}",
                      highlight=False)
        for offset, line in enumerate(hit.snippet.split("\n")[:SNIPPET_LINES]):
            out.print(snippet_line(hit, offset, line), highlight=False, soft_wrap=True)
        out.print()
    total = result.timings_ms.get("total", 0.0)
    ran = [f"{s.name} {s.ms:.0f} ms" for s in result.stages if s.ran]
    stages = " · ".join(["candidates", *ran]) if ran else "lexical ranking"
    sure = (f" · confidence {result.confidence:.2f}" if result.confidence is not None
            else "")
    out.print(f"[dim]{len(result.hits)} results · route {result.route} · {escape(stages)}"
              f"{sure} · {total:.1f} ms[/]")
    note = describe(result.confidence)
    if note:
        out.print(f"[yellow]{escape(note)}[/]")
