"""Rebuild a trainable bi-encoder from a shipped int8 ONNX light model.

The float checkpoint a shipped model was exported from is not kept in the repository;
training can still continue from the shipped file: every int8 weight times its scale
(minus its zero point) is the float weight to within half a quantization step, which a
few steps of fine-tuning absorb. The graph keeps the names of biases and LayerNorms; a
MatMul weight is named by the bias its product is added to.

    python -m training.dequantize --onnx server/codesift/models/codesift-bi-l6/model.onnx \
        --out WORK/light-start

``--out`` is a sentence-transformers folder (the base model's config, tokenizer and
pooling, the dequantized weights) for ``train_light --init``. Needs the ``train`` extra.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

PREFIX = "inner."  # export_biencoder wraps the transformer as ``inner``


def _dequantized(inits: dict[str, onnx.TensorProto], base: str) -> np.ndarray:
    values = numpy_helper.to_array(inits[base + "_quantized"]).astype(np.float32)
    scale = numpy_helper.to_array(inits[base + "_scale"]).astype(np.float32)
    zero = numpy_helper.to_array(inits[base + "_zero_point"]).astype(np.float32)
    return (values - zero) * scale


def _consumers(model: onnx.ModelProto) -> dict[str, list[onnx.NodeProto]]:
    """The nodes reading each tensor, by tensor name."""
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for node in model.graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    return consumers


def _bias_after(consumers: dict[str, list[onnx.NodeProto]], start: str, inits: dict) -> str:
    """The bias initializer added to the product that ``start`` (a MatMulInteger's
    weight) takes part in, following the single chain of consumers."""
    frontier = start
    for _ in range(8):
        nodes = consumers.get(frontier, [])
        if len(nodes) != 1:
            break
        node = nodes[0]
        if node.op_type == "Add":
            bias = [n for n in node.input if n in inits and n.endswith(".bias")]
            if bias:
                return bias[0]
        frontier = node.output[0]
    raise ValueError(f"no bias found after {start}")


def float_weights(path: Path) -> dict[str, np.ndarray]:
    """Every weight of the model as float32, named as in the transformers BertModel."""
    model = onnx.load(str(path))
    inits = {t.name: t for t in model.graph.initializer}
    consumers = _consumers(model)
    weights: dict[str, np.ndarray] = {}
    for name, tensor in inits.items():
        if tensor.data_type == onnx.TensorProto.FLOAT and name.startswith(PREFIX) \
                and not name.endswith("_scale"):
            weights[name[len(PREFIX):]] = numpy_helper.to_array(tensor)
    for name in inits:
        if not name.endswith("_quantized"):
            continue
        base = name.removesuffix("_quantized")
        if base.startswith(PREFIX):  # an embedding table (Gather)
            weights[base[len(PREFIX):]] = _dequantized(inits, base)
            continue
        bias = _bias_after(consumers, name, inits)
        # ONNX multiplies x @ W; torch's Linear keeps W transposed
        weights[bias[len(PREFIX):].removesuffix(".bias") + ".weight"] = \
            _dequantized(inits, base).T.copy()
    return weights


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--onnx", type=Path, required=True, help="the int8 model.onnx")
    parser.add_argument("--out", type=Path, required=True, help="sentence-transformers folder")
    args = parser.parse_args(argv)

    import torch
    from sentence_transformers import SentenceTransformer

    from .train_light import unpack_base

    weights = float_weights(args.onnx)
    model = SentenceTransformer(str(unpack_base(args.out.with_name(args.out.name + ".base"))),
                                device="cpu")
    bert = model[0].auto_model
    state = bert.state_dict()
    # the pooler is unused (mean pooling) and not exported: it keeps the base weights
    missing = [k for k in state if k not in weights
               and "position_ids" not in k and not k.startswith("pooler.")]
    if missing:
        print(f"not in the ONNX model: {missing}", file=sys.stderr)
        return 1
    loaded = {k: torch.from_numpy(weights[k]).reshape(v.shape) for k, v in state.items()
              if k in weights}
    bert.load_state_dict(loaded, strict=False)
    model.save(str(args.out))
    print(f"{len(loaded)} tensors from {args.onnx} -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
