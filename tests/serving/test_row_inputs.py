"""`FeaturePlan.row_arrays` (the service's member inputs, one row without pandas) equals
`arrays` of the one-row frame, on real online rows and on missing and odd values."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rankers.features.plan import FeaturePlan


def _assert_same(plan: FeaturePlan, row: dict, names: list[str]) -> None:
    got = plan.row_arrays(row, names)
    expected = plan.arrays(pd.DataFrame([row]), names)
    assert set(got) == set(expected) == set(names)
    for name in names:
        if expected[name].dtype == object:
            assert got[name].tolist() == expected[name].tolist(), name
        else:
            np.testing.assert_array_equal(got[name], expected[name], err_msg=name)


def test_row_arrays_equal_arrays_of_the_one_row_frame(serving_runs, ranker_experiment):
    from linksage.feature_store import online_features, open_store

    cfg, tables = ranker_experiment
    plan = FeaturePlan.load(serving_runs["jymbii"] / "features.json")
    names = [n for n in plan.names("member") if not n.startswith("history__")]
    store = open_store(cfg.feast.repo_dir)
    members = tables.members["member_id"].head(8).tolist()
    jobs = tables.jobs["job_id"].head(1).tolist()
    for member in members:
        row = online_features(store, "jymbii_gnn", member_id=member, job_ids=jobs).iloc[0]
        _assert_same(plan, {**row.to_dict(), "member_id": member}, names)
    # missing and odd values: None, NaN, an integral float, a number as text, no vector
    odd = {**row.to_dict(), "member_id": 7.0, "member_profile__title": None}
    odd |= {"member_profile__seniority": "3", "member_profile__is_premium": float("nan")}
    odd |= {"member_gnn__embedding": None, "member_profile__top_skills": ""}
    _assert_same(plan, odd, names)
