"""A faiss inner-product index over job vectors, with filtered search in one pass.

The filter travels into faiss as `SearchParameters(sel=IDSelectorBitmap)`: the flat index skips
rows outside the bitmap while it scans, and HNSW walks its graph through every node but admits
only selected ones to the result. A walk through a sparse filter visits most of the graph before
it fills k results, so when fewer than `exact_below` rows pass, the HNSW index answers from its
own flat storage with the same selector (what vector databases call a full-scan threshold).

faiss rather than usearch: both filter inside HNSW, but usearch takes the filter as a
per-candidate predicate, called back into Python (or a compiled numba function) for each node it
visits, while faiss reads a bitmap in C++; faiss also gives the exact flat index the same filtered
search, so one-pass, post-filter and brute force run on the same vectors in one library.
"""

from __future__ import annotations

import faiss
import numpy as np

from linksage.config import IndexParams


class JobIndex:
    """Job vectors (row i = job i of the corpus), searched by inner product."""

    def __init__(self, vectors: np.ndarray, params: IndexParams = IndexParams()):
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.n, dim = self.vectors.shape
        self.params = params
        if params.kind == "hnsw":
            index = faiss.IndexHNSWFlat(dim, params.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = params.hnsw_ef_construction
            index.add(self.vectors)
            self.exact = faiss.downcast_index(index.storage)  # the same vectors, scanned
        else:
            index = faiss.IndexFlatIP(dim)
            index.add(self.vectors)
            self.exact = index
        self.index = index

    def search(
        self, query: np.ndarray, k: int, rows: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The top `k` rows by inner product with `query` (best first) and their scores; only
        among `rows` when given (one filtered pass). May return fewer than k."""
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        k = min(int(k), self.n)
        if k == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        if rows is None:
            scores, found = self.index.search(q, k, params=self._params(None))
            return _valid(found[0], scores[0])
        if len(rows) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        mask = np.zeros(self.n, dtype=bool)
        mask[rows] = True
        bits = np.packbits(mask, bitorder="little")  # kept alive until the search returns
        selector = faiss.IDSelectorBitmap(self.n, faiss.swig_ptr(bits))
        if self.index is self.exact or len(rows) < self.params.exact_below:
            found_scores, found = self.exact.search(
                q, k, params=faiss.SearchParameters(sel=selector)
            )
        else:
            found_scores, found = self.index.search(q, k, params=self._params(selector))
        return _valid(found[0], found_scores[0])

    def brute_force(
        self, query: np.ndarray, k: int, rows: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Exact top `k` among `rows` by numpy (the filter-then-brute-force reference); ties by
        row, ascending."""
        rows = np.asarray(rows, dtype=np.int64)
        scores = self.vectors[rows] @ np.asarray(query, dtype=np.float32).ravel()
        if len(rows) > k:
            part = np.argpartition(-scores, k - 1)[:k]
            rows, scores = rows[part], scores[part]
        order = np.lexsort((rows, -scores))
        return rows[order], scores[order]

    def _params(self, selector):
        if self.params.kind == "hnsw":
            return faiss.SearchParametersHNSW(sel=selector, efSearch=self.params.hnsw_ef_search)
        return faiss.SearchParameters(sel=selector) if selector is not None else None


def _valid(found: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop faiss's -1 padding (fewer results than k)."""
    keep = found >= 0
    return found[keep].astype(np.int64), scores[keep].astype(np.float32)
