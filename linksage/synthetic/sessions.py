"""Seeker sessions: when in the period each member makes their requests and page visits.

In real logs most people arrive, look for work for a few days and leave (in a public job log 90%
of the test window's requests come from members with no engagement before it). A
`session_fraction` share of members make all their activity inside one session of exponential
length (mean `session_days`): it starts at sign-up for members created during the period and at
a uniform time for the others (dormant members who become active). Everyone else is active from
sign-up (or the period start) to the end. How much a member does is not changed, only when.
"""

from __future__ import annotations

import numpy as np

from linksage.synthetic.preset import DAY, Preset


def activity_spans(
    rng: np.random.Generator, p: Preset, created: np.ndarray, start: int, end: int
) -> np.ndarray:
    """(members, 2) epoch seconds [from, to) in which each member's requests and visits fall."""
    lo = np.maximum(created, start).astype(np.int64)
    hi = np.full(len(created), end - p.request_end_margin_s, dtype=np.int64)
    if p.session_fraction <= 0:
        # no draws at all: without sessions the generator's output is what it was before them
        return np.stack([lo, hi], axis=1)
    m = len(created)
    in_session = rng.random(m) < p.session_fraction
    dormant_start = rng.integers(start, hi, m)
    # sign-ups end `creation_end_margin_s` (a day) before the end, requests an hour before it:
    # every session has room
    s0 = np.where(created >= start, created, dormant_start).astype(np.int64)
    length = 1 + np.floor(rng.exponential(p.session_days * DAY, m)).astype(np.int64)
    s1 = np.minimum(s0 + length, hi)
    return np.stack([np.where(in_session, s0, lo), np.where(in_session, s1, hi)], axis=1)
