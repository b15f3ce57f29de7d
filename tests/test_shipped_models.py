"""The shipped int8 models score the same on every x86-64 CPU.

onnxruntime's uint8 x int8 kernel on CPUs without VNNI adds pairs of products in 16 bits;
int8 weights above 64 in magnitude can saturate there, so a laptop would rank with a model
nobody measured. These tests read the real shipped models and a real quantized graph.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic

from codesift.rerank.model import MODELS_DIR
from training.requantize import SAFE, reduce_range, saturating, signed_weights

from .conftest import stdlib_heads

SHIPPED = sorted(MODELS_DIR.glob("*/model.onnx"))


def test_models_are_shipped() -> None:
    assert {path.parent.name for path in SHIPPED} >= {"codesift-bi-l6", "codesift-cross-l6"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.parent.name)
def test_shipped_int8_weights_cannot_saturate(path: Path) -> None:
    model = onnx.load(str(path))
    assert saturating(model) == []


def _quantized_matmul(tmp_path: Path) -> tuple[Path, np.ndarray, np.ndarray]:
    """A float MatMul (64 -> 32) quantized the way the exports did before: 8-bit weights."""
    rng = np.random.default_rng(7)
    weight = rng.normal(0.0, 0.5, (64, 32)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])], "matmul",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 32])],
        [numpy_helper.from_array(weight, "w")])
    fp32 = tmp_path / "fp32.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(fp32))
    int8 = tmp_path / "int8.onnx"
    quantize_dynamic(str(fp32), str(int8), per_channel=True, weight_type=QuantType.QInt8)
    inputs = rng.normal(0.0, 1.0, (16, 64)).astype(np.float32)
    return int8, inputs, inputs @ weight


def _run(model: onnx.ModelProto, inputs: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return np.asarray(session.run(None, {"x": inputs})[0])


def test_reduce_range_brings_weights_to_seven_bits_and_keeps_outputs(tmp_path: Path) -> None:
    int8, inputs, exact = _quantized_matmul(tmp_path)
    model = onnx.load(str(int8))
    assert saturating(model), "8-bit quantization should produce weights above 64"
    changed = reduce_range(model)
    assert changed == len(signed_weights(model)) == 1
    assert saturating(model) == []
    weights = numpy_helper.to_array(next(iter(signed_weights(model).values())))
    assert int(np.abs(weights.astype(np.int16)).max()) <= SAFE
    onnx.checker.check_model(model)
    out = _run(model, inputs)
    relative = np.abs(out - exact).mean() / np.abs(exact).mean()
    assert relative < 0.03
    assert reduce_range(model) == 0  # idempotent: nothing left to reduce


def test_light_vectors_do_not_depend_on_their_batch() -> None:
    """A chunk embedded in the background among others and the same chunk embedded by a
    search must get one vector, or an embedded index ranks differently from a fresh one."""
    from codesift.config import RerankConfig
    from codesift.rerank.scorers import BiEncoderScorer, ModelPool, onnx_runtime

    config = RerankConfig()
    scorer = ModelPool(config, None).for_stage("light", config.light_model)
    assert isinstance(scorer, BiEncoderScorer)
    texts = stdlib_heads(10, 600)  # real code, cut to different token counts
    together = scorer.encoder.embed(texts)
    alone = np.stack([scorer.encoder.embed([text])[0] for text in texts])
    np.testing.assert_array_equal(together, alone)

    # the control: run in batches of 8, the int8 model's vectors move with their batch
    batched = onnx_runtime(scorer.model.folder, config.threads, 8, scorer.model.spec.max_length)
    mixed = batched.run_batched(texts)
    assert not np.array_equal(mixed, alone)
