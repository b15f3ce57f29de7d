"""The int8 vector matrix both nearest-chunk generators keep in memory."""

from __future__ import annotations

import numpy as np

from codesift.retrieve.vector_matrix import BLOCK_ROWS, VectorMatrix


def test_read_across_blocks_scores_like_float32_and_filters_exactly():
    rng = np.random.default_rng(7)
    count = 2 * BLOCK_ROWS + 37  # three blocks, the last one short
    vectors = rng.standard_normal((count, 48)).astype(np.float32)
    rows = ((1000 + i, i % 9, vectors[i].tobytes()) for i in range(count))  # read lazily
    matrix = VectorMatrix.read(rows)
    assert matrix is not None and len(matrix) == count and matrix.rows.dtype == np.int8
    assert list(matrix.ids[:3]) == [1000, 1001, 1002] and matrix.files[-1] == (count - 1) % 9
    query = rng.standard_normal(48).astype(np.float32)
    exact = vectors @ query
    assert np.abs(matrix.scores(query) - exact).max() < 0.05 * np.abs(exact).max()
    best = matrix.nearest(query, 3, None)
    assert [chunk for chunk, _ in best] == [1000 + int(i) for i in np.argsort(-exact)[:3]]
    in_file = matrix.nearest(query, count, [4])
    assert {chunk for chunk, _ in in_file} == {1000 + i for i in range(count) if i % 9 == 4}
    assert matrix.nearest(query, 5, []) == []  # no allowed file: nothing
    assert matrix.nbytes < vectors.nbytes / 2


def test_no_rows_is_no_matrix_and_float16_rows_read():
    assert VectorMatrix.read(iter(())) is None
    halves = np.eye(4, dtype=np.float16)
    matrix = VectorMatrix.read(((i, 0, halves[i].tobytes()) for i in range(4)), "float16")
    assert matrix is not None
    assert matrix.nearest(np.array([0, 0, 1, 0], np.float32), 10, None)[0] == (2, 1.0)
