"""The search results ``codesift search`` prints for a person: snippets with the matched
query words highlighted, the confidence (and what to try when it is low), and with
``--explain`` each result's reason ("keyword #3 → light #1 → heavy #1").

Results are built once as lines of (text, style) pieces; a terminal gets them through
rich, a pipe gets the bare text without importing rich (a fifth of a quick search's
start-up)."""

from __future__ import annotations

import sys
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

from .confidence import describe
from .search import SearchHit, SearchResult

if TYPE_CHECKING:
    from rich.console import Console

SNIPPET_LINES = 4
Piece = tuple[str, str]  # text, rich style ("" for none)
Line = list[Piece]


class _LazyConsole:
    """A rich Console made on first use: commands that print nothing styled never load rich."""

    def __init__(self, stderr: bool, **options: Any):
        self._stream = sys.stderr if stderr else sys.stdout
        self._options = {"stderr": stderr, **options}

    @property
    def is_terminal(self) -> bool:  # answered without making the console
        return self._stream.isatty()

    @cached_property
    def _console(self) -> Console:
        from rich.console import Console

        return Console(**self._options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._console, name)


def lazy_console(stderr: bool = False) -> Console:
    """The command line's console for stdout or stderr: never hard-wrapped when piped."""
    stream = sys.stderr if stderr else sys.stdout
    return cast("Console", _LazyConsole(stderr, highlight=False,
                                        soft_wrap=not stream.isatty()))


def wide_console() -> Console:
    """For a pipe or a file: tables are not squeezed to 80 columns."""
    from rich.console import Console

    return Console(highlight=False, width=150)


def escape(text: str) -> str:
    """``text`` with rich markup escaped (rich loads only where markup is printed)."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def snippet_line(hit: SearchHit, number: int, line: str) -> Line:
    """One snippet line with its matched query words in bold yellow."""
    body = line.rstrip()
    spans = sorted((m.start, min(m.end, len(body))) for m in
                   (hit.why.matched if hit.why is not None else ()) if m.line == number)
    out: Line = [(f"{hit.start_line + number:>6}  ", "dim")]
    at = 0
    for start, end in spans:
        if start >= at and end > start:
            out += [(body[at:start], ""), (body[start:end], "bold yellow")]
            at = end
    return [*out, (body[at:], "")]


def result_lines(result: SearchResult, explain: bool = False) -> list[Line]:
    if not result.hits:
        query = result.query if len(result.query) <= 80 else result.query[:77] + "..."
        return [[("no results", "yellow"), (f" for {query} ({result.route})", "")]]
    lines: list[Line] = []
    for hit in result.hits:
        lines.append([(hit.path, "magenta"), (":", ""), (str(hit.start_line), "green"),
                      *([(" ", ""), (hit.symbol, "bold cyan")] if hit.symbol else []),
                      (f" {hit.kind} · {hit.score:.3f}", "dim")])
        if explain and hit.why is not None:
            terms = sorted({m.term for m in hit.why.matched})
            matched = f" · matched: {', '.join(terms)}" if terms else ""
            lines.append([("  why:", "cyan"), (f" {hit.why.summary()}{matched}", "")])
        lines += [snippet_line(hit, offset, line)
                  for offset, line in enumerate(hit.snippet.split("\n")[:SNIPPET_LINES])]
        lines.append([])
    total = result.timings_ms.get("total", 0.0)
    ran = [f"{s.name} {s.ms:.0f} ms" for s in result.stages if s.ran]
    stages = " · ".join(["candidates", *ran]) if ran else "lexical ranking"
    sure = (f" · confidence {result.confidence:.2f}" if result.confidence is not None
            else "")
    lines.append([(f"{len(result.hits)} results · route {result.route} · {stages}{sure} · "
                   f"{total:.1f} ms", "dim")])
    note = describe(result.confidence)
    if note:
        lines.append([(note, "yellow")])
    return lines


def print_results(result: SearchResult, out: Console, explain: bool = False) -> None:
    """Styled through rich on a terminal, bare text (no rich import) anywhere else."""
    lines = result_lines(result, explain)
    if not out.is_terminal:
        sys.stdout.write("".join("".join(text for text, _ in line) + "\n" for line in lines))
        return
    from rich.text import Text

    for line in lines:
        out.print(Text.assemble(*line), highlight=False, soft_wrap=True)
