"""When a job is live: the one definition of the rule every stage applies.

A job is live at t when `posted_at <= t < expires_at` (docs/time_rules.md): live from the
moment it is posted, no longer at the moment it expires. `live_during` is the same rule over a
window [start, end): live at some moment of it. Both work elementwise on numpy arrays (int64
nanoseconds) and pandas Series (timestamps) alike, so each stage keeps its own representation.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import pandas as pd

from linksage.timeutil import ns_array

A = TypeVar("A", np.ndarray, pd.Series)


def live_at(posted: A, expires: A, t) -> A:
    """Mask of the jobs live at `t` (a scalar, or an array broadcast against the jobs)."""
    return (posted <= t) & (t < expires)


def live_during(posted: A, expires: A, start, end) -> A:
    """Mask of the jobs live at some moment of [start, end)."""
    return (posted < end) & (expires > start)


class LiveJobs:
    """The job corpus with its live intervals, for "which jobs were live at t" queries."""

    def __init__(self, jobs: pd.DataFrame):
        self.job_ids = jobs["job_id"].to_numpy(dtype=np.int64)
        self.posted = ns_array(jobs["posted_at"])
        self.expires = ns_array(jobs["expires_at"])

    def mask(self, at: pd.Timestamp) -> np.ndarray:
        """Boolean mask over `job_ids` of the jobs live at `at`."""
        return live_at(self.posted, self.expires, pd.Timestamp(at).value)

    def at(self, at: pd.Timestamp) -> np.ndarray:
        """Ids of the jobs live at `at`."""
        return self.job_ids[self.mask(at)]
