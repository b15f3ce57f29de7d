"""Export a cross-encoder trained by ``train.py`` as a codesift model folder (ONNX, int8).

Steps:

1. load the trained model (``<run>/final`` or ``--weights``);
2. export it to ONNX, opset 17, ``torch.onnx.export(..., dynamo=False)``: inputs
   ``input_ids``, ``attention_mask``, ``token_type_ids`` (int64, dynamic batch and
   sequence), output ``logits`` (``[batch, 1]``);
3. quantize the weights to int8 (``onnxruntime.quantization.quantize_dynamic``, per
   channel, signed 7-bit weights: ``reduce_range`` keeps the pair sums of CPUs without
   VNNI from saturating, see ``requantize.py``);
4. write ``model.onnx``, ``tokenizer.json`` (truncation at ``--max-length``, padding to
   the longest pair of a batch, never to a fixed length), ``codesift-model.json``;
5. check with onnxruntime + tokenizers + numpy only, the way codesift runs the model
   (pairs, truncation ``only_second``): fp32 ONNX against torch, and the ranking of the
   int8 model against the fp32 one on held-out groups (MRR of the positive, top-1
   agreement); measure the latency of scoring 20 candidates with two threads.

The report goes to ``<out>/../<name>-export.json`` unless ``--report`` says otherwise;
the exit status is non-zero when int8 loses more than ``--max-mrr-loss``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402

from .export_biencoder import write_tokenizer  # noqa: E402
from .train import BASE_MODEL, load_trained, unpack_base  # noqa: E402

INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT_NAME = "logits"
OPSET = 17
THREADS = 2


def export_fp32(model, dest: Path) -> None:  # type: ignore[no-untyped-def]
    import torch

    model.eval()
    input_ids = torch.tensor([[101, 7592, 2088, 102, 13366, 5587, 102, 0],
                              [101, 2131, 1037, 102, 13366, 1006, 1038, 102]],
                             dtype=torch.int64)
    attention_mask = (input_ids != 0).to(torch.int64)
    token_type_ids = torch.tensor([[0, 0, 0, 0, 1, 1, 1, 0], [0, 0, 0, 0, 1, 1, 1, 1]],
                                  dtype=torch.int64)
    dynamic = {name: {0: "batch", 1: "sequence"} for name in INPUT_NAMES}
    dynamic[OUTPUT_NAME] = {0: "batch"}
    with torch.no_grad():
        torch.onnx.export(model, (input_ids, attention_mask, token_type_ids), str(dest),
                          input_names=list(INPUT_NAMES), output_names=[OUTPUT_NAME],
                          dynamic_axes=dynamic, opset_version=OPSET,
                          do_constant_folding=True, dynamo=False)
    import onnx

    onnx.checker.check_model(str(dest))


class OnnxPairScorer:
    """What codesift does at run time for a cross-encoder."""

    def __init__(self, model: Path, tokenizer: Path, max_length: int) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = THREADS
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(model), opts,
                                            providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(tokenizer))
        self.tokenizer.enable_padding(pad_id=0)
        self.tokenizer.enable_truncation(max_length, strategy="only_second")

    def score(self, query: str, docs: list[str], batch: int = 16) -> np.ndarray:
        out = []
        for i in range(0, len(docs), batch):
            enc = self.tokenizer.encode_batch([(query, d) for d in docs[i:i + batch]])
            feed = {
                "input_ids": np.array([e.ids for e in enc], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in enc], dtype=np.int64),
            }
            out.append(self.session.run([OUTPUT_NAME], feed)[0][:, 0])
        return np.concatenate(out)


def ranking(scorer: OnnxPairScorer, groups: list[dict]) -> tuple[list[float], list[int]]:
    rr, top = [], []
    for g in groups:
        s = scorer.score(g["query"], g["texts"])
        rr.append(1.0 / (1 + int((s[1:] > s[0]).sum())))
        top.append(int(s.argmax()))
    return rr, top


def spec(name: str, max_length: int, meta: dict) -> dict:
    return {
        "id": f"codesift/{name}-int8", "kind": "cross-encoder", "max_length": max_length,
        "inputs": {n: n for n in INPUT_NAMES}, "output": OUTPUT_NAME,
        "quantization": "int8", "base_model": BASE_MODEL, "license": "Apache-2.0",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", type=Path, required=True, help="train.py --out folder")
    parser.add_argument("--weights", type=Path, default=None,
                        help="folder with model.pt + meta.json (default: <run>/final)")
    parser.add_argument("--out", type=Path, required=True, help="model folder to write")
    parser.add_argument("--name", default=None, help="model name (default: out's name)")
    parser.add_argument("--max-length", type=int, default=0,
                        help="token limit (default: the one the model was trained with)")
    parser.add_argument("--eval-groups", type=Path, default=None,
                        help="held-out groups (negatives.py --split eval) for the int8 check")
    parser.add_argument("--check-groups", type=int, default=400)
    parser.add_argument("--max-mrr-loss", type=float, default=0.01)
    parser.add_argument("--report", type=Path, default=None)
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(THREADS)
    weights = args.weights or args.run / "final"
    meta = json.loads((weights / "meta.json").read_text())
    max_length = args.max_length or meta["max_length"]
    name = args.name or args.out.name
    base = unpack_base(args.run / "base")
    model = load_trained(weights, base)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    report: dict = {"name": name, "weights": str(weights), "step": meta.get("step"),
                    "keep_layers": meta.get("keep_layers"), "max_length": max_length}

    with tempfile.TemporaryDirectory(prefix="codesift-cross-") as tmp_name:
        tmp = Path(tmp_name)
        fp32 = tmp / "model-fp32.onnx"
        print("exporting to ONNX")
        export_fp32(model, fp32)
        from onnxruntime.quantization import QuantType, quantize_dynamic

        print("quantizing (int8, per channel, 7-bit weights)")
        int8 = tmp / "model-int8.onnx"
        quantize_dynamic(str(fp32), str(int8), per_channel=True, reduce_range=True,
                         weight_type=QuantType.QInt8)
        tok = out / "tokenizer.json"
        report["packaged_tokenizer"] = write_tokenizer(base / "tokenizer.json", tok,
                                                       max_length, "OnlySecond")
        (out / "codesift-model.json").write_text(
            json.dumps(spec(name, max_length, meta), indent=2) + "\n", encoding="utf-8")
        shutil.copyfile(int8, out / "model.onnx")
        report["size_bytes"] = (out / "model.onnx").stat().st_size
        report["fp32_size_bytes"] = fp32.stat().st_size

        s32 = OnnxPairScorer(fp32, tok, max_length)
        s8 = OnnxPairScorer(out / "model.onnx", tok, max_length)
        # fp32 ONNX vs torch on a few pairs
        from transformers import AutoTokenizer

        hf = AutoTokenizer.from_pretrained(str(base))
        pairs = [("read a file line by line", "def readlines(path):\n    with open(path) as f:"
                  "\n        return f.read().split('\\n')"),
                 ("where do we retry failed http requests",
                  "client.py :: Session.send\ndef send(self, request, retries=3):\n"
                  "    for attempt in range(retries):\n        try:\n            return "
                  "self._send(request)\n        except OSError:\n            continue")]
        enc = hf([q for q, _ in pairs], [d for _, d in pairs], truncation="only_second",
                 max_length=max_length, padding=True, return_tensors="pt")
        with torch.no_grad():
            ref = model(enc["input_ids"], enc["attention_mask"],
                        enc["token_type_ids"])[:, 0].numpy()
        got = np.concatenate([s32.score(q, [d]) for q, d in pairs])
        report["fp32_vs_torch_max_abs"] = float(np.abs(ref - got).max())

        if args.eval_groups:
            groups = [json.loads(line) for line in args.eval_groups.open()][: args.check_groups]
            print(f"ranking check on {len(groups)} held-out groups")
            rr32, top32 = ranking(s32, groups)
            rr8, top8 = ranking(s8, groups)
            report["check_groups"] = len(groups)
            report["mrr_fp32"] = sum(rr32) / len(rr32)
            report["mrr_int8"] = sum(rr8) / len(rr8)
            same = sum(a == b for a, b in zip(top32, top8, strict=True))
            report["top1_agreement"] = same / len(top8)
            teacher = [g for g in groups if "teacher" in g]
            if teacher:
                report["mrr_teacher"] = sum(
                    1.0 / (1 + sum(x > g["teacher"][0] for x in g["teacher"][1:]))
                    for g in teacher) / len(teacher)
            # latency: 20 candidates, rendered for max_length, with two threads
            docs = [t for g in groups[:10] for t in g["texts"]][:20]
            q = groups[0]["query"]
            s8.score(q, docs)
            times = []
            for _ in range(15):
                t0 = time.perf_counter()
                s8.score(q, docs)
                times.append((time.perf_counter() - t0) * 1000)
            report["latency_20_ms_p50"] = statistics.median(times)
            report["latency_20_ms_p90"] = sorted(times)[int(0.9 * len(times))]

    path = args.report or out.parent / f"{name}-export.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    if "mrr_fp32" in report and report["mrr_fp32"] - report["mrr_int8"] > args.max_mrr_loss:
        print("CHECK FAILED: int8 loses more than --max-mrr-loss MRR", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
