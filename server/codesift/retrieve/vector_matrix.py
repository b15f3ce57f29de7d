"""Every chunk's vector in one int8 matrix with a scale per row, searched exactly.

Both vector generators (the static model's and the light model's nearest chunks) keep
one vector per chunk in memory for the life of a language server. float32 would cost
51 MB per 100,000 chunks at 128 dimensions and 154 MB at 384; int8 with a float32 scale
per row costs a quarter of that, ranks like float32 (tests/test_embedded.py), and scores
several times faster than float16, which numpy converts slowly (docs/BENCHMARKS.md).
Rows are read and quantized a block at a time, so loading never holds the whole matrix
as float32 or as a list of Python bytes either.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING

from ..index.store import Store
from .candidate import Candidate

if TYPE_CHECKING:
    import numpy as np

BLOCK_ROWS = 1_024  # int8 rows made float32 at a time: 1.5 MB at 384 dimensions, in cache


@dataclass(frozen=True)
class VectorMatrix:
    """Chunk ids, their file ids, and their vectors (int8 rows times ``scales``)."""

    ids: np.ndarray  # int64 chunk ids, one per row
    files: np.ndarray  # int64 file ids, one per row
    rows: np.ndarray  # int8, one vector per row
    scales: np.ndarray  # float32: a row's vector is its int8 values times its scale

    @classmethod
    def read(cls, rows: Iterable[tuple[int, int, bytes]], dtype: str = "float32"
             ) -> VectorMatrix | None:
        """From (chunk id, file id, vector bytes of ``dtype``) rows, consumed a block at a
        time; None when there are none."""
        import numpy as np

        ids: list[np.ndarray] = []
        files: list[np.ndarray] = []
        blocks: list[np.ndarray] = []
        scales: list[np.ndarray] = []
        source = iter(rows)
        while batch := list(islice(source, BLOCK_ROWS)):
            ids.append(np.fromiter((r[0] for r in batch), dtype=np.int64, count=len(batch)))
            files.append(np.fromiter((r[1] for r in batch), dtype=np.int64, count=len(batch)))
            block = np.frombuffer(b"".join(r[2] for r in batch), dtype=dtype)
            block = block.reshape(len(batch), -1).astype(np.float32)
            scale = np.maximum(np.abs(block).max(axis=1), 1e-12) / 127.0
            blocks.append(np.rint(block / scale[:, None]).astype(np.int8))
            scales.append(scale.astype(np.float32))
        if not blocks:
            return None
        return cls(np.concatenate(ids), np.concatenate(files), np.concatenate(blocks),
                   np.concatenate(scales))

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def nbytes(self) -> int:
        """Memory held, in bytes."""
        return int(self.ids.nbytes + self.files.nbytes + self.rows.nbytes + self.scales.nbytes)

    def scores(self, query: np.ndarray) -> np.ndarray:
        """Every row's dot product with ``query`` (float32)."""
        import numpy as np

        q = query.astype(np.float32)
        return np.concatenate([self.rows[i : i + BLOCK_ROWS].astype(np.float32) @ q
                               for i in range(0, len(self.rows), BLOCK_ROWS)]) * self.scales

    def nearest(self, query: np.ndarray, k: int, allowed: list[int] | None
                ) -> list[tuple[int, float]]:
        """The ``k`` best (chunk id, score), best first; only rows of ``allowed`` file ids
        when given."""
        import numpy as np

        scores = self.scores(query)
        if allowed is not None:
            scores = np.where(np.isin(self.files, np.asarray(allowed, dtype=np.int64)),
                              scores, -np.inf)
        k = min(k, len(scores))
        if k <= 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(self.ids[i]), float(scores[i])) for i in top if np.isfinite(scores[i])]


def nearest_candidates(store: Store, nearest: list[tuple[int, float]], source: str
                       ) -> list[Candidate]:
    """``VectorMatrix.nearest``'s chunks as candidates of generator ``source``, in its
    order; a chunk gone from the index since the matrix was read is skipped."""
    rows = {r.id: r for r in store.chunks_by_id([chunk for chunk, _ in nearest])}
    return [Candidate.of_chunk(rows[chunk], {source: max(0.0, score)})
            for chunk, score in nearest if chunk in rows]
