"""``codesift`` command line: a thin shell over the library.

Exit codes: 0 ok, 2 bad usage (including an invalid regex or configuration),
1 any other error.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cli_output import escape, lazy_console, print_results, wide_console
from .cli_parser import build_parser
from .config import Config, load_config
from .errors import IndexBusyError, UserError
from .index.store import Store
from .kinds import APPROACHES
from .retrieve import dense
from .retrieve.candidate import Filters
from .search import Searcher, SearchRequest
from .workspace import Workspace

if TYPE_CHECKING:
    from rich.console import Console

    from .index.indexer import SyncReport

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def _config(root: Path, args: argparse.Namespace) -> Config:
    overrides: dict[str, Any] = {}
    if args.index_dir:
        overrides.setdefault("index", {})["index_dir"] = str(Path(args.index_dir).resolve())
    if args.max_file_bytes is not None:
        overrides.setdefault("scan", {})["max_file_bytes"] = args.max_file_bytes
    if getattr(args, "pool_size", None) is not None:
        # the size asked for, whether or not every chunk has its light-model vector
        overrides.setdefault("retrieve", {}).update(pool_size=args.pool_size,
                                                    embedded_pool_size=args.pool_size)
    if getattr(args, "stage1_model", None) is not None:
        overrides.setdefault("rerank", {})["light_model"] = args.stage1_model
    if getattr(args, "stage2_model", None) is not None:
        overrides.setdefault("rerank", {})["heavy_model"] = args.stage2_model
    return load_config(root, overrides)


def _workspace(root: Path, args: argparse.Namespace) -> Workspace:
    if not root.is_dir():
        raise UserError(f"not a folder: {root}")
    return Workspace(root.resolve(), _config(root, args))


def _sync_with_progress(workspace: Workspace, store: Store, console: Console,
                        wait: bool) -> SyncReport:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("[bold]Indexing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("{task.fields[current]}", style="dim"),
        console=console, transient=True, disable=not console.is_terminal,
    )
    from .index.indexer import sync  # tree-sitter: only when the index is refreshed
    from .retrieve.dense_alongside import EmbedAlongside

    with progress:
        task = progress.add_task("index", total=None, current="")
        alongside = EmbedAlongside(workspace.db_path, workspace.config)
        # static vectors on the second core once there is indexing work
        report = alongside.watch(lambda done, total, rel: progress.update(
            task, completed=done, total=total, current=rel[-50:]))

        with alongside:
            try:
                result = sync(workspace, store, wait=False, progress=report)
            except IndexBusyError:
                if not wait:
                    raise
                console.print(f"[yellow]waiting[/] for another process indexing "
                              f"{escape(str(workspace.root))} (up to "
                              f"{workspace.config.index.lock_timeout_s:.0f} s)")
                result = sync(workspace, store, wait=True, progress=report)
        if workspace.config.retrieve.strategy != "lexical":
            embed_task = progress.add_task("embed", total=None, current="static embeddings")
            dense.refresh(store, workspace.config,
                          lambda done: progress.update(embed_task, completed=done),
                          alongside.vectors)
        return result


def _embed_with_progress(workspace: Workspace, store: Store, console: Console) -> int | None:
    """Light-model embeddings of every chunk not cached yet, one walk over the index; the
    cached count, or None when the light model is not a bi-encoder."""
    searcher = Searcher(store, workspace.config)
    if (coverage := searcher.embedding_coverage()) is None:
        return None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("[bold]Embedding"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True,
                  disable=not console.is_terminal) as progress:
        task = progress.add_task("embed", total=coverage[1], completed=coverage[0])
        searcher.embed_all(lambda embedded: progress.advance(task, embedded))
    return (searcher.embedding_coverage() or coverage)[0]


def cmd_index(args: argparse.Namespace, err: Console) -> int:
    workspace = _workspace(args.root, args)
    store = workspace.open_store()
    try:
        report = _sync_with_progress(workspace, store, err, wait=not args.no_wait)
        embedded = _embed_with_progress(workspace, store, err) if args.embed else None
        stats = store.stats()
    finally:
        store.close()
    summary = {
        "root": str(workspace.root), "index_dir": str(workspace.index_dir),
        "scanned": report.scanned, "added": report.added, "updated": report.updated,
        "removed": report.removed, "unchanged": report.unchanged, "skipped": report.skipped,
        "seconds": round(report.seconds, 3), **stats,
        **({"embedded": embedded} if embedded is not None else {}),
    }
    if args.json:
        print(json.dumps(summary))
    else:
        err.print(
            f"[green]Indexed[/] {escape(str(workspace.root))}: {stats['files']:,} files, "
            f"{stats['chunks']:,} chunks, {stats['symbols']:,} symbols "
            f"([bold]+{report.added}[/] added, {report.updated} updated, "
            f"{report.removed} removed, {report.skipped} skipped) in {report.seconds:.2f}s"
        )
        if embedded is not None:
            err.print(f"[green]Embedded[/] {embedded:,} of {stats['chunks']:,} chunks with "
                      f"{escape(workspace.config.rerank.light_model)}")
        err.print(f"[dim]index: {escape(str(workspace.index_dir))}[/]")
    return EXIT_OK


def cmd_search(args: argparse.Namespace, out: Console, err: Console) -> int:
    if args.limit is not None and args.limit < 1:
        raise UserError("--limit must be at least 1")
    if not args.query.strip():
        raise UserError("empty query")
    if args.pool_size is not None and args.pool_size < 1:
        raise UserError("--pool-size must be at least 1")
    if args.budget_ms is not None and args.budget_ms < 0:
        raise UserError("--budget-ms must not be negative")
    started = time.perf_counter()
    workspace = _workspace(args.root, args)
    store = workspace.open_store()
    try:
        warnings: list[str] = []
        if not args.no_refresh:
            try:
                _sync_with_progress(workspace, store, err, wait=False)
            except IndexBusyError:
                files = store.stats()["files"]
                warnings.append(f"another process is indexing {workspace.root}; searched the "
                                f"{files:,} files indexed so far: results may be incomplete")
                err.print(f"[yellow]warning:[/] {escape(warnings[-1])}")
        searcher = Searcher(store, workspace.config)
        limit = args.limit or workspace.config.rerank.final_k
        request = SearchRequest(args.query, limit, args.regex,
                                Filters(tuple(args.path), tuple(args.lang)),
                                rerank=not args.no_rerank, budget_ms=args.budget_ms)
        result = searcher.search(request)
    finally:
        store.close()
    if args.json:
        cli_total = (time.perf_counter() - started) * 1000
        answer = result.to_json(extra_timings={"cli_total": cli_total})
        print(json.dumps({**answer, "warnings": warnings} if warnings else answer))
    else:
        print_results(result, out, args.explain)
    return EXIT_OK


def cmd_eval(args: argparse.Namespace, out: Console, err: Console) -> int:
    approaches = [a.strip() for a in args.approaches.split(",") if a.strip()]
    unknown = sorted(set(approaches) - set(APPROACHES))
    if unknown or not approaches:
        raise UserError(f"--approaches: unknown {', '.join(unknown) or '(none given)'}; "
                         f"choose from {', '.join(APPROACHES)}")
    if (args.final_k is not None and args.final_k < 1) or (args.pool_size is not None
                                                          and args.pool_size < 1):
        raise UserError("--final-k and --pool-size must be at least 1")
    from .evaluation.metrics import load_queries, splits_of  # numpy, models: eval only
    from .evaluation.plot import plot
    from .evaluation.report import print_misses, print_report
    from .evaluation.runner import run_eval

    queries = load_queries(args.queries)[: args.max_queries]
    workspace = _workspace(args.root, args)
    args.final_k = args.final_k or workspace.config.rerank.final_k
    store = workspace.open_store()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                        MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                        transient=True, disable=not err.is_terminal)
    try:
        _sync_with_progress(workspace, store, err, wait=True)
        with progress:
            tasks: dict[str, Any] = {}

            def report(label: str, done: int, total: int) -> None:
                if label not in tasks:
                    tasks[label] = progress.add_task(label, total=total)
                progress.update(tasks[label], completed=done, total=total)

            results = run_eval(store, workspace.config, queries, args.final_k, approaches,
                               report, cold=not args.keep_caches)
        stats = store.stats()
    finally:
        store.close()
    if args.json:
        print(json.dumps({
            "queries": len(queries), "split": splits_of(queries), "root": str(workspace.root),
            "final_k": args.final_k,
            "pool_size": workspace.config.retrieve.pool_size, "index": stats,
            "approaches": [r.to_json() for r in results],
        }))
    else:
        header = (f"{len(queries)} queries · {escape(str(args.queries))} · split "
                  f"{escape(splits_of(queries))} · "
                  f"{stats['files']:,} files, {stats['chunks']:,} chunks · "
                  f"pool {workspace.config.retrieve.pool_size} · k {args.final_k}")
        out = out if out.is_terminal else wide_console()
        print_report(results, header, out)
        if args.misses:
            print_misses(results, out)
    if args.plot is not None:
        plot(results, args.plot, f"{len(queries)} queries · {args.queries.name}")
        err.print(f"[green]plot[/] written to {escape(str(args.plot))}")
    return EXIT_OK


def cmd_stats(args: argparse.Namespace, out: Console, err: Console) -> int:
    from .index.search_log import SearchLog
    from .stats import print_stats, summarize

    workspace = _workspace(args.root, args)
    if not workspace.db_path.exists():
        raise UserError(f"no index for {workspace.root} (run: codesift index {args.root})")
    store = workspace.open_store()
    try:
        log = SearchLog(store, workspace.config.log)
        if args.clear:
            err.print(f"[green]cleared[/] {log.clear():,} logged searches")
            return EXIT_OK
        stats = summarize(log.entries(), log.size_bytes())
    finally:
        store.close()
    if args.json:
        print(json.dumps(stats.to_json()))
    else:
        print_stats(stats, out, str(workspace.root))
        if not workspace.config.log.enabled:
            err.print("[yellow]the search log is off (log.enabled = false)[/]")
    return EXIT_OK


def parse_tcp(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    try:
        number = int(port)
    except ValueError:
        raise UserError(f"--tcp: expected HOST:PORT, got {value!r}") from None
    if not 0 < number < 65536:
        raise UserError(f"--tcp: port out of range: {number}")
    host = host.strip("[]") or "127.0.0.1"
    if host not in ("localhost", "::1") and not host.startswith("127."):
        raise UserError(f"--tcp: {host} is not a loopback address; the server has no "
                        "authentication, so it listens on this machine only")
    return host, number


def cmd_serve(args: argparse.Namespace) -> int:
    from .lsp.server import serve  # pygls loads only for the server

    tcp = parse_tcp(args.tcp) if args.tcp else None
    if args.allow_root and tcp is None:
        raise UserError("--allow-root applies to --tcp only (over stdio the editor that "
                        "started the server chooses its folders)")
    allowed = [p.resolve() for p in args.allow_root or [Path.cwd()]] if tcp else None
    serve(tcp, watch=not args.no_watch, allowed_roots=allowed)
    return EXIT_OK


def cmd_mcp(args: argparse.Namespace) -> int:
    from .mcp_server.server import serve  # the MCP SDK loads only for this command

    if args.http is not None and not 0 < args.http < 65536:
        raise UserError(f"--http: port out of range: {args.http}")
    roots = args.roots or [Path.cwd()]
    missing = [str(r) for r in roots if not r.is_dir()]
    if missing:
        raise UserError(f"not a folder: {', '.join(missing)}")
    serve(roots, args.http, watch=not args.no_watch)
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=[logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)],
        format="codesift: %(levelname)s: %(message)s",
    )
    # piped output is never hard-wrapped: one result line stays one line
    out, err = lazy_console(), lazy_console(stderr=True)
    try:
        if args.command == "index":
            return cmd_index(args, err)
        if args.command == "search":
            return cmd_search(args, out, err)
        if args.command == "eval":
            return cmd_eval(args, out, err)
        if args.command == "stats":
            return cmd_stats(args, out, err)
        if args.command == "serve":
            return cmd_serve(args)
        if args.command == "mcp":
            return cmd_mcp(args)
    except IndexBusyError as exc:  # not the user's mistake: try again later
        err.print(f"[red]codesift: error:[/] {escape(str(exc))}")
        return EXIT_ERROR
    except UserError as exc:
        err.print(f"[red]codesift: error:[/] {escape(str(exc))}", highlight=False)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # last resort: one line, not a traceback
        logging.getLogger("codesift").debug("unexpected error", exc_info=True)
        err.print(f"[red]codesift: error:[/] {escape(type(exc).__name__)}: {escape(str(exc))}")
        return EXIT_ERROR
    parser.error(f"unknown command {args.command}")
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
