"""The generator's engagement probability, exposed for simulations on top of the marketplace
(linksage.synthetic.engagement): it is the one the generator draws applies with."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from linksage.synthetic.engagement import engagement_model
from linksage.synthetic.marketplace import generate_marketplace

START = datetime(2026, 1, 1, tzinfo=UTC)
ARGS = {"members": 600, "seed": 4, "start": START, "days": 21, "preset": "dense"}


def test_applies_on_impressions_follow_the_exposed_probability():
    t = generate_marketplace(**ARGS)
    model = engagement_model(**ARGS)
    imp = t.impressions
    p = model.apply_probability(imp["member_id"], imp["job_id"], rank=imp["rank"].to_numpy())
    e = t.engagements
    observed = int(((e["action"] == "apply") & e["request_id"].notna()).sum())
    expected = float(p.sum())
    # independent Bernoulli draws: the count is within 4 standard deviations of its mean
    assert abs(observed - expected) < 4 * np.sqrt(expected), (observed, expected)
    assert observed > 50


def test_rank_and_page_visits():
    model = engagement_model(**ARGS)
    m, j = np.array([1, 2, 3]), np.array([5, 5, 9])
    top, tenth = model.apply_probability(m, j, rank=1), model.apply_probability(m, j, rank=10)
    page = model.apply_probability(m, j, rank=None)
    assert ((tenth < top) & (top < page) & (page < 1) & (tenth > 0)).all()


def test_the_model_knows_its_own_tables():
    t = generate_marketplace(**ARGS)
    assert engagement_model(**ARGS).describes(t.members, t.jobs)
    assert not engagement_model(**{**ARGS, "seed": 5}).describes(t.members, t.jobs)
    assert not engagement_model(**{**ARGS, "members": 601}).describes(t.members, t.jobs)
