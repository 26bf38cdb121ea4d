"""Profile features at snapshot times: exact values on hand-made tables, no data from >= s."""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq

from linksage.feature_store.profile_features import (
    JOB_SCHEMA,
    MEMBER_SCHEMA,
    job_profiles,
    member_profiles,
    top_skills,
    write_profile_features,
)
from tests.support.feast_data import SNAPSHOTS, hand_tables

S0, S1, S2 = SNAPSHOTS


def _rows(table, id_column):
    return table.to_pandas().set_index([id_column, "event_timestamp"])


def test_member_rows_only_exist_after_creation():
    df = member_profiles(hand_tables(), SNAPSHOTS).to_pandas()
    members_at = df.groupby("event_timestamp")["member_id"].apply(sorted).to_dict()
    # member 3 is created between the first and the second snapshot
    assert members_at == {S0: [1, 2, 4], S1: [1, 2, 3, 4], S2: [1, 2, 3, 4]}
    assert (df["feature_ts"] == df["event_timestamp"]).all()


def test_member_activity_counts_use_only_events_before_the_snapshot():
    df = _rows(member_profiles(hand_tables(), SNAPSHOTS), "member_id")
    m1 = df.loc[1]
    assert m1.loc[S0, ["views_count", "applies_count", "clicks_count"]].tolist() == [1, 1, 0]
    # the second apply is stamped exactly at S1: not counted at S1, counted at S2
    assert m1.loc[S1, ["applies_count", "clicks_count", "engagements_7d"]].tolist() == [1, 1, 3]
    assert m1.loc[S2, ["applies_count", "engagements_7d", "applies_7d"]].tolist() == [2, 4, 2]
    assert df.loc[(2, S0), "saves_count"] == 0 and df.loc[(2, S1), "saves_count"] == 1
    assert df.loc[(4, S0), "applies_count"] == 1


def test_member_title_follows_positions_started_before_the_snapshot():
    df = _rows(member_profiles(hand_tables(), SNAPSHOTS), "member_id")
    assert df.loc[(1, S0), ["title", "company", "positions_count"]].tolist() == [
        "intern",
        "old co",
        1,
    ]
    assert df.loc[(1, S1), ["title", "company", "positions_count"]].tolist() == ["eng", "acme", 2]
    # no positions: the members table's values
    assert df.loc[(2, S0), ["title", "company", "positions_count"]].tolist() == ["pm", "beta", 0]


def test_member_static_fields_and_tenure():
    df = _rows(member_profiles(hand_tables(), SNAPSHOTS, top_k=2), "member_id")
    assert df.loc[(1, S0), "top_skills"] == "python|go"
    assert df.loc[(3, S1), "top_skills"] == ""
    assert df.loc[(2, S0), "seeker_intent"] == "unknown"
    assert df.loc[(4, S0), ["seniority", "is_premium", "location"]].tolist() == [5, True, "berlin"]
    assert df.loc[(1, S0), "tenure_days"] == 1.0
    assert df.loc[(3, S1), "tenure_days"] == 0.5


def test_job_rows_and_counts():
    table = job_profiles(hand_tables(), SNAPSHOTS)
    assert table.schema == JOB_SCHEMA
    df = _rows(table, "job_id")
    jobs_at = table.to_pandas().groupby("event_timestamp")["job_id"].apply(sorted).to_dict()
    # job 12 is posted exactly at S1: absent at S1, present at S2
    assert jobs_at == {S0: [10, 11], S1: [10, 11], S2: [10, 11, 12]}
    assert df.loc[
        (10, S0), ["views_count", "applies_count", "recruiter_actions_count"]
    ].tolist() == [1, 1, 1]
    assert df.loc[(11, S1), ["applies_count", "clicks_count"]].tolist() == [1, 1]
    assert df.loc[(11, S2), ["applies_count", "applies_7d"]].tolist() == [2, 2]
    assert df.loc[(11, S0), "age_days"] == 0.5
    assert df.loc[(10, S0), "top_skills"] == "python|sql"
    assert df.loc[(11, S0), "is_promoted"]
    assert df.loc[(12, S2), "posted_at"] == S1


def test_top_skills_breaks_ties_by_name():
    skills = pd.DataFrame({"job_id": [1, 1, 1], "skill": ["b", "a", "c"], "score": [0.5, 0.5, 0.1]})
    assert top_skills(skills, "job_id", 2).to_dict() == {1: "a|b"}


def test_write_profile_features_writes_the_contract_schemas(tmp_path):
    paths = write_profile_features(hand_tables(), SNAPSHOTS, tmp_path)
    assert pq.read_schema(paths["member_profile"]).remove_metadata() == MEMBER_SCHEMA
    assert pq.read_schema(paths["job_profile"]).remove_metadata() == JOB_SCHEMA


def test_synthetic_marketplace_counts_match_events_strictly_before(tiny_tables):
    times = [pd.Timestamp("2026-01-29", tz="UTC"), pd.Timestamp("2026-02-05", tz="UTC")]
    df = member_profiles(tiny_tables, times).to_pandas()
    eng = tiny_tables.engagements
    created = tiny_tables.members.set_index("member_id")["created_at"]
    for s in times:
        at_s = df[df["event_timestamp"] == s].set_index("member_id")
        assert (pd.to_datetime(created.loc[at_s.index], utc=True) < s).all()
        applies = eng[(eng["action"] == "apply") & (eng["at"] < s)]["member_id"].value_counts()
        expected = applies.reindex(at_s.index, fill_value=0)
        assert (at_s["applies_count"] == expected).all()
        assert at_s["applies_count"].sum() > 0
