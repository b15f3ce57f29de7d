"""Optional backend: any sentence-transformers CrossEncoder (``codesift[transformers]``).

For users who want a bigger model than the shipped ones. Offline unless the user
set ``rerank.allow_download``: without it, only files already on disk are used.
The import is deferred, so a default install never pays for torch.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import Cancelled, ModelError
from .stages import CancelCheck

ST_BATCH = 16


class SentenceTransformersCrossEncoder:
    """A CrossEncoder by hub id or local folder, scored in batches."""

    kind = "cross-encoder"

    def __init__(self, name: str, path: Path | None, allow_download: bool,
                 batch_size: int = ST_BATCH, max_length: int = 256):
        if not allow_download:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            from sentence_transformers import CrossEncoder
        except ImportError:
            raise ModelError(f"{name}: needs the optional sentence-transformers backend; "
                             "install it with pip install 'codesift[transformers]'") from None
        try:
            self.model = CrossEncoder(str(path or name), max_length=max_length,
                                      local_files_only=not allow_download)
        except Exception as exc:
            raise ModelError(f"{name}: sentence-transformers cannot load it ({exc}); check "
                             "the name, or set rerank.allow_download = true to fetch it"
                             ) from None
        self.id = f"st:{name}"
        self.batch_size = batch_size

    def score(self, query: str, documents: Sequence[str],
              cancel: CancelCheck | None = None) -> np.ndarray:
        scores: list[float] = []
        for begin in range(0, len(documents), self.batch_size):
            if cancel is not None and cancel():
                raise Cancelled
            batch = [(query, d) for d in documents[begin : begin + self.batch_size]]
            scores.extend(float(s) for s in self.model.predict(batch, convert_to_numpy=True))
        return np.asarray(scores, dtype=np.float32)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        tok = self.model.tokenizer
        return [len(tok.encode(t, add_special_tokens=False)) for t in texts]

    @property
    def max_length(self) -> int:
        return int(self.model.max_length or 256)
