"""The stage table measures each stage's own peak memory and wall time."""

from __future__ import annotations

import numpy as np

from linksage.cli.stage_table import StageTable


def test_each_stage_reports_its_own_peak_rss():
    stages = StageTable()
    with stages.measure("small"):
        small_block = np.ones(1024)
    with stages.measure("big"):
        block = np.ones(300 * 2**20 // 8)  # 300 MiB, touched
        del block
    with stages.measure("small again"):
        small_block += 1
    small, big, after = (r.peak_rss_bytes for r in stages.records)
    assert big - small >= 250 * 2**20
    if stages.per_stage_peak:  # Linux: the mark is reset between stages
        assert after < big - 200 * 2**20
    names = [row["stage"] for row in stages.to_dict()]
    assert names == ["small", "big", "small again"]
    assert all(r.seconds >= 0 for r in stages.records)
