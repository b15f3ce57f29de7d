"""Language-server benchmark: drives ``codesift serve`` over stdio like an editor.

On a copy of the evaluation corpus (bench/data/corpus.py), with the default models:
time to the first and the final snapshot of ``codesift/search`` (cold model caches,
then the same queries again), hover latency, how soon a saved file and an unsaved
edit become searchable, and the server's memory once idle with models loaded.
Prints Markdown; ``--json PATH`` writes the numbers.

    .venv/bin/python -m bench.lsp_server [--queries N] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol import types as t
from pygls.lsp.client import LanguageClient

from codesift.lsp.server import plain_json_converter

from .data import corpus

QUESTIONS = Path(__file__).resolve().parent / "data" / "stdlib_questions.jsonl"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


class BenchClient(LanguageClient):
    def __init__(self) -> None:
        super().__init__("codesift-bench", "1", converter_factory=plain_json_converter)
        self.arrivals: dict[Any, list[tuple[float, str]]] = {}


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    scratch = Path(tempfile.mkdtemp(prefix="codesift-lsp-bench-"))
    root = corpus.materialize(scratch / "ws")
    client = BenchClient()

    @client.feature(t.PROGRESS)
    def on_progress(ls: BenchClient, params: t.ProgressParams) -> None:
        value = params.value
        if isinstance(value, dict) and "stage" in value:
            ls.arrivals.setdefault(params.token, []).append((time.perf_counter(),
                                                             value["stage"]))

    @client.feature(t.WINDOW_WORK_DONE_PROGRESS_CREATE)
    def on_create(ls: BenchClient, params: Any) -> None:
        return None

    await client.start_io(sys.executable, "-m", "codesift", "serve")
    started = time.perf_counter()
    await client.initialize_async(t.InitializeParams(
        capabilities=t.ClientCapabilities(window=t.WindowClientCapabilities(
            work_done_progress=True)),
        workspace_folders=[t.WorkspaceFolder(root.as_uri(), "ws")],
        initialization_options={"index": {"index_dir": str(scratch / "index")}}))
    client.initialized(t.InitializedParams())
    while True:
        status = await client.protocol.send_request_async("codesift/status", {})
        roots = status["roots"]
        if roots and not roots[0]["indexing"] and roots[0]["files"] > 0:
            break
        await asyncio.sleep(0.2)
    index_s = time.perf_counter() - started
    queries = [json.loads(line)["query"] for line in QUESTIONS.read_text().splitlines()
               ][: args.queries]

    async def run_pass(label: str, think_s: float) -> dict[str, Any]:
        first, final = [], []
        for i, query in enumerate(queries):
            await asyncio.sleep(think_s)  # a person reading results: the server's idle time
            token = f"{label}-{i}"
            sent = time.perf_counter()
            await client.protocol.send_request_async(
                "codesift/search", {"query": query, "limit": 10, "partialResultToken": token})
            done = time.perf_counter()
            arrivals = client.arrivals.get(token, [])
            first.append(((arrivals[0][0] if arrivals else done) - sent) * 1000)
            final.append((done - sent) * 1000)
        return {"first_p50": pct(first, 50), "first_p95": pct(first, 95),
                "final_p50": pct(final, 50), "final_p95": pct(final, 95), "n": len(first)}

    cold = await run_pass("cold", args.think_ms / 1000)
    await asyncio.sleep(3.0)
    warm = await run_pass("warm", 0.0)

    # hover over identifiers in one file
    doc_path = root / "http" / "client.py"
    source = doc_path.read_text()
    doc_uri = doc_path.as_uri()
    client.text_document_did_open(t.DidOpenTextDocumentParams(
        t.TextDocumentItem(uri=doc_uri, language_id="python", version=1, text=source)))
    lines = source.split("\n")
    spots = [(i, m.start()) for i, line in enumerate(lines)
             for m in re.finditer(r"self\.(\w+)\(", line)][: args.hovers]
    hovers = []
    for line, col in spots:
        sent = time.perf_counter()
        await client.text_document_hover_async(t.HoverParams(
            t.TextDocumentIdentifier(doc_uri), t.Position(line, col + 6)))
        hovers.append((time.perf_counter() - sent) * 1000)

    async def searchable(name: str, timeout: float = 10.0) -> float:
        began = time.perf_counter()
        while time.perf_counter() - began < timeout:
            result = await client.protocol.send_request_async(
                "codesift/search", {"query": name, "limit": 3})
            if any(h["symbol"] == name for h in result["results"]):
                return (time.perf_counter() - began) * 1000
        return float("nan")

    saved, unsaved = [], []
    for i in range(args.edits):
        name = f"bench_saved_function_{i}"
        target = root / "textwrap.py"
        began = time.perf_counter()
        with target.open("a") as fh:
            fh.write(f"\n\ndef {name}():\n    return {i}\n")
        wait = await searchable(name)
        saved.append((time.perf_counter() - began) * 1000 if wait == wait else wait)
        name = f"bench_unsaved_function_{i}"
        source += f"\n\ndef {name}():\n    return {i}\n"
        began = time.perf_counter()
        client.text_document_did_change(t.DidChangeTextDocumentParams(
            t.VersionedTextDocumentIdentifier(uri=doc_uri, version=i + 2),
            [t.TextDocumentContentChangeWholeDocument(text=source)]))
        await searchable(name)
        unsaved.append((time.perf_counter() - began) * 1000)

    await asyncio.sleep(2.0)
    status = await client.protocol.send_request_async("codesift/status", {})
    pid = client._server.pid  # type: ignore[attr-defined]
    rss_kb = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text()
                  .splitlines() if line.startswith("VmRSS"))
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return {
        "machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "corpus_files": status["roots"][0]["files"], "index_s": index_s,
        "search_cold_caches": cold, "search_repeated": warm,
        "hover_p50": pct(hovers, 50), "hover_p95": pct(hovers, 95), "hovers": len(hovers),
        "saved_change_p50": pct(saved, 50), "saved_change_max": max(saved),
        "unsaved_edit_p50": pct(unsaved, 50), "unsaved_edit_max": max(unsaved),
        "idle_rss_mb": rss_kb / 1024, "models": status["models"],
        "latency_ms_server": status["latency_ms"],
    }


def render(r: dict[str, Any]) -> str:
    c, w = r["search_cold_caches"], r["search_repeated"]
    return "\n".join([
        f"Corpus: {r['corpus_files']} files, indexed by the server in {r['index_s']:.1f} s; "
        f"{c['n']} hand-written questions; models {', '.join(r['models'].values())}.",
        "",
        "| measure | result | target |",
        "|---|---|---|",
        f"| first snapshot p50 / p95 (cold caches) | {c['first_p50']:.0f} / {c['first_p95']:.0f} ms"
        " | p50 <= 50 ms |",
        f"| final snapshot p50 / p95 (cold caches) | {c['final_p50']:.0f} / {c['final_p95']:.0f} ms"
        " | p50 <= 300 ms |",
        f"| first / final snapshot p50, repeated queries | {w['first_p50']:.0f} / "
        f"{w['final_p50']:.0f} ms | |",
        f"| hover p50 / p95 ({r['hovers']} hovers) | {r['hover_p50']:.0f} / "
        f"{r['hover_p95']:.0f} ms | p95 <= 300 ms |",
        f"| saved change searchable, p50 / max | {r['saved_change_p50']:.0f} / "
        f"{r['saved_change_max']:.0f} ms | <= 200 ms |",
        f"| unsaved edit searchable, p50 / max | {r['unsaved_edit_p50']:.0f} / "
        f"{r['unsaved_edit_max']:.0f} ms | <= 50 ms |",
        f"| idle memory (RSS), models loaded | {r['idle_rss_mb']:.0f} MB | <= 400 MB |",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--hovers", type=int, default=30)
    parser.add_argument("--edits", type=int, default=10)
    parser.add_argument("--think-ms", type=float, default=1000.0,
                        help="pause before each first-pass query (idle time for prefetch)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    report = asyncio.run(main_async(args))
    print(render(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
