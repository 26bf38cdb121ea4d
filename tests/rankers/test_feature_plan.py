"""The fitted preprocessing: vocabularies, bags, numeric fill, vectors, JSON round trip."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rankers.features.plan import FeaturePlan
from rankers.features.schema import FeatureSpec

SPECS = [
    FeatureSpec("member_id", "id", "member"),
    FeatureSpec("v__title", "categorical", "job"),
    FeatureSpec("v__top_skills", "bag", "job", separator="|"),
    FeatureSpec("v__count", "numeric", "job"),
    FeatureSpec("g__embedding", "vector", "job", gnn=True),
]
TRAIN = pd.DataFrame(
    {
        "member_id": [5, 5, 7],
        "v__title": ["b", "a", "b"],
        "v__top_skills": ["x|y", "y", ""],
        "v__count": [1.0, 3.0, np.nan],
        "g__embedding": [np.ones(2, np.float32), None, np.zeros(2, np.float32)],
    }
)


def test_fit_orders_vocabularies_by_frequency_then_value():
    plan = FeaturePlan.fit(TRAIN, SPECS)
    assert plan.vocabularies["member_id"] == ["5", "7"]
    assert plan.vocabularies["v__title"] == ["b", "a"]
    assert plan.vocabularies["v__top_skills"] == ["", "y", "x"]  # padding first
    assert plan.bag_lengths["v__top_skills"] == 2
    assert plan.numeric_mean["v__count"] == 2.0 and plan.numeric_var["v__count"] == 1.0
    assert plan.vector_dims["g__embedding"] == 2
    assert plan.vector_mean["g__embedding"] == [0.5, 0.5]
    assert plan.vector_var["g__embedding"] == [0.25, 0.25]


def test_arrays_pad_bags_fill_missing_numerics_with_the_mean_and_vectors_with_zeros():
    plan = FeaturePlan.fit(TRAIN, SPECS)
    frame = pd.DataFrame(
        {
            "member_id": [9],
            "v__title": [None],
            "v__top_skills": ["z|y|x"],
            "v__count": [None],
            "g__embedding": [None],
        }
    )
    arr = plan.arrays(frame)
    assert arr["member_id"].tolist() == ["9"] and arr["v__title"].tolist() == [""]
    assert arr["v__top_skills"].tolist() == [["z", "y"]]
    assert arr["v__count"].tolist() == [2.0]
    # zeros: the model's presence indicator reads the vector as absent (rankers/features/inputs.py)
    assert arr["g__embedding"].tolist() == [[0.0, 0.0]]


def test_json_round_trip_and_missing_column_error(tmp_path):
    plan = FeaturePlan.fit(TRAIN, SPECS)
    plan.save(tmp_path / "features.json")
    back = FeaturePlan.load(tmp_path / "features.json")
    assert back == plan
    with pytest.raises(KeyError, match="v__title"):
        plan.arrays(TRAIN.drop(columns="v__title"))
