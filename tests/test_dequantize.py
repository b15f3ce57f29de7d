"""Training can continue from a shipped int8 model: its weights come back as floats,
each under the name transformers gives it. Real quantized graphs, the real shipped model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic

from codesift.rerank.model import MODELS_DIR
from training.dequantize import float_weights

LINEAR = ("attention.self.query", "attention.self.key", "attention.self.value",
          "attention.output.dense", "intermediate.dense", "output.dense")


def test_weights_come_back_within_half_a_step_under_their_bias_name(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    weight = rng.normal(0.0, 0.3, (64, 32)).astype(np.float32)
    bias = rng.normal(0.0, 0.1, 32).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["xw"]),
         helper.make_node("Add", ["xw", "inner.layer.dense.bias"], ["y"])], "linear",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 32])],
        [numpy_helper.from_array(weight, "w"),
         numpy_helper.from_array(bias, "inner.layer.dense.bias")])
    fp32, int8 = tmp_path / "fp32.onnx", tmp_path / "int8.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(fp32))
    quantize_dynamic(str(fp32), str(int8), per_channel=True, weight_type=QuantType.QUInt8)
    got = float_weights(int8)
    assert set(got) == {"layer.dense.weight", "layer.dense.bias"}
    np.testing.assert_array_equal(got["layer.dense.bias"], bias)
    restored = got["layer.dense.weight"]
    assert restored.shape == (32, 64)  # torch's Linear layout: out x in
    step = (weight.max(axis=0) - weight.min(axis=0)) / 255
    assert np.all(np.abs(restored.T - weight) <= step / 2 + 1e-6)


def test_the_shipped_light_model_gives_every_bert_weight() -> None:
    weights = float_weights(MODELS_DIR / "codesift-bi-l6" / "model.onnx")
    for layer in range(6):
        for name in LINEAR:
            key = f"encoder.layer.{layer}.{name}.weight"
            rows = 1536 if name == "intermediate.dense" else 384
            cols = 1536 if name == "output.dense" else 384
            assert weights[key].shape == (rows, cols), key
    assert weights["embeddings.word_embeddings.weight"].shape == (30522, 384)
    query = weights["encoder.layer.0.attention.self.query.weight"]
    key = weights["encoder.layer.0.attention.self.key.weight"]
    assert not np.allclose(query, key)
    assert len(weights) == 6 * 16 + 5  # per layer 6 weights, 6 biases, 2 LayerNorms; embeddings
