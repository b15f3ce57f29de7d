"""Make a dynamically quantized ONNX model score the same on every x86-64 CPU.

onnxruntime multiplies uint8 activations by int8 weights with an instruction that adds
pairs of products in 16 bits on CPUs without VNNI (AVX2, AVX-512 without VNNI): with
weights up to ±127 the sum (up to 2 × 255 × 127) saturates, and such a laptop ranks with
a different model than the one that was checked. Weights of at most ±64 (7 bits, what
``quantize_dynamic(reduce_range=True)`` gives) cannot saturate (2 × 255 × 64 < 2^15), and
run at the same speed. This halves the int8 weights of an already quantized model and
doubles their scales (one more rounding), for a model whose float weights are gone;
``export_cross.py`` quantizes with ``reduce_range`` from the start.

    python -m training.requantize MODEL.onnx [--out OUT.onnx]

Without ``--out`` the model is rewritten in place. Needs only ``onnx`` and numpy.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

SAFE = 64  # the largest |int8 weight| whose pair sums cannot saturate 16 bits


def signed_weights(model: onnx.ModelProto) -> dict[str, onnx.TensorProto]:
    """The int8 initializers that a MatMulInteger multiplies by, by name."""
    inits = {t.name: t for t in model.graph.initializer}
    found = {}
    for node in model.graph.node:
        tensor = inits.get(node.input[1]) if node.op_type == "MatMulInteger" else None
        if tensor is not None and tensor.data_type == onnx.TensorProto.INT8:
            found[tensor.name] = tensor
    return found


def saturating(model: onnx.ModelProto) -> list[str]:
    """Names of the int8 weights that can saturate on a CPU without VNNI."""
    return sorted(name for name, tensor in signed_weights(model).items()
                  if int(np.abs(numpy_helper.to_array(tensor).astype(np.int16)).max()) > SAFE)


def reduce_range(model: onnx.ModelProto) -> int:
    """Halve every saturating int8 weight (symmetric, zero point 0) and double its
    scale, in place; returns how many weights changed."""
    inits = {t.name: t for t in model.graph.initializer}
    names = saturating(model)
    for name in names:
        zero = inits.get(name.removesuffix("_quantized") + "_zero_point")
        if zero is not None and numpy_helper.to_array(zero).any():
            raise ValueError(f"{name}: asymmetric int8 weights are not handled")
        scale = inits[name.removesuffix("_quantized") + "_scale"]
        values = numpy_helper.to_array(inits[name]).astype(np.float32)
        halved = np.clip(np.round(values / 2), -SAFE, SAFE).astype(np.int8)
        inits[name].CopyFrom(numpy_helper.from_array(halved, name))
        scale.CopyFrom(numpy_helper.from_array(
            (numpy_helper.to_array(scale) * 2).astype(np.float32), scale.name))
    return len(names)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    model = onnx.load(str(args.model))
    changed = reduce_range(model)
    onnx.checker.check_model(model)
    onnx.save(model, str(args.out or args.model))
    print(f"{changed} int8 weights reduced to 7 bits")
    return 0


if __name__ == "__main__":
    sys.exit(main())
