"""Background-embedding benchmark: drives ``codesift serve`` over stdio like an editor.

On a copy of the running Python's standard library (or, with ``--root``, of any folder),
with default settings and the shipped models, and ``XDG_CACHE_HOME`` inside a temporary
folder (no user cache is touched), it measures:

1. the time from ``initialize`` until indexing is done, then until background embedding
   (the light model over every chunk) reports done, with done/total, RSS and the
   server's CPU time sampled along the way (from /proc);
2. while embedding runs, one natural-language ``codesift/search`` every few seconds:
   how long until its first snapshot and its answer, and how long it queued behind the
   embedder (client latency minus the server's own ``timings_ms.total``); the same after
   embedding, on queries not asked before. The probes are docstring queries
   (bench/data/stdlib_docstrings.jsonl): asking the hand-written questions here would
   put their scores in the persisted score cache and flatter step 3;
3. after embedding, the 204 hand-written stdlib questions one at a time: the share of
   searches whose final result ran both model stages over the whole pool (nothing
   unscored), first and final snapshot latency, and the idle RSS at the end.

``--max-minutes`` caps the whole run: the embedding wait stops early enough for step 3
and the report says how far embedding got. Prints Markdown; ``--json PATH`` writes the
numbers.

    .venv/bin/python -m bench.lsp_embedding [--root DIR] [--max-minutes 30] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import shutil
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol import types as t
from pygls.lsp.client import LanguageClient

from codesift.lsp.server import plain_json_converter

from .engine import copy_tree, machine

DATA = Path(__file__).resolve().parent / "data"
FINISHED = {"done", "off", "too large", "failed"}
TICK = os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def queries(name: str) -> list[str]:
    return [json.loads(line)["query"] for line in (DATA / name).read_text().splitlines()]


class Proc:
    """The server process as /proc shows it."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def mb(self, key: str = "VmRSS") -> float:
        """VmRSS (resident now) or VmHWM (resident at peak), in MB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


class BenchClient(LanguageClient):
    def __init__(self) -> None:
        super().__init__("codesift-bench", "1", converter_factory=plain_json_converter)
        self.arrivals: dict[Any, list[tuple[float, str]]] = {}
        self.embed_events: list[dict[str, Any]] = []
        self.messages: list[str] = []
        self.stderr: collections.deque[str] = collections.deque(maxlen=40)
        self.stderr_lines = 0
        self.t0 = time.perf_counter()


def make_client() -> BenchClient:
    client = BenchClient()

    @client.feature(t.PROGRESS)
    def on_progress(ls: BenchClient, params: t.ProgressParams) -> None:
        value, now = params.value, time.perf_counter()
        if isinstance(value, dict) and "stage" in value:
            ls.arrivals.setdefault(params.token, []).append((now, value["stage"]))
        elif isinstance(value, dict) and "embed" in str(params.token):
            ls.embed_events.append({"s": round(now - ls.t0, 2), "kind": value.get("kind"),
                                    "message": value.get("message")})

    @client.feature(t.WINDOW_WORK_DONE_PROGRESS_CREATE)
    def on_create(ls: BenchClient, params: Any) -> None:
        return None

    def on_message(ls: BenchClient, params: Any) -> None:
        ls.messages.append(str(params.get("message") if isinstance(params, dict) else params))

    client.feature(t.WINDOW_LOG_MESSAGE)(on_message)
    client.feature(t.WINDOW_SHOW_MESSAGE)(on_message)
    return client


async def drain_stderr(client: BenchClient) -> None:
    """Read the server's stderr (a full pipe would block its logging)."""
    stream = client._server.stderr  # type: ignore[attr-defined]
    while line := await stream.readline():
        client.stderr_lines += 1
        client.stderr.append(line.decode(errors="replace").rstrip())


async def status(client: BenchClient) -> dict[str, Any]:
    return await client.protocol.send_request_async("codesift/status", {})


def stage_outcome(stages: list[dict[str, Any]]) -> str:
    """What the model stages did for one final result, in a few words."""
    by = {s["name"]: s for s in stages}

    def why(stage: dict[str, Any]) -> str:
        return str(stage.get("reason", "?")).split(":")[0].split("(")[0].strip()[:60]

    light, heavy = by.get("light", {}), by.get("heavy", {})
    if not light.get("ran"):
        return f"light not run: {why(light)}"
    if light.get("unscored"):
        return "light partial (budget)"
    if not heavy.get("ran"):
        return f"heavy not run: {why(heavy)}"
    return "heavy partial (budget)" if heavy.get("unscored") else "both stages, full pool"


async def search(client: BenchClient, query: str, token: str) -> dict[str, Any]:
    sent = time.perf_counter()
    result = await client.protocol.send_request_async(
        "codesift/search", {"query": query, "limit": 10, "partialResultToken": token})
    done = time.perf_counter()
    arrivals = client.arrivals.pop(token, [])
    final_ms = (done - sent) * 1000
    server_ms = float(result.get("timings_ms", {}).get("total", 0.0))
    return {"first_ms": ((arrivals[0][0] if arrivals else done) - sent) * 1000,
            "final_ms": final_ms, "wait_ms": max(0.0, final_ms - server_ms),
            "outcome": stage_outcome(result.get("stages", [])),
            "server_ms": result.get("timings_ms", {}),
            "stages": [{k: v for k, v in st.items() if k != "root"}
                       for st in result.get("stages", [])]}


def summary(samples: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"n": len(samples)}
    for key in ("first_ms", "final_ms", "wait_ms"):
        values = [s[key] for s in samples]
        out[key] = {"p50": pct(values, 50), "p95": pct(values, 95),
                    "max": max(values, default=float("nan"))}
    outcomes = collections.Counter(s["outcome"] for s in samples)
    out["outcomes"] = dict(outcomes.most_common())
    out["both_full_share"] = (outcomes["both stages, full pool"] / len(samples)
                              if samples else float("nan"))
    return out


async def wait_indexed(client: BenchClient, started: float, deadline: float) -> float:
    while time.perf_counter() < deadline:
        roots = (await status(client))["roots"]
        if roots and not roots[0]["indexing"] and roots[0]["files"] > 0:
            return time.perf_counter() - started
        await asyncio.sleep(0.2)
    raise RuntimeError("indexing did not finish within --max-minutes")


async def probe_loop(client: BenchClient, texts: list[str], every: float,
                     stop: asyncio.Event, out: list[dict[str, Any]],
                     embedding: dict[str, Any]) -> None:
    """One search every ``every`` seconds until ``stop``; each sample notes how far the
    embedding was when it was sent."""
    i = 0
    while not stop.is_set() and i < len(texts):
        at = dict(embedding)
        sample = await search(client, texts[i], f"probe-{i}")
        out.append({**sample, "embedded": at.get("done"), "state": at.get("state")})
        i += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)


async def wait_embedded(client: BenchClient, proc: Proc, texts: list[str],
                        args: argparse.Namespace, deadline: float) -> dict[str, Any]:
    """Poll status until embedding finishes (or the deadline), probing meanwhile."""
    began = time.perf_counter()
    embedding: dict[str, Any] = {"state": "waiting"}
    probes: list[dict[str, Any]] = []
    stop = asyncio.Event()
    task = asyncio.create_task(probe_loop(client, texts, args.probe_every, stop, probes,
                                          embedding))
    timeline: list[dict[str, Any]] = []
    running_at = last_sample = None
    while True:
        now = time.perf_counter()
        embedding.update((await status(client))["roots"][0]["embedding"])
        if running_at is None and embedding["state"] == "running":
            running_at = now - began
        finished = embedding["state"] in FINISHED or now >= deadline
        if last_sample is None or now - last_sample >= args.sample_every or finished:
            last_sample = now
            timeline.append({"s": round(now - began, 1), "state": embedding["state"],
                             "done": embedding.get("done"), "total": embedding.get("total"),
                             "rss_mb": round(proc.mb()), "cpu_s": round(proc.cpu_s(), 1)})
        if finished:
            break
        await asyncio.sleep(args.poll_every)
    stop.set()
    await task
    return {"state": embedding["state"], "done": embedding.get("done"),
            "total": embedding.get("total"), "seconds": time.perf_counter() - began,
            "running_after_s": running_at, "timeline": timeline, "probes": probes,
            "timed_out": embedding["state"] not in FINISHED}


async def run_questions(client: BenchClient, texts: list[str], pause: float, label: str,
                        deadline: float) -> list[dict[str, Any]]:
    samples = []
    for i, query in enumerate(texts):
        if time.perf_counter() >= deadline:
            break
        await asyncio.sleep(pause)  # a person reading results: the server's idle time
        samples.append(await search(client, query, f"{label}-{i}"))
    return samples


def prepare(args: argparse.Namespace, scratch: Path) -> Path:
    root = scratch / "ws"
    if args.root is not None:
        copy_tree(args.root.resolve(), root, False)
    else:
        copy_tree(Path(sysconfig.get_paths()["stdlib"]), root, True)
    os.environ["XDG_CACHE_HOME"] = str(scratch / "cache")  # inherited by the server
    return root


async def start(client: BenchClient, root: Path) -> Proc:
    await client.start_io(sys.executable, "-m", "codesift", "serve")
    client.drain = asyncio.create_task(drain_stderr(client))  # type: ignore[attr-defined]
    await client.initialize_async(t.InitializeParams(
        capabilities=t.ClientCapabilities(window=t.WindowClientCapabilities(
            work_done_progress=True)),
        workspace_folders=[t.WorkspaceFolder(root.as_uri(), root.name)]))
    client.initialized(t.InitializedParams())
    return Proc(client._server.pid)  # type: ignore[attr-defined]


async def stop(client: BenchClient) -> None:
    try:
        await asyncio.wait_for(client.shutdown_async(None), 60)
        client.exit(None)
        await asyncio.wait_for(client.stop(), 30)
    except Exception as exc:  # a timeout or a dead pipe: say so, then kill
        print(f"server did not stop cleanly ({type(exc).__name__}); killed", file=sys.stderr)
        client._server.kill()  # type: ignore[attr-defined]


async def measure(args: argparse.Namespace, scratch: Path, began: float) -> dict[str, Any]:
    hard = began + args.max_minutes * 60
    root = prepare(args, scratch)
    client = make_client()
    started = client.t0 = time.perf_counter()
    proc = await start(client, root)
    index_s = await wait_indexed(client, started, hard)
    cpu_indexed = proc.cpu_s()
    probes = queries("stdlib_docstrings.jsonl")
    after_n = min(args.after_probes, len(probes) // 2)
    reserve = min(args.reserve_minutes * 60, args.max_minutes * 15)
    embed = await wait_embedded(client, proc, probes[after_n:], args, hard - reserve)
    cpu_embedded, peak_embedding = proc.cpu_s(), proc.mb("VmHWM")
    after = await run_questions(client, probes[:after_n], 1.0, "after", hard)
    asked = queries("stdlib_questions.jsonl")
    questions = await run_questions(client, asked, args.pause_ms / 1000, "question", hard)
    await asyncio.sleep(3.0)
    idle_rss, peak_rss, cpu_end = proc.mb(), proc.mb("VmHWM"), proc.cpu_s()
    last = await status(client)
    await stop(client)
    state = last["roots"][0]
    return {
        "root": "stdlib copy" if args.root is None else str(args.root),
        "files": state["files"], "chunks": state["chunks"], "index_s": index_s,
        "embedding": {k: v for k, v in embed.items() if k != "probes"},
        "embedding_at_end": state["embedding"],
        "cpu_s": {"indexing": cpu_indexed, "embedding": cpu_embedded - cpu_indexed,
                  "total": cpu_end},
        "during": summary(embed["probes"]), "during_samples": embed["probes"],
        "after": summary(after), "questions": summary(questions),
        "question_samples": questions,
        "questions_asked": f"{len(questions)}/{len(asked)}",
        "idle_rss_mb": idle_rss, "peak_rss_mb": peak_rss, "models": last["models"],
        "peak_rss_mb_until_embedded": peak_embedding,
        "embed_progress_events": len(client.embed_events),
        "embed_progress_last": client.embed_events[-3:],
        "messages": client.messages[-20:], "stderr_lines": client.stderr_lines,
        "stderr_tail": list(client.stderr)[-15:],
    }


def lat(s: dict[str, Any], key: str, with_max: bool = False) -> str:
    v = s[key]
    text = f"{v['p50']:.0f} / {v['p95']:.0f}"
    return text + (f" / {v['max']:.0f}" if with_max else "") + " ms"


def render(r: dict[str, Any]) -> str:
    e, d, a, q = r["embedding"], r["during"], r["after"], r["questions"]
    rate = (e["done"] or 0) / e["seconds"] if e["seconds"] else 0.0
    m = r["machine"]
    lines = [
        f"Corpus: {r['root']}, {r['files']:,} files, {r['chunks']:,} chunks; models "
        f"{', '.join(r['models'].values())}. Machine: {m['cpus']} CPUs ({m['cpu_model']}), "
        f"shared; load average {r['load_before']:.2f} before, {r['load_after']:.2f} after.",
        "",
        "| measure | result | target |",
        "|---|---|---|",
        f"| indexing (initialize → indexed) | {r['index_s']:.1f} s, server CPU "
        f"{r['cpu_s']['indexing']:.0f} s | |",
        f"| background embedding (indexed → {e['state']}) | {e['seconds']:.0f} s, "
        f"{e['done'] or 0:,}/{e['total'] or 0:,} chunks ({rate:.0f}/s), server CPU "
        f"{r['cpu_s']['embedding']:.0f} s{' — STOPPED BY --max-minutes' * e['timed_out']} | |",
        f"| first snapshot during embedding p50 / p95 / max ({d['n']} searches) | "
        f"{lat(d, 'first_ms', True)} | |",
        f"| queued behind the embedder p50 / p95 / max | {lat(d, 'wait_ms', True)} "
        "| <= 100 ms |",
        f"| final snapshot during embedding p50 / p95 | {lat(d, 'final_ms')} | |",
        f"| same probes after embedding: first / final p50 ({a['n']}) | "
        f"{a['first_ms']['p50']:.0f} / {a['final_ms']['p50']:.0f} ms, queued "
        f"{a['wait_ms']['p50']:.0f} ms | |",
        f"| questions: both stages over the full pool ({q['n']} searches) | "
        f"{100 * q['both_full_share']:.1f}% | >= 95% |",
        f"| questions: final snapshot p50 / p95 | {lat(q, 'final_ms')} | p50 <= 300 ms |",
        f"| questions: first snapshot p50 / p95 | {lat(q, 'first_ms')} | p50 <= 50 ms |",
        f"| idle memory (RSS) at the end / peak (VmHWM) until embedded / overall | "
        f"{r['idle_rss_mb']:.0f} / {r['peak_rss_mb_until_embedded']:.0f} / "
        f"{r['peak_rss_mb']:.0f} MB | <= 400 MB |",
        "", "Queued = client latency minus the server's own `timings_ms.total`; it includes "
        f"transport and JSON ({a['wait_ms']['p50']:.0f} ms p50 once embedding is done).",
        *(["", "**Embedding was not finished: the later probes and the questions ran while "
           "it continued.**"] if e["timed_out"] else []),
        "", "Final stage outcomes (questions / probes during embedding):", "",
        "| outcome | questions | during embedding |", "|---|---|---|",
    ]
    for name in sorted(set(q["outcomes"]) | set(d["outcomes"])):
        lines.append(f"| {name} | {q['outcomes'].get(name, 0)} | {d['outcomes'].get(name, 0)} |")
    lines += ["", "Embedding progress:", "", "| s | state | done / total | RSS MB | CPU s |",
              "|---|---|---|---|---|"]
    lines += [f"| {p['s']:.0f} | {p['state']} | {p['done'] or 0:,} / {p['total'] or 0:,} | "
              f"{p['rss_mb']} | {p['cpu_s']} |" for p in e["timeline"]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, help="benchmark a copy of this folder")
    parser.add_argument("--max-minutes", type=float, default=30.0)
    parser.add_argument("--reserve-minutes", type=float, default=5.0,
                        help="kept for the questions when embedding is slow")
    parser.add_argument("--probe-every", type=float, default=5.0)
    parser.add_argument("--poll-every", type=float, default=2.0)
    parser.add_argument("--sample-every", type=float, default=30.0)
    parser.add_argument("--after-probes", type=int, default=30)
    parser.add_argument("--pause-ms", type=float, default=300.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    began = time.perf_counter()
    load_before = os.getloadavg()[0]
    scratch = Path(tempfile.mkdtemp(prefix="codesift-embed-bench-"))
    try:
        report = asyncio.run(measure(args, scratch, began))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    report.update(machine=machine(), load_before=load_before,
                  load_after=os.getloadavg()[0], wall_s=time.perf_counter() - began)
    print(render(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
