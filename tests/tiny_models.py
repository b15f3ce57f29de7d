"""Tiny but real reranking models, built and saved by the tests themselves.

A WordLevel tokenizer trained (by the tokenizers library) on the test corpus, and
ONNX graphs whose behaviour is easy to predict: the bi-encoder embeds text as its
mean one-hot token vector (so similarity is word overlap); the cross-encoder scores
a pair by the dot product of the query's and the document's token-count vectors.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers

INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def train_tokenizer(texts: list[str], vocab_size: int = 400) -> Tokenizer:
    tok = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.WordLevelTrainer(vocab_size=vocab_size,
                                        special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]"])
    tok.train_from_iterator(texts, trainer)
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    return tok


def _table(vocab: int) -> np.ndarray:
    table = np.eye(vocab, dtype=np.float32)
    table[:4] = 0.0  # special tokens carry no meaning
    return table


def _inputs() -> list:
    return [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "seq"])
            for n in INPUTS]


def bi_encoder_graph(vocab: int) -> onnx.ModelProto:
    nodes = [helper.make_node("Gather", ["table", "input_ids"], ["last_hidden_state"])]
    graph = helper.make_graph(
        nodes, "tiny_bi", _inputs(),
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT,
                                       ["batch", "seq", vocab])],
        [numpy_helper.from_array(_table(vocab), "table")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def cross_encoder_graph(vocab: int) -> onnx.ModelProto:
    one = numpy_helper.from_array(np.array(1.0, dtype=np.float32), "one")
    axes = numpy_helper.from_array(np.array([1], dtype=np.int64), "axes")
    last = numpy_helper.from_array(np.array([2], dtype=np.int64), "last")
    nodes = [
        helper.make_node("Gather", ["table", "input_ids"], ["emb"]),
        helper.make_node("Cast", ["attention_mask"], ["mask"], to=TensorProto.FLOAT),
        helper.make_node("Cast", ["token_type_ids"], ["types"], to=TensorProto.FLOAT),
        helper.make_node("Sub", ["one", "types"], ["is_a"]),
        helper.make_node("Mul", ["is_a", "mask"], ["mask_a"]),
        helper.make_node("Mul", ["types", "mask"], ["mask_b"]),
        helper.make_node("Unsqueeze", ["mask_a", "last"], ["mask_a3"]),
        helper.make_node("Unsqueeze", ["mask_b", "last"], ["mask_b3"]),
        helper.make_node("Mul", ["emb", "mask_a3"], ["emb_a"]),
        helper.make_node("Mul", ["emb", "mask_b3"], ["emb_b"]),
        helper.make_node("ReduceSum", ["emb_a", "axes"], ["bag_a"], keepdims=0),
        helper.make_node("ReduceSum", ["emb_b", "axes"], ["bag_b"], keepdims=0),
        helper.make_node("Mul", ["bag_a", "bag_b"], ["both"]),
        helper.make_node("ReduceSum", ["both", "axes"], ["logits"], keepdims=1),
    ]
    graph = helper.make_graph(
        nodes, "tiny_cross", _inputs(),
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 1])],
        [numpy_helper.from_array(_table(vocab), "table"), one, axes, last])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def save_model(folder: Path, tokenizer: Tokenizer, kind: str, max_length: int = 64) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    vocab = tokenizer.get_vocab_size()
    graph = bi_encoder_graph(vocab) if kind == "bi-encoder" else cross_encoder_graph(vocab)
    onnx.save(graph, str(folder / "model.onnx"))
    tokenizer.save(str(folder / "tokenizer.json"))
    spec = {"id": f"test/tiny-{kind}", "kind": kind, "max_length": max_length,
            "inputs": {n: n for n in INPUTS},
            "output": "last_hidden_state" if kind == "bi-encoder" else "logits",
            "pooling": "mean", "normalize": True, "quantization": "fp32"}
    (folder / "codesift-model.json").write_text(json.dumps(spec), encoding="utf-8")
    return folder


def reference_embedding(tokenizer: Tokenizer, text: str) -> np.ndarray:
    """What the tiny bi-encoder should output, computed in numpy."""
    ids = tokenizer.encode(text).ids
    table = _table(tokenizer.get_vocab_size())
    vector = table[ids].mean(axis=0)
    return vector / max(float(np.linalg.norm(vector)), 1e-12)
