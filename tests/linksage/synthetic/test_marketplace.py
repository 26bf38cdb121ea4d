"""The synthetic marketplace: determinism, the data contract, the time windows the pipeline
uses, and the generative claims of docs/generative_model.md, at tiny sizes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from linksage.data.schema import TABLES
from linksage.data.tables import read_tables, write_tables
from linksage.data.validation import validate_directory
from linksage.errors import ConfigError
from linksage.synthetic.activity import simulate_activity
from linksage.synthetic.entities import make_population
from linksage.synthetic.marketplace import generate_marketplace
from linksage.synthetic.preset import get_preset

START = datetime(2026, 1, 1, tzinfo=UTC)


def _gen(members=300, seed=5, days=21, preset="paper"):
    return generate_marketplace(members=members, seed=seed, start=START, days=days, preset=preset)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        write_tables(_gen(seed=seed), tmp_path / name)
    for spec in TABLES.values():
        a = (tmp_path / "a" / spec.file_name).read_bytes()
        assert a == (tmp_path / "b" / spec.file_name).read_bytes(), spec.file_name
    differ = [
        s.file_name
        for s in TABLES.values()
        if (tmp_path / "a" / s.file_name).read_bytes()
        != (tmp_path / "c" / s.file_name).read_bytes()
    ]
    assert "engagements.parquet" in differ and "members.parquet" in differ


def test_every_table_passes_validation_and_round_trips(tmp_path):
    tables = _gen()
    write_tables(tables, tmp_path)
    report = validate_directory(tmp_path)
    assert report.ok, report.render()
    back = read_tables(tmp_path, validate=False)
    for name, df in tables.items():
        got = getattr(back, name)
        assert list(got.columns) == [c.name for c in TABLES[name].columns], name
        pd.testing.assert_frame_equal(
            got.reset_index(drop=True),
            df.reset_index(drop=True),
            check_dtype=False,
            check_index_type=False,
        )


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="members"):
        generate_marketplace(members=0, seed=1, start=START, days=10)
    with pytest.raises(ConfigError, match="preset"):
        generate_marketplace(members=10, seed=1, start=START, days=10, preset="nope")


def test_tiny_fixture_has_every_action_in_every_window(tiny_tables, tiny_config):
    w = tiny_config.windows
    start = tiny_config.data.synthetic.start
    windows = {
        "gnn": (start, w.t_gnn_end),
        "train": (w.t_train_start, w.t_train_end),
        "test": (w.t_test_start, w.t_test_end),
    }
    e = tiny_tables.engagements
    for name, (lo, hi) in windows.items():
        inside = e[(e["at"] >= lo) & (e["at"] < hi)]
        counts = inside["action"].value_counts()
        for action in ("view", "click", "save", "apply", "dismiss"):
            assert counts.get(action, 0) >= 3, (name, action, dict(counts))
        assert set(inside["channel"]) == {"jymbii", "search", "other"}, name
        imp = tiny_tables.impressions
        assert ((imp["at"] >= lo) & (imp["at"] < hi)).sum() > 100, name


def test_impressions_are_ranked_live_jobs_and_engagements_point_at_them(tiny_tables):
    imp, jobs = tiny_tables.impressions, tiny_tables.jobs.set_index("job_id")
    per_request = imp.groupby("request_id")
    sizes = per_request.size()
    assert sizes.max() <= 20 and sizes.median() >= 10
    # ranks are 1..k without gaps, one member and time per request, no job shown twice
    assert (per_request["rank"].max() == sizes).all() and (per_request["rank"].min() == 1).all()
    assert (per_request["member_id"].nunique() == 1).all() and (
        per_request["at"].nunique() == 1
    ).all()
    assert not imp.duplicated(["request_id", "job_id"]).any()
    posted = imp["job_id"].map(jobs["posted_at"])
    expires = imp["job_id"].map(jobs["expires_at"])
    assert ((posted <= imp["at"]) & (imp["at"] < expires)).all()
    search = imp["channel"] == "search"
    assert imp.loc[search, "query"].notna().all() and imp.loc[~search, "query"].isna().all()
    # a query is title or skill words of the marketplace's vocabulary
    words = set(
        " ".join(pd.concat([tiny_tables.jobs["title"], tiny_tables.member_skills["skill"]])).split()
    )
    assert (
        imp.loc[search, "query"].str.split().map(lambda q: q[-1] in words or q[1] in words).mean()
        > 0.9
    )

    e = tiny_tables.engagements
    from_request = e[e["request_id"].notna()]
    assert set(from_request["channel"]) == {"jymbii", "search"}
    assert (e.loc[e["request_id"].isna(), "channel"] == "other").all()
    keys = imp.set_index(["request_id", "member_id", "job_id"])
    joined = from_request.join(
        keys[["at"]].rename(columns={"at": "shown"}), on=["request_id", "member_id", "job_id"]
    )
    assert joined["shown"].notna().all() and (joined["at"] >= joined["shown"]).all()


def test_jobs_members_and_positions_over_time(tiny_tables, tiny_config):
    jobs, members = tiny_tables.jobs, tiny_tables.members
    start = tiny_config.data.synthetic.start
    life = jobs["expires_at"] - jobs["posted_at"]
    assert life.min() >= timedelta(days=14) and life.max() <= timedelta(days=28)
    assert (jobs["posted_at"] >= tiny_config.windows.t_gnn_end).sum() > 10
    assert (jobs["posted_at"] < start).sum() > 0  # some jobs are live when the period starts
    during = (members["created_at"] >= start).mean()
    assert 0.03 < during < 0.25  # most members exist before the period, some sign up during it
    assert set(members["seeker_intent"]) == {"passive", "opportunistic", "open_to_job", "urgent"}
    assert 0 < members["is_premium"].mean() < 0.3

    pos = tiny_tables.member_positions
    current = pos[pos["end_at"].isna()]
    assert not current["member_id"].duplicated().any()
    now = current.join(members.set_index("member_id"), on="member_id", rsuffix="_profile")
    assert (now["title"] == now["title_profile"]).all() and (
        now["company"] == now["company_profile"]
    ).all()
    past = pos[pos["end_at"].notna()]
    assert len(past) > 0 and (past["end_at"] > past["start_at"]).all()
    # past positions end exactly when the next one starts (transitions are contiguous)
    nxt = pos.sort_values(["member_id", "start_at"]).groupby("member_id")["start_at"].shift(-1)
    ends = pos.sort_values(["member_id", "start_at"])["end_at"]
    assert (ends.dropna() == nxt[ends.notna()]).all()


def test_hearing_back_follows_applies_and_favours_premium():
    t = _gen(members=3000, seed=2, days=28, preset="dense")
    rec, e = t.recruiter_actions, t.engagements
    hb = rec[rec["action"] == "positive_hearing_back"]
    applies = e[e["action"] == "apply"].groupby(["member_id", "job_id"])["at"].min()
    first_apply = hb.join(applies.rename("applied"), on=["member_id", "job_id"])
    assert (
        first_apply["applied"].notna().all() and (first_apply["at"] > first_apply["applied"]).all()
    )
    premium = t.members.set_index("member_id")["is_premium"]
    pairs = applies.reset_index()
    pairs["heard"] = pairs.set_index(["member_id", "job_id"]).index.isin(
        hb.set_index(["member_id", "job_id"]).index
    )
    rate = pairs.groupby(pairs["member_id"].map(premium))["heard"].mean()
    assert rate[True] > 1.3 * rate[False]
    assert {"message", "reach_out"} <= set(rec["action"])


def test_engagement_reveals_the_hidden_interest_beyond_the_title():
    """Members whose title is outside their career interest apply mostly to jobs of their
    interest: the engagement graph knows something the title does not."""
    p = get_preset("paper")
    rng = np.random.default_rng(0)
    t0 = int(START.timestamp())
    pop = make_population(rng, members=4000, start=t0, days=28, p=p)
    act = simulate_activity(rng, pop, p)
    applies = act.engagements[act.engagements["action"].isin(["click", "apply"])]
    m = applies["member_id"].to_numpy() - 1
    j = applies["job_id"].to_numpy() - 1
    changer = pop.m_title_area[m] != pop.m_interest_area[m]
    to_interest = (pop.j_area[j] == pop.m_interest_area[m])[changer].mean()
    to_title = (pop.j_area[j] == pop.m_title_area[m])[changer].mean()
    assert changer.sum() > 100
    assert to_interest > 1.5 * to_title


def test_engagement_is_heavy_tailed(tiny_tables):
    m = tiny_tables.members["member_id"]
    e = tiny_tables.engagements
    counts = e[e["action"].isin(["click", "save", "apply"])].groupby("member_id").size()
    counts = counts.reindex(m, fill_value=0)
    assert (counts <= 3).mean() > 0.6
    assert counts.max() > 10 * max(counts.median(), 1)


def test_vocabularies_grow_sub_linearly():
    small, large = _gen(members=1000, days=14), _gen(members=8000, days=14)

    def vocab(t):
        return t.members["title"].nunique(), t.member_skills["skill"].nunique()

    (ts, ss), (tl, sl) = vocab(small), vocab(large)
    assert tl > ts and sl > ss
    assert tl / ts < 8**0.8 and sl / ss < 8**0.8  # linear growth would be 8x


def test_preset_constants_drive_the_generator():
    p = get_preset("paper")
    rng = np.random.default_rng(0)
    base = make_population(rng, members=300, start=0, days=21, p=p)
    assert base.jobs["is_promoted"].any()
    changed = replace(p, promoted_job_fraction=0.0, seniority_probs=(0.0,) * 6 + (1.0,))
    pop = make_population(np.random.default_rng(0), members=300, start=0, days=21, p=changed)
    assert not pop.jobs["is_promoted"].any()
    assert (pop.members["seniority"] == 6).all() and (pop.jobs["seniority"] == 6).all()
