"""The realism settings of the synthetic marketplace: popularity concentration
(`popularity_exposure`) and seeker sessions (`session_fraction`), on tiny marketplaces
(docs/generative_model.md, "Realism")."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import numpy as np
import pandas as pd

from linksage.data.log_shape import engagement_concentration, new_member_share
from linksage.synthetic.activity import simulate_activity
from linksage.synthetic.entities import make_population
from linksage.synthetic.job_sampler import LiveJobSampler
from linksage.synthetic.marketplace import generate_marketplace
from linksage.synthetic.preset import DAY, get_preset

START = datetime(2026, 1, 1, tzinfo=UTC)
PAPER = get_preset("paper")
OFF = replace(PAPER, popularity_exposure=0.0, session_fraction=0.0)
MEMBERS, DAYS, TEST_DAYS = 3000, 42, 14


def _gen(preset, seed=1):
    return generate_marketplace(members=MEMBERS, seed=seed, start=START, days=DAYS, preset=preset)


def _test_window_share(tables) -> float:
    """New-member share of the last two weeks' requests, as an export (no request ids) has them."""
    export = tables.engagements.assign(request_id=None)
    end = START + timedelta(days=DAYS)
    return new_member_share(export, end - timedelta(days=TEST_DAYS), end)


def test_popularity_exposure_concentrates_engagement_on_few_jobs():
    off = _gen(replace(PAPER, popularity_exposure=0.0))
    on = _gen(PAPER)
    for action in (None, "apply"):
        before = engagement_concentration(off.engagements, action)
        after = engagement_concentration(on.engagements, action)
        assert after["gini"] > before["gini"] + 0.05, (action, before, after)
        assert after["top10_share"] > before["top10_share"] + 0.05, (action, before, after)
    everything = engagement_concentration(on.engagements)
    assert everything["gini"] > 0.55 and everything["top10_share"] > 0.4, everything
    # it moves traffic between jobs; the volume stays within 10% (the paper ratios' calibration)
    assert abs(len(on.engagements) / len(off.engagements) - 1) < 0.1


def test_sessions_give_the_requested_share_of_new_members():
    shares = {}
    for fraction in (0.0, 0.5, 0.9):
        shares[fraction] = _test_window_share(_gen(replace(PAPER, session_fraction=fraction)))
    assert shares[0.0] < 0.3, shares  # members active throughout mostly engaged before
    for fraction in (0.5, 0.9):
        assert abs(shares[fraction] - fraction) < 0.06, shares


def test_session_seekers_act_in_bursts_inside_their_session():
    p = replace(PAPER, session_fraction=0.9)
    rng = np.random.default_rng(0)
    pop = make_population(rng, members=1500, start=0, days=DAYS, p=p)
    act = simulate_activity(rng, pop, p)
    length = pop.m_span[:, 1] - pop.m_span[:, 0]
    in_session = length < (DAYS - 1) * DAY
    assert 0.85 < in_session.mean() < 0.95
    assert 1.0 < np.median(length[in_session]) / DAY < 2.0  # exponential, mean 2 days
    imp = act.impressions
    at = (imp["at"].astype("int64") // 10**6).to_numpy()  # microseconds to epoch seconds
    span = pop.m_span[imp["member_id"].to_numpy() - 1]
    assert ((at >= span[:, 0]) & (at < span[:, 1])).all()
    # members who signed up during the period start their session then
    signed_up = in_session & (pop.m_created >= 0)
    assert (pop.m_span[signed_up, 0] == pop.m_created[signed_up]).all()


def test_realism_changes_activity_only():
    """The member and job tables (every attribute ratio) are the same with or without it."""
    off, on = _gen(OFF), _gen(PAPER)
    for name in ("members", "jobs", "member_skills", "job_skills", "member_positions"):
        pd.testing.assert_frame_equal(getattr(off, name), getattr(on, name))
    assert not off.engagements.equals(on.engagements)


def test_exposure_weighted_impressions_are_distinct_live_ranked_jobs():
    t = _gen(PAPER, seed=2)
    imp, jobs = t.impressions, t.jobs.set_index("job_id")
    sizes = imp.groupby("request_id").size()
    assert sizes.max() <= 20 and sizes.median() >= 10
    assert not imp.duplicated(["request_id", "job_id"]).any()
    assert (imp.groupby("request_id")["rank"].max() == sizes).all()
    posted = imp["job_id"].map(jobs["posted_at"])
    expires = imp["job_id"].map(jobs["expires_at"])
    assert ((posted <= imp["at"]) & (imp["at"] < expires)).all()


def test_weighted_sampling_draws_distinct_live_jobs_in_proportion_to_attractiveness():
    n, k, draws = 400, 5, 4000
    posted = np.arange(n, dtype=np.int64)
    expires = posted + 1000
    expires[1::2] = posted[1::2] + 1  # half have expired by t
    jobs = SimpleNamespace(j_posted=posted, j_expires=expires, j_area=np.zeros(n, dtype=np.int64))
    log_weight = np.zeros(n)
    log_weight[0] = 3.0  # e^3: twenty times as attractive as any other
    live = LiveJobSampler(jobs, log_weight, pool=100)
    t = np.full(draws, n + 5, dtype=np.int64)
    for area in (None, np.zeros(draws, dtype=np.int64)):
        idx, ok = live.sample(np.random.default_rng(0), t, k, area)
        assert ok.all() and (idx % 2 == 0).all()  # k live jobs in every row (200 are live)
        assert (np.sort(idx, axis=1)[:, 1:] != np.sort(idx, axis=1)[:, :-1]).all()
        uniform_share = k / (n // 2)
        heavy = (idx == 0).any(axis=1).mean()
        assert heavy > 5 * uniform_share, heavy
        idx, _ = live.sample(np.random.default_rng(0), t, k, area, uniform=True)
        assert (idx == 0).any(axis=1).mean() < 2 * uniform_share
