"""Confirmed hires: both rules, the 60-day limit, and nothing confirmed in the test window."""

from __future__ import annotations

from targeting.audiences import hire_segments
from targeting.hires import confirmed_hires
from tests.targeting.handmade import day, events, jobs, members, positions, tables

TEST_START = day(45)


def _marketplace():
    m = members([(1, "cook", 1, "paris"), (2, "data engineer", 3, "paris"), (3, "chef", 2, "lyon"),
                 (4, "nurse", 4, "lyon"), (5, "analyst", 2, "paris")])  # fmt: skip
    j = jobs([(10, "data engineer", "acme", 3, "paris", False, 0, 30),
              (11, "data engineer", "acme", 2, "paris", False, 0, 90),
              (12, "nurse", "", 4, "lyon", False, 0, 90)])  # fmt: skip
    e = events([
        (1, 10, "apply", 1),   # hearing back on day 3: a hire
        (2, 11, "apply", 1),   # a position there 39 days later: a hire
        (3, 11, "apply", 1),   # a position there 69 days later: too late
        (4, 10, "apply", 1),   # hearing back only in the test window: not yet a hire
        (4, 12, "apply", 46),  # applied and heard back in the test window
        (5, 11, "click", 1),   # a position there, but no application
        (3, 12, "apply", 2),   # a position at a job without company: no rule applies
    ])  # fmt: skip
    r = events([
        (1, 10, "positive_hearing_back", 3),
        (4, 10, "positive_hearing_back", 50),
        (4, 12, "positive_hearing_back", 47),
        (1, 11, "positive_hearing_back", 4),  # heard back without applying: not a hire
        (1, 10, "message", 3.5),
    ])  # fmt: skip
    p = positions([
        (2, "analyst co", "analyst", -400),  # what member 2 was before the hire
        (2, "acme", "data engineer", 40),
        (3, "acme", "data engineer", 70),
        (5, "acme", "data engineer", 20),
        (3, "", "nurse", 10),
    ])  # fmt: skip
    return tables(m, j, e, recruiter_actions=r, member_positions=p)


def test_both_rules_the_60_day_limit_and_nothing_from_the_test_window():
    hires = confirmed_hires(_marketplace(), TEST_START, position_days=60)
    found = set(zip(hires["member_id"], hires["job_id"], hires["rule"], strict=True))
    assert found == {(1, 10, "hearing_back"), (2, 11, "position")}
    assert (hires["hired_at"] < TEST_START).all() and (hires["applied_at"] < TEST_START).all()
    # a later test window lets member 4's hearing back (day 50) count; member 3's position
    # (day 70, 69 days after applying) needs both a later window and a longer limit
    later = confirmed_hires(_marketplace(), day(80), position_days=60)
    pairs = set(zip(later["member_id"], later["job_id"], strict=True))
    assert (4, 10) in pairs and (3, 11) not in pairs
    longer = confirmed_hires(_marketplace(), day(80), position_days=70)
    assert (3, 11) in set(zip(longer["member_id"], longer["job_id"], strict=True))


def test_hires_without_the_optional_tables_are_none():
    t = _marketplace()
    t.recruiter_actions, t.member_positions = None, None
    assert confirmed_hires(t, TEST_START).empty


def test_a_hire_links_the_title_the_member_held_when_applying():
    t = _marketplace()
    hires = confirmed_hires(t, TEST_START)
    segs = hire_segments(hires, t.members, t.member_positions, t.jobs).set_index(hires["member_id"])
    # members.title already says "data engineer" (the profile after the hire); the graph must
    # learn that an analyst was hired into a data engineer job
    assert segs.loc[2, "member_title"] == "analyst"
    assert segs.loc[2, "job_segment"] == "data engineer|1|paris"
    assert segs.loc[1, "member_segment"] == "cook|0|paris"
