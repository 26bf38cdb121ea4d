"""The offline replay on a hand-made case, and the campaign simulation: seeded, never over
budget, and the same decision for a member whoever else is in the audience."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from targeting.campaign import Budget, active_by_day, campaigns, n_days, simulate, uniforms
from targeting.replay import Qualification, appliers, audience_recall
from tests.targeting.handmade import day, events, jobs

START, END = day(10), day(17)


def _camps():
    j = jobs([(1, "a", "x", 2, "paris", True, 5, 12.5),   # runs days 0-2 (live at their start)
              (2, "b", "x", 2, "paris", True, 13.2, 40),  # runs days 4-6
              (3, "c", "x", 2, "paris", False, 0, 40),    # not promoted
              (4, "d", "x", 2, "paris", True, 16.5, 40)])  # posted after the last day's start  # fmt: skip
    return campaigns(j, START, END)


def test_campaign_days_start_when_the_job_is_live_at_the_day_start():
    c = _camps()
    assert list(c["job_id"]) == [1, 2]
    assert list(c["first_day"]) == [0, 4] and list(c["last_day"]) == [3, 7]
    assert list(c["start"]) == [START, day(14)] and list(c["end"]) == [day(12.5), END]


def test_audience_recall_on_a_hand_made_case():
    e = events([(7, 1, "apply", 11), (8, 1, "apply", 11.5), (9, 1, "apply", 9),  # 9: before
                (7, 2, "apply", 13.5),  # before job 2's campaign starts (day 14)
                (5, 2, "apply", 15), (5, 2, "apply", 16), (6, 2, "click", 15)])  # fmt: skip
    applied = appliers(e, _camps())
    assert {j: list(v) for j, v in applied.items()} == {1: [7, 8], 2: [5]}
    audiences = {1: np.array([7, 3]), 2: np.array([1, 2])}
    assert audience_recall(audiences, applied) == pytest.approx((1 / 2 + 0) / 2)
    assert audience_recall(audiences, {}) is None


def test_active_members_per_day():
    e = events([(7, 1, "view", 10.2), (7, 1, "apply", 10.3), (8, 1, "view", 11), (9, 1, "view", 3)])
    active = active_by_day([e, None], np.array([7, 8, 9]), START, n_days(START, END))
    assert {d: list(m) for d, m in active.items()} == {0: [7], 1: [8]}


def _simulate(seed, p=0.5, budget=Budget(2.5, 1.0), audiences=None):
    camps = _camps()
    everyone = np.arange(1, 41)
    active = {d: everyone for d in range(7)}
    audiences = audiences or {1: everyone, 2: everyone[:10]}

    def probability(m, j):
        return np.full(len(m), p)

    def qualified(m, j):
        return m % 2 == 0

    return simulate(audiences, camps, active, probability, qualified, budget, seed)


def test_simulation_is_deterministic_per_seed_and_never_overspends():
    a, b, c = _simulate(0), _simulate(0), _simulate(1)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    assert len(a) == 6 and (a["spent"] <= a["budget"]).all()
    # a 2.5 budget buys 2 applies a day: 40 members at p = 0.5 always fill it
    assert (a.loc[a["job_id"] == 1, "applies"] == 2).all()
    assert (a["qualified"] <= a["applies"]).all()
    everyone_applies = _simulate(0, p=1.0, budget=Budget(100.0, 3.0))
    assert (everyone_applies["applies"] == [33, 33, 33, 10, 10, 10]).all()
    assert (everyone_applies["spent"] <= 100.0).all()


def test_a_members_decision_does_not_depend_on_the_rest_of_the_audience():
    alone = uniforms(3, 1, 2, 0, np.array([17]))
    crowd = uniforms(3, 1, 2, 0, np.array([5, 17, 29]))
    assert alone[0] == crowd[1] and 0 <= alone[0] < 1
    assert uniforms(3, 1, 2, 0, np.array([17]))[0] != uniforms(3, 1, 3, 0, np.array([17]))[0]


def test_qualified_is_same_title_or_a_top_job_skill():
    member_title = pd.Series({1: "nurse", 2: "chef", 3: ""})
    job_title = pd.Series({10: "nurse", 11: ""})
    job_skills = pd.DataFrame({"job_id": [10, 10, 10, 10, 11], "skill": ["a", "b", "c", "d", "e"],
                               "score": [0.9, 0.8, 0.7, 0.1, 0.5]})  # fmt: skip
    member_skills = pd.DataFrame({"member_id": [2, 2, 3], "skill": ["d", "e", "b"], "score": 1.0})
    q = Qualification(member_title, job_title, member_skills, job_skills)
    got = q(np.array([1, 2, 3, 2, 3]), np.array([10, 10, 10, 11, 11]))
    # nurse: same title; chef: only the 4th skill of job 10; member 3: a top skill; an empty
    # title never matches; e is job 11's top skill
    assert list(got) == [True, False, True, True, False]
