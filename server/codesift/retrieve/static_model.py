"""The static embedding model: token vectors averaged, computed without wordllama's padding.

wordllama's tokenizer has no pre-tokenizer, so byte-pair merging runs over a whole chunk at
once and its word cache never hits; its pooling pads every batch to the longest text. Here
the same tokenizer splits at runs of spaces first (merges never cross them: the vectors are
the same as ``WordLlama.embed``'s, which a test checks) and the pooling sums each text's
token vectors without padding. On the standard library that embeds about twice as fast.

Building it takes about a second (importing wordllama, loading its weights, rebuilding the
tokenizer), which every CLI search paid; ``save`` writes the result once to codesift's
cache folder and ``load`` reads it back in about 0.2 s.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np

from ..index.private import FILE_MODE, private_folder

# After normalization a space is "▁": a piece is a run of "▁" and what follows up to the next.
SPLIT = {"type": "Split", "pattern": {"Regex": "\u2581*[^\u2581]+"}, "behavior": "Isolated",
         "invert": False}


@dataclass(frozen=True)
class StaticModel:
    """A tokenizer and its token-vector table (vocabulary x dimensions)."""

    tokenizer: Any
    by_dimension: np.ndarray  # the table transposed: gathering columns is what pooling reads

    @classmethod
    def of_wordllama(cls, model: Any) -> StaticModel:
        from tokenizers import Tokenizer

        spec = json.loads(model.tokenizer.to_str())
        spec.update(pre_tokenizer=SPLIT, padding=None, truncation=None)
        table = np.asarray(model.embedding, dtype=np.float32)
        return cls(Tokenizer.from_str(json.dumps(spec)), np.ascontiguousarray(table.T))

    @classmethod
    def load(cls, folder: Path) -> StaticModel:
        """What ``save`` wrote; raises (OSError, ValueError, ...) when it is incomplete."""
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        table = np.load(folder / "table.npy", allow_pickle=False)
        if table.ndim != 2 or table.dtype != np.float32 or (
                table.shape[1] != tokenizer.get_vocab_size()):
            raise ValueError(f"{folder}: table {table.shape} does not fit the tokenizer")
        return cls(tokenizer, table)

    def save(self, folder: Path) -> None:
        """Write the model where ``load`` reads it: into a private temporary folder first,
        then renamed into place, so a reader never sees half of it (a concurrent writer's
        copy wins)."""
        tmp = folder.with_name(f"{folder.name}.tmp{os.getpid()}")
        try:
            private_folder(folder.parent)
            private_folder(tmp)
            self.tokenizer.save(str(tmp / "tokenizer.json"))
            np.save(tmp / "table.npy", self.by_dimension, allow_pickle=False)
            for path in tmp.iterdir():
                os.chmod(path, FILE_MODE)
            if folder.exists():
                shutil.rmtree(folder)
            os.replace(tmp, folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length mean token vectors, one row per text (zeros for an empty text)."""
        ids = [e.ids for e in self.tokenizer.encode_batch_fast(texts, add_special_tokens=False)]
        lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
        flat = np.fromiter(chain.from_iterable(ids), dtype=np.int64, count=int(lengths.sum()))
        vocabulary = self.by_dimension.shape[1]
        np.clip(flat, 0, vocabulary - 1, out=flat)
        sums = np.zeros((len(texts), self.by_dimension.shape[0]), dtype=np.float32)
        filled = lengths > 0
        if flat.size:
            starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])[filled]
            gathered = np.take(self.by_dimension, flat, axis=1)
            sums[filled] = np.add.reduceat(gathered, starts, axis=1).T
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        return sums / np.maximum(norms, 1e-12)
