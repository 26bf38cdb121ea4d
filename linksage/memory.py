"""Returning freed memory to the operating system between large steps."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc

import pyarrow as pa


def release_freed_memory() -> None:
    """Hand the heap that earlier stages freed back to the OS: glibc keeps freed arenas mapped,
    and Arrow's pool keeps its buffers, so a later stage would otherwise start gigabytes above
    what it holds (10^5 engagements: ~2 GiB carried from embed into materialize, or from a
    ranker's point-in-time join into its training)."""
    gc.collect()
    pa.default_memory_pool().release_unused()
    libc = ctypes.util.find_library("c")
    if libc:
        trim = getattr(ctypes.CDLL(libc), "malloc_trim", None)  # glibc only
        if trim is not None:
            trim(0)
