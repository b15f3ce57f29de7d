"""The ``codesift`` command line's arguments and help (the commands live in ``cli``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from .about import version_text
from .kinds import APPROACHES


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="codesift",
        description="Local code search: keyword + AST + regex candidates over a SQLite index.",
        formatter_class=argparse.RawDescriptionHelpFormatter,  # --version keeps its lines
    )
    parser.add_argument("--version", action="version", version=version_text(),
                        help="show the version and the shipped models, then exit")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="log more (repeat for debug output)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--index-dir", metavar="DIR",
                        help="where the index lives (default: the user cache dir, "
                             "codesift/<hash of the root>)")
    common.add_argument("--max-file-bytes", type=int, metavar="N",
                        help="skip files larger than N bytes (default 1048576)")

    p_index = sub.add_parser("index", parents=[common], help="build or refresh the index",
                             description="Index ROOT incrementally: only changed files "
                                         "are re-parsed, vanished files are dropped.")
    p_index.add_argument("root", type=Path, help="workspace folder")
    p_index.add_argument("--json", action="store_true", help="print the summary as JSON")
    p_index.add_argument("--embed", action="store_true",
                         help="also embed every chunk with the light model (what the "
                              "language server does in idle time), so later searches "
                              "find every candidate cached and natural-language "
                              "searches also reach the model's nearest chunks")
    p_index.add_argument("--no-wait", action="store_true",
                         help="fail at once if another process is indexing this root")

    p_search = sub.add_parser(
        "search", parents=[common], help="search a workspace",
        description="Search ROOT (indexing it first if needed, refreshing changed files).",
    )
    p_search.add_argument("query", help="identifier, words, or a regex (RE2 syntax)")
    p_search.add_argument("--root", type=Path, default=Path("."),
                          help="workspace folder (default: current folder)")
    p_search.add_argument("-n", "--limit", type=int, default=None,
                          help="results (default: rerank.final_k of the configuration, 10)")
    p_search.add_argument("--json", action="store_true", help="print one JSON object")
    p_search.add_argument("--regex", action="store_true", help="treat QUERY as a regex")
    p_search.add_argument("--explain", action="store_true",
                          help="say why each result is there: which generators found it "
                               "and at what rank, each model stage's rank, matched words")
    p_search.add_argument("--lang", action="append", default=[], metavar="L",
                          help="only this language (repeatable), e.g. python, go")
    p_search.add_argument("--path", action="append", default=[], metavar="GLOB",
                          help="only paths matching this gitignore-style glob (repeatable)")
    p_search.add_argument("--pool-size", type=int, metavar="N",
                          help="candidate pool size (default 100; 200 once every chunk has "
                             "its light-model vector, see 'index --embed')")
    p_search.add_argument("--no-refresh", action="store_true",
                          help="search the index as it is, without checking for changes")
    add_model_flags(p_search)
    p_search.add_argument("--no-rerank", action="store_true",
                          help="lexical ranking only (no model stages)")
    p_search.add_argument("--budget-ms", type=float, metavar="MS",
                          help="time for the model stages; candidates left unscored keep "
                               "their lexical order (default: no limit, reproducible output)")

    p_serve = sub.add_parser(
        "serve", help="run the language server (LSP over stdio)",
        description="Run the codesift language server. Editors start it and talk LSP over "
                    "stdin/stdout; workspace folders and settings come from the client "
                    "(initialize, initializationOptions). See docs/PROTOCOL.md.")
    p_serve.add_argument("--tcp", metavar="HOST:PORT",
                         help="listen on TCP instead of stdio, for debugging (host defaults "
                              "to 127.0.0.1, e.g. --tcp :2087). Risk: TCP has no "
                              "authentication; any local user who connects can search "
                              "and read the allowed folders, so roots are confined to "
                              "--allow-root (default: the current folder)")
    p_serve.add_argument("--allow-root", action="append", type=Path, default=[],
                         metavar="DIR",
                         help="with --tcp: a folder clients may open as a workspace folder "
                              "(repeatable; folders inside it count)")
    p_serve.add_argument("--stdio", action="store_true",
                         help="talk LSP over stdio (the default; accepted because many "
                              "clients pass it)")
    p_serve.add_argument("--no-watch", action="store_true",
                         help="do not watch files on disk (editor changes still count)")

    p_mcp = sub.add_parser(
        "mcp", help="run the MCP server for coding agents (stdio)",
        description="Serve codesift's search to coding agents over the Model Context "
                    "Protocol: tools search, get_code, relevant_code, status and reindex. "
                    "The index is kept live while it runs and can be shared with an "
                    "editor's language server. Nothing leaves this machine.")
    p_mcp.add_argument("roots", nargs="*", type=Path, metavar="ROOT",
                       help="workspace folders (default: the current folder; the client's "
                            "MCP roots take over when it sends them)")
    p_mcp.add_argument("--http", type=int, metavar="PORT",
                       help="serve streamable HTTP on 127.0.0.1:PORT (loopback only) "
                            "instead of stdio. Risk: no authentication, any local user "
                            "can connect, so only the ROOTs given here are served "
                            "(client roots are ignored)")
    p_mcp.add_argument("--no-watch", action="store_true",
                       help="do not watch files on disk (reindex picks up changes)")

    p_stats = sub.add_parser(
        "stats", parents=[common], help="summarize the local search log",
        description="What the local search log of ROOT's index says about real use: "
                    "per-stage latency p50/p95, stages skipped and why, failures, and the "
                    "rank of the results opened in the editors. The log stays on this "
                    "machine; log.enabled = false stops it, --clear empties it.")
    p_stats.add_argument("root", type=Path, nargs="?", default=Path("."),
                         help="workspace folder (default: the current folder)")
    p_stats.add_argument("--json", action="store_true", help="print one JSON object")
    p_stats.add_argument("--clear", action="store_true",
                         help="delete every logged search of this index")

    p_eval = sub.add_parser(
        "eval", parents=[common], help="measure ranking quality and latency",
        description="Index ROOT, run every query of FILE and compare approaches side by "
                    "side: lexical only, the light model, the heavy model over the whole "
                    "pool, the cascade, and dense retrieval over every chunk. Model caches "
                    "of the index are cleared first (unless --keep-caches), so latencies are "
                    "cold-cache figures.")
    p_eval.add_argument("--queries", type=Path, required=True, metavar="FILE",
                        help='JSONL: {"query", "targets": [{"path", "start_line", '
                             '"end_line"}]} per line; paths relative to ROOT')
    p_eval.add_argument("--root", type=Path, required=True, help="workspace folder")
    p_eval.add_argument("--misses", action="store_true",
                        help="list every query with no target in the first three, per "
                             "approach, with the stage that lost it (--json always has them)")
    p_eval.add_argument("--plot", type=Path, default=None, metavar="FILE.png",
                        help="draw MRR@10 against p50 latency per approach (needs the "
                             "'plot' extra: matplotlib)")
    add_model_flags(p_eval)
    p_eval.add_argument("--pool-size", type=int, metavar="N",
                        help="candidate pool size (default 100; 200 once every chunk has "
                             "its light-model vector, see 'index --embed')")
    p_eval.add_argument("--final-k", type=int, default=None, metavar="K",
                        help="results per query (default: rerank.final_k, 10)")
    p_eval.add_argument("--approaches", default=",".join(APPROACHES), metavar="LIST",
                        help=f"comma-separated subset of {','.join(APPROACHES)}")
    p_eval.add_argument("--max-queries", type=int, metavar="N",
                        help="only the first N queries")
    p_eval.add_argument("--keep-caches", action="store_true",
                        help="reuse the index's cached embeddings and scores (fast repeat "
                             "runs; latencies are then warm-cache figures)")
    p_eval.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def add_model_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stage1-model", metavar="M",
                        help="light stage model: a shipped model name, a model folder, or "
                             "'' to switch the stage off (default: codesift-bi-l6)")
    parser.add_argument("--stage2-model", metavar="M",
                        help="heavy stage model (cross-encoder): shipped name, folder, or "
                             "a Hugging Face id with the transformers extra; '' = off")

