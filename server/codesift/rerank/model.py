"""Finding and describing reranking models.

A model is named by a shipped model's name (a folder under ``codesift/models``), a
path to a model folder, or — only with the sentence-transformers extra and
``allow_download`` — a Hugging Face model id. A codesift model folder holds
``model.onnx``, ``tokenizer.json`` and ``codesift-model.json`` (ModelSpec).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import dacite

from ..errors import ModelError

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
SPEC_FILE = "codesift-model.json"

Kind = Literal["bi-encoder", "cross-encoder"]



@dataclass(frozen=True)
class ModelSpec:
    """What ``codesift-model.json`` says about an ONNX model folder."""

    id: str
    kind: Kind
    max_length: int = 256
    inputs: dict[str, str] = field(default_factory=lambda: {
        "input_ids": "input_ids", "attention_mask": "attention_mask",
        "token_type_ids": "token_type_ids"})
    # bi-encoder: last_hidden_state (pooled here) or sentence_embedding; cross: logits
    output: str = "last_hidden_state"
    pooling: Literal["mean", "cls"] = "mean"
    normalize: bool = True
    quantization: str = "fp32"
    query_prefix: str = ""
    document_prefix: str = ""
    base_model: str = ""
    license: str = ""


@dataclass(frozen=True)
class ModelRef:
    """A resolved model reference: an ONNX folder, or a sentence-transformers name."""

    name: str
    backend: Literal["onnx", "sentence-transformers"]
    path: Path | None


def load_spec(folder: Path) -> ModelSpec:
    spec_path = folder / SPEC_FILE
    try:
        data = json.loads(spec_path.read_text(encoding="utf-8"))
        spec = dacite.from_dict(ModelSpec, data, config=dacite.Config(strict=False))
    except FileNotFoundError:
        raise ModelError(f"{spec_path}: missing; a codesift model folder needs "
                         f"{SPEC_FILE}, model.onnx and tokenizer.json") from None
    except (OSError, ValueError, dacite.DaciteError) as exc:
        raise ModelError(f"{spec_path}: unreadable model description ({exc}); "
                         "restore the file or point the setting at another model") from None
    if spec.kind not in ("bi-encoder", "cross-encoder"):
        raise ModelError(f"{spec_path}: unknown kind {spec.kind!r} "
                         "(expected bi-encoder or cross-encoder)")
    return spec


def resolve_model(ref: str, allow_download: bool = False) -> ModelRef:
    """Turn a setting value into a model location, without loading anything."""
    shipped = MODELS_DIR / ref
    if "/" not in ref and "\\" not in ref and shipped.is_dir():
        return ModelRef(ref, "onnx", shipped)
    path = Path(ref).expanduser()
    if path.is_dir():
        if (path / SPEC_FILE).is_file() or (path / "model.onnx").is_file():
            return ModelRef(str(path), "onnx", path.resolve())
        return ModelRef(str(path), "sentence-transformers", path.resolve())
    if path.is_absolute() or ref.startswith((".", "~")) or path.suffix:
        raise ModelError(f"{ref}: model folder not found; check the path, or use a shipped "
                         f"model ({', '.join(shipped_models()) or 'none installed'})")
    if "/" in ref and allow_download:
        return ModelRef(ref, "sentence-transformers", None)
    if "/" in ref:
        raise ModelError(f"{ref}: not a local folder; to fetch it from the Hugging Face hub "
                         "install codesift[transformers] and set rerank.allow_download = true")
    raise ModelError(f"{ref}: no such shipped model (shipped: "
                     f"{', '.join(shipped_models()) or 'none'}); give a model folder instead")


def shipped_models() -> list[str]:
    if not MODELS_DIR.is_dir():
        return []
    return sorted(p.name for p in MODELS_DIR.iterdir() if (p / SPEC_FILE).is_file())
