"""The default model runtime: onnxruntime + tokenizers + numpy, no torch.

One InferenceSession per model folder, created once and reused. Inputs are
batched by length so padding stays small; ``cancel`` is polled between batches.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from ..errors import Cancelled, ModelError
from .model import ModelSpec, load_spec
from .stages import CancelCheck


def default_threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def _load_tokenizer(path: Path) -> Tokenizer:
    try:
        return Tokenizer.from_file(str(path))
    except FileNotFoundError:
        raise ModelError(f"{path}: missing; the model folder needs its tokenizer.json "
                         "(re-export or reinstall the model)") from None
    except Exception as exc:  # tokenizers raises a bare Exception on bad JSON
        raise ModelError(f"{path}: not a valid tokenizer file ({exc}); "
                         "re-export or reinstall the model") from None


class OnnxModel:
    """A model folder loaded into onnxruntime, with its tokenizer."""

    def __init__(self, folder: Path, threads: int = 0, batch_size: int = 16,
                 max_length: int = 0):
        self.folder = folder
        self.spec: ModelSpec = load_spec(folder)
        if max_length > 0:
            self.spec = dataclasses.replace(self.spec, max_length=max_length)
        self.batch_size = max(1, batch_size)
        model_path = folder / "model.onnx"
        if not model_path.is_file():
            raise ModelError(f"{model_path}: missing; reinstall codesift or re-export the "
                             "model (see training/README.md)")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or default_threads()
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        # no busy-waiting between calls: a pool's threads spinning after one model's call
        # took the cores from the next stage's model and from the server's own threads (the
        # stdlib in the language server: both stages on 73% -> 93% of questions, final p50
        # 357 -> 321 ms; background embedding 955 -> 1,177 s, docs/BENCHMARKS.md)
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # the arena keeps peak activation memory (~250 MB at batch 16 x 256 tokens) forever
        options.enable_cpu_mem_arena = False
        try:
            self.session = ort.InferenceSession(str(model_path), options,
                                                providers=["CPUExecutionProvider"])
        except Exception as exc:
            first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
            raise ModelError(f"{model_path}: onnxruntime cannot load it ({first}); the file "
                             "is corrupt or incompatible — reinstall codesift or re-export "
                             "the model") from None
        self._input_names = self._bind_inputs(model_path)
        outputs = [o.name for o in self.session.get_outputs()]
        self._output = self.spec.output if self.spec.output in outputs else outputs[0]
        self.tokenizer = _load_tokenizer(folder / "tokenizer.json")
        self.counter = _load_tokenizer(folder / "tokenizer.json")
        self.counter.no_truncation()
        self.counter.no_padding()
        pad_id = self.tokenizer.token_to_id("[PAD]")
        if pad_id is None:
            pad_id = self.tokenizer.token_to_id("<pad>") or 0
        self.tokenizer.enable_padding(pad_id=pad_id)
        strategy = "only_second" if self.spec.kind == "cross-encoder" else "longest_first"
        self.tokenizer.enable_truncation(self.spec.max_length, strategy=strategy)

    @property
    def id(self) -> str:
        return self.spec.id

    def _bind_inputs(self, model_path: Path) -> dict[str, str]:
        """Graph input name for each role (input_ids, attention_mask, token_type_ids)."""
        graph = {i.name for i in self.session.get_inputs()}
        bound: dict[str, str] = {}
        for role, name in self.spec.inputs.items():
            if name in graph:
                bound[role] = name
        unknown = graph - set(bound.values())
        if "input_ids" not in bound or unknown:
            raise ModelError(f"{model_path}: inputs {sorted(graph)} do not match "
                             f"codesift-model.json {self.spec.inputs}; fix the 'inputs' map")
        return bound

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Token counts without special tokens (for fitting text to the budget)."""
        return [len(e.ids) for e in self.counter.encode_batch(list(texts),
                                                              add_special_tokens=False)]

    def _run(self, encodings: list) -> np.ndarray:
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feed = {self._input_names["input_ids"]: ids}
        if "attention_mask" in self._input_names:
            feed[self._input_names["attention_mask"]] = mask
        if "token_type_ids" in self._input_names:
            feed[self._input_names["token_type_ids"]] = np.array(
                [e.type_ids for e in encodings], dtype=np.int64)
        try:
            out = self.session.run([self._output], feed)[0]
        except Exception as exc:
            raise ModelError(f"{self.folder / 'model.onnx'}: inference failed ({exc}); the "
                             "model does not fit codesift-model.json") from None
        if self.spec.kind == "cross-encoder":
            return _logit(out)
        return self._pool(out, mask)

    def _pool(self, out: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if out.ndim == 3:
            if self.spec.pooling == "cls":
                out = out[:, 0, :]
            else:
                weights = mask[:, :, None].astype(out.dtype)
                out = (out * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        out = out.astype(np.float32)
        if self.spec.normalize:
            out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out

    def run_batched(self, inputs: Sequence[str | tuple[str, str]],
                    cancel: CancelCheck | None = None) -> np.ndarray:
        """Model outputs for every input, in input order (batched by length)."""
        if not inputs:
            return np.zeros((0,), dtype=np.float32)
        lengths = [len(e.ids) for e in self.counter.encode_batch(list(inputs))]
        order = sorted(range(len(inputs)), key=lambda i: lengths[i])
        results: list[np.ndarray | None] = [None] * len(inputs)
        for begin in range(0, len(order), self.batch_size):
            if cancel is not None and cancel():
                raise Cancelled
            batch = order[begin : begin + self.batch_size]
            # re-encode the batch so it is padded to its own longest member only
            encoded = self.tokenizer.encode_batch([inputs[i] for i in batch])
            for i, row in zip(batch, self._run(encoded), strict=True):
                results[i] = row
        return np.stack([r for r in results if r is not None])


def _logit(out: np.ndarray) -> np.ndarray:
    out = np.asarray(out, dtype=np.float32)
    if out.ndim == 1:
        return out
    if out.shape[-1] == 1:
        return out[:, 0]
    return out[:, -1] - out[:, 0]  # two-class head: positive minus negative logit


class OnnxBiEncoder:
    """Embeds queries and documents separately; relevance is their dot product."""

    kind = "bi-encoder"

    def __init__(self, model: OnnxModel):
        self.model = model
        self.id = model.id

    def embed(self, texts: Sequence[str], cancel: CancelCheck | None = None,
              query: bool = False) -> np.ndarray:
        prefix = self.model.spec.query_prefix if query else self.model.spec.document_prefix
        return self.model.run_batched([prefix + t for t in texts], cancel)


class OnnxCrossEncoder:
    """Reads query and document together; one relevance logit per pair."""

    kind = "cross-encoder"

    def __init__(self, model: OnnxModel):
        self.model = model
        self.id = model.id

    def score(self, query: str, documents: Sequence[str],
              cancel: CancelCheck | None = None) -> np.ndarray:
        return self.model.run_batched([(query, d) for d in documents], cancel)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.model.count_tokens(texts)
