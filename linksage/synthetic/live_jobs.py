"""Sampling the jobs that are live at given times, anywhere or within a career area."""

from __future__ import annotations

import numpy as np

from linksage.synthetic.entities import Population

# Constants of the sampling algorithm, not of the model (the preset's are in preset.py).
STRIDE = 7_919  # a prime: in any window shorter than it, its steps hit distinct positions
AREA_SHIFT = 40  # sort keys are (area << AREA_SHIFT) + time since `base`, one int64


class LiveJobs:
    """Sample live jobs at given times, anywhere or within a career area (vectorised)."""

    def __init__(self, pop: Population):
        self.posted, self.expires = pop.j_posted, pop.j_expires
        self.max_life = int((self.expires - self.posted).max())
        self.base = int(self.posted.min()) - self.max_life - 1
        self.by_area = np.lexsort((self.posted, pop.j_area))
        self.area_keys = pop.j_area[self.by_area].astype(np.int64) << AREA_SHIFT
        self.area_keys += self.posted[self.by_area] - self.base

    def sample(self, rng, t: np.ndarray, k: int, area: np.ndarray | None = None):
        """(len(t), k) job indices and a mask of those live at t."""
        if area is None:
            lo = np.searchsorted(self.posted, t - self.max_life, side="left")
            hi = np.searchsorted(self.posted, t, side="right")
        else:
            a = area.astype(np.int64) << AREA_SHIFT
            lo = np.searchsorted(self.area_keys, a + (t - self.max_life - self.base), side="left")
            hi = np.searchsorted(self.area_keys, a + (t - self.base), side="right")
        span = (hi - lo)[:, None]
        # k distinct positions of the window (while k <= span): a random start, then a prime
        # stride modulo the window, i.e. sampling without replacement in whole-array form.
        start = np.floor(rng.random((len(t), 1)) * span).astype(np.int64)
        step = np.arange(k, dtype=np.int64)[None, :] * STRIDE
        pos = lo[:, None] + (start + step) % np.maximum(span, 1)
        pos = np.minimum(pos, len(self.posted) - 1)
        idx = pos if area is None else self.by_area[pos]
        live = (span > 0) & (self.posted[idx] <= t[:, None]) & (self.expires[idx] > t[:, None])
        return idx, live
