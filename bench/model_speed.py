"""Model speed at a given number of documents per call: the shipped light and heavy models.

The int8 models scale activations once per call, so documents run alone give vectors and
scores that do not depend on their batch-mates (``rerank.light_batch_size`` = 1) at some
cost in throughput; this measures that cost on this machine:

1. light model: documents per second over 25-line windows of the standard library;
2. heavy model: one call over 20 candidates (four questions, 2 warm-up and 10 timed runs
   each), p50 / p95 in milliseconds.

    .venv/bin/python -m bench.model_speed [--batches 1,8] [--windows 400] [--json PATH]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sysconfig
import time
from dataclasses import dataclass
from pathlib import Path

from codesift.config import RerankConfig
from codesift.rerank.model import resolve_model
from codesift.rerank.onnx import OnnxBiEncoder, OnnxCrossEncoder, OnnxModel

from .engine import machine, pct

QUESTIONS = (
    "parse command line options into a namespace",
    "why does my timestamp shift by an hour after the clocks change",
    "read one member of a zip archive without extracting everything",
    "retry a connection with a delay between attempts",
)


@dataclass(frozen=True)
class SpeedRow:
    batch: int  # documents per model call
    light_docs_per_s: float
    heavy_20_ms: dict[str, float]  # p50, p95


def stdlib_windows(count: int, lines: int = 25) -> list[str]:
    """Real code: consecutive windows of ``lines`` lines from standard-library modules."""
    root = Path(sysconfig.get_paths()["stdlib"])
    out: list[str] = []
    for path in sorted(root.glob("*.py")):
        text = path.read_text(encoding="utf-8", errors="replace").splitlines()
        for begin in range(0, len(text) - lines, lines * 4):
            window = "\n".join(text[begin : begin + lines]).strip()
            if window:
                out.append(window)
            if len(out) == count:
                return out
    return out


def folder(ref: str) -> Path:
    where = resolve_model(ref)
    assert where.path is not None, f"{ref} is not a shipped ONNX model"
    return where.path


def light_speed(config: RerankConfig, batch: int, windows: list[str]) -> float:
    """Documents per second for the light model at ``batch`` documents per call."""
    model = OnnxModel(folder(config.light_model), config.threads, batch,
                      config.light_max_length)
    encoder = OnnxBiEncoder(model)
    encoder.embed(windows[:16])  # warm-up
    started = time.perf_counter()
    encoder.embed(windows)
    return len(windows) / (time.perf_counter() - started)


def heavy_latency(config: RerankConfig, batch: int, windows: list[str]) -> dict[str, float]:
    """p50 / p95 of one heavy-stage call over 20 candidates."""
    model = OnnxModel(folder(config.heavy_model), config.threads, batch,
                      config.heavy_max_length)
    scorer = OnnxCrossEncoder(model)
    documents = [" ".join(w.split()[:120]) for w in windows[:20]]
    times: list[float] = []
    for question in QUESTIONS:
        for run in range(12):
            started = time.perf_counter()
            scorer.score(question, documents)
            if run >= 2:
                times.append((time.perf_counter() - started) * 1000.0)
    return {"p50": pct(times, 50), "p95": pct(times, 95)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", default="1,8", help="documents per call, comma-separated")
    parser.add_argument("--windows", type=int, default=400)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    config = RerankConfig()
    windows = stdlib_windows(args.windows)
    rows = [SpeedRow(batch, light_speed(config, batch, windows),
                     heavy_latency(config, batch, windows))
            for batch in (int(b) for b in args.batches.split(","))]
    m = machine()
    print(f"{m['cpus']} CPUs ({m['cpu_model']}), {len(windows)} windows, "
          f"threads {config.threads or 'auto'}\n")
    print("| documents per call | light: documents/s | heavy over 20: p50 / p95 ms |")
    print("|---|---|---|")
    for row in rows:
        heavy = row.heavy_20_ms
        print(f"| {row.batch} | {row.light_docs_per_s:.1f} | "
              f"{heavy['p50']:.0f} / {heavy['p95']:.0f} |")
    if args.json:
        report = {"machine": m, "rows": [dataclasses.asdict(r) for r in rows]}
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
