"""``codesift --version``: the version and the models it ships, read without loading them."""

from __future__ import annotations

import json

from . import __version__
from .config import Config
from .rerank.model import MODELS_DIR, SPEC_FILE


def version_text() -> str:
    rerank = Config().rerank
    lines = [f"codesift {__version__}"]
    for stage, ref in (("light", rerank.light_model), ("heavy", rerank.heavy_model)):
        spec = MODELS_DIR / ref / SPEC_FILE
        try:
            model_id = json.loads(spec.read_text(encoding="utf-8"))["id"]
        except (OSError, ValueError, KeyError):
            model_id = "missing"
        lines.append(f"{stage} model: {ref} ({model_id})")
    retrieve = Config().retrieve
    lines.append(f"dense model: {retrieve.dense_model} (wordllama, static embeddings)")
    return "\n".join(lines)
