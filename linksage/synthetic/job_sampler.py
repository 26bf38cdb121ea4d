"""Sampling the jobs that are live at given times, anywhere or within a career area: uniformly,
or in proportion to each job's attractiveness (the preset's `popularity_exposure`)."""

from __future__ import annotations

import numpy as np

from linksage.data.live_jobs import live_at
from linksage.synthetic.entities import Population

# Constants of the sampling algorithm, not of the model (the preset's are in preset.py).
STRIDE = 7_919  # a prime: in any window shorter than it, its steps hit distinct positions
AREA_SHIFT = 40  # sort keys are (area << AREA_SHIFT) + time since `base`, one int64


class LiveJobSampler:
    """Sample live jobs at given times, anywhere or within a career area (vectorised)."""

    def __init__(self, pop: Population, log_weight: np.ndarray | None = None, pool: int = 0):
        """`log_weight`: each job's log attractiveness, None for uniform sampling; `pool`: how
        many jobs a weighted draw weighs (`Preset.exposure_pool`)."""
        self.posted, self.expires = pop.j_posted, pop.j_expires
        self.max_life = int((self.expires - self.posted).max())
        self.base = int(self.posted.min()) - self.max_life - 1
        self.by_area = np.lexsort((self.posted, pop.j_area))
        self.area_keys = pop.j_area[self.by_area].astype(np.int64) << AREA_SHIFT
        self.area_keys += self.posted[self.by_area] - self.base
        self.log_weight, self.pool = log_weight, pool

    def sample(
        self, rng, t: np.ndarray, k: int, area: np.ndarray | None = None, uniform: bool = False
    ):
        """(len(t), k) job indices and a mask of those live at t; by attractiveness when the
        sampler has weights, unless `uniform`."""
        if area is None:
            lo = np.searchsorted(self.posted, t - self.max_life, side="left")
            hi = np.searchsorted(self.posted, t, side="right")
        else:
            a = area.astype(np.int64) << AREA_SHIFT
            lo = np.searchsorted(self.area_keys, a + (t - self.max_life - self.base), side="left")
            hi = np.searchsorted(self.area_keys, a + (t - self.base), side="right")
        span = (hi - lo)[:, None]
        if self.log_weight is None or uniform:
            idx = self._spread(rng, lo, span, k, area)
            return idx, self._live(idx, span, t)
        # The incumbent weighs `pool` jobs of the window (uniformly drawn) and retrieves k of
        # the live ones in proportion to attractiveness: Gumbel top-k, i.e. sampling without
        # replacement. The pool bounds how far traffic concentrates, so that concentration does
        # not grow without end with the market (a window of 10^4 live jobs at 10^6 members).
        m = max(self.pool, k)
        idx = self._spread(rng, lo, span, m, area)
        live = self._live(idx, span, t) & (np.arange(m)[None, :] < span)  # no position twice
        key = np.where(live, self.log_weight[idx] + rng.gumbel(size=idx.shape), -np.inf)
        top = np.argpartition(-key, k - 1, axis=1)[:, :k] if m > k else np.argsort(-key, axis=1)
        return np.take_along_axis(idx, top, 1), np.isfinite(np.take_along_axis(key, top, 1))

    def _spread(self, rng, lo: np.ndarray, span: np.ndarray, k: int, area) -> np.ndarray:
        """k job indices at distinct positions of each window (while k <= span): a random start,
        then a prime stride modulo the window, i.e. sampling without replacement in whole-array
        form."""
        start = np.floor(rng.random((len(lo), 1)) * span).astype(np.int64)
        step = np.arange(k, dtype=np.int64)[None, :] * STRIDE
        pos = lo[:, None] + (start + step) % np.maximum(span, 1)
        pos = np.minimum(pos, len(self.posted) - 1)
        return pos if area is None else self.by_area[pos]

    def _live(self, idx: np.ndarray, span: np.ndarray, t: np.ndarray) -> np.ndarray:
        return (span > 0) & live_at(self.posted[idx], self.expires[idx], t[:, None])
