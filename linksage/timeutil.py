"""UTC time helpers shared by every stage: timestamps are UTC, compared as int64 nanoseconds."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd


def utc(value) -> pd.Timestamp:
    """A pandas Timestamp in UTC (a naive value is taken as UTC)."""
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def utc_datetime(value: datetime) -> datetime:
    """A datetime in UTC (a naive value is taken as UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_series(values) -> pd.Series:
    """A datetime64[ns, UTC] Series (naive values taken as UTC)."""
    return pd.to_datetime(pd.Series(values), utc=True).astype("datetime64[ns, UTC]")


def ns(value) -> int:
    """A time as int64 nanoseconds since the epoch (UTC)."""
    return int(utc(value).value)


def ns_array(values) -> np.ndarray:
    """Times as an int64 array of nanoseconds since the epoch (UTC); NaT becomes the int64 minimum."""
    return utc_series(values).to_numpy(dtype="datetime64[ns]").astype(np.int64)
