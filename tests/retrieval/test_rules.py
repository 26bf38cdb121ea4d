"""The rules, against a plain per-job reading of their definition."""

from __future__ import annotations

import numpy as np
import pandas as pd

from retrieval.rules import RULES, JobRules, Request, profile_terms, timestamps_ns, words

DAY = 86_400 * 10**9


def random_jobs(n: int, rng: np.random.Generator) -> dict:
    """Small random attributes: 4 places plus remote, seniority 0-6, a few of 12 terms."""
    places = np.array(["paris", "lyon", "nice", "lille", "remote", ""])
    posted = rng.integers(0, 30 * DAY, size=n)
    return {
        "posted_ns": posted,
        "expires_ns": posted + rng.integers(1, 15 * DAY, size=n),
        "seniority": rng.integers(0, 7, size=n),
        "location": places[rng.integers(len(places), size=n)].tolist(),
        "terms": [
            frozenset(f"t{t}" for t in rng.choice(12, size=rng.integers(0, 4), replace=False))
            for _ in range(n)
        ],
    }


def passes(job: dict, r: Request) -> bool:
    """The rules read literally, one job at a time."""
    live = job["posted_ns"] <= r.at_ns < job["expires_ns"]
    place = job["location"] == "remote" or (bool(r.location) and job["location"] == r.location)
    near = r.seniority is not None and abs(int(job["seniority"]) - r.seniority) <= 1
    return bool(live and place and near and job["terms"] & r.terms)


def test_rows_and_check_agree_with_the_rules_read_literally():
    rng = np.random.default_rng(3)
    attrs = random_jobs(400, rng)
    rules = JobRules(**attrs)
    jobs = [{k: v[i] for k, v in attrs.items()} for i in range(400)]
    for _ in range(60):
        request = Request(
            at_ns=int(rng.integers(0, 40 * DAY)),
            seniority=int(rng.integers(0, 7)),
            location=str(rng.choice(["paris", "lyon", "remote", "berlin", ""])),
            terms=frozenset(f"t{t}" for t in rng.choice(14, size=2, replace=False)),
        )
        expected = [i for i, job in enumerate(jobs) if passes(job, request)]
        assert rules.rows(request).tolist() == expected
        assert np.flatnonzero(rules.check(np.arange(400), request)).tolist() == expected
        counts = rules.counts(request)
        assert counts.corpus == 400 and counts.terms == len(expected)


def test_an_empty_result_names_the_rule_that_left_nothing():
    rules = JobRules(
        posted_ns=np.array([0, 0]), expires_ns=np.array([10, 10]), seniority=np.array([2, 3]),
        location=["paris", "lyon"], terms=[frozenset({"python"}), frozenset({"sql"})],
    )  # fmt: skip
    request = Request(at_ns=5, seniority=2, location="paris", terms=frozenset({"java"}))
    assert len(rules.rows(request)) == 0
    reason = rules.counts(request).reason()
    assert reason == (
        "no job passes the rules (of 2 jobs, live at the request time: 2, in the member's "
        "location or remote: 1, within +-1 of the member's seniority: 1, sharing a title or "
        "skill term: 0)"
    )
    assert rules.live_rows(5).tolist() == [0, 1] and rules.live_rows(10).tolist() == []


def test_feature_store_columns_terms_and_timestamps():
    frame = pd.DataFrame(
        {
            "job_profile__posted_at": pd.to_datetime(["2026-03-01", None], utc=True),
            "job_profile__expires_at": pd.to_datetime(["2026-03-20", "2026-03-20"], utc=True),
            "job_profile__seniority": [3, None],
            "job_profile__location": ["remote", None],
            "job_profile__title": ["Data Engineer", None],
            "job_profile__top_skills": ["apache spark|sql", ""],
        }
    )
    rules = JobRules.from_columns(frame)
    at = timestamps_ns(pd.to_datetime(["2026-03-10"], utc=True))[0]
    member = Request(int(at), 4, "lyon", profile_terms("Senior engineer", None))
    # job 1 has no posting time, seniority or location: it never passes
    assert rules.rows(member).tolist() == [0]
    assert words("Apache Spark|SQL") == ["apache", "spark", "sql"] and words(None) == []


def test_removed_by_rule_counts_what_each_rule_removes_of_the_live_jobs_on_its_own():
    # four live jobs and one expired; the request: paris, seniority 2, term "python"
    rules = JobRules(
        posted_ns=np.array([0, 0, 0, 0, 0]), expires_ns=np.array([10, 10, 10, 10, 3]),
        seniority=np.array([2, 5, 1, 3, 2]),
        location=["paris", "remote", "lyon", "lyon", "paris"],
        terms=[frozenset({"python"}), frozenset({"sql"}), frozenset({"python"}),
               frozenset({"go"}), frozenset({"python"})],
    )  # fmt: skip
    request = Request(at_ns=5, seniority=2, location="paris", terms=frozenset({"python"}))
    live, removed = rules.removed_by_rule(request)
    assert live == 4  # job 4 expired at 3
    # place: lyon, lyon (jobs 2, 3); seniority: 5 (job 1); terms: sql, go (jobs 1, 3)
    assert removed == {"location_or_remote": 2, "seniority_within_1": 1, "shared_term": 2}
    assert list(removed) == list(RULES)
    assert rules.rows(request).tolist() == [0]
    # against the literal reading: a rule removes the live jobs that fail it alone
    rng = np.random.default_rng(5)
    attrs = random_jobs(300, rng)
    rules = JobRules(**attrs)
    request = Request(10 * DAY, 3, "paris", frozenset({"t1", "t2"}))
    live = [
        i for i in range(300) if attrs["posted_ns"][i] <= request.at_ns < attrs["expires_ns"][i]
    ]
    n_live, removed = rules.removed_by_rule(request)
    place = sum(attrs["location"][i] not in ("paris", "remote") for i in live)
    near = sum(abs(int(attrs["seniority"][i]) - 3) > 1 for i in live)
    term = sum(not (attrs["terms"][i] & request.terms) for i in live)
    assert (n_live, removed) == (
        len(live),
        {"location_or_remote": place, "seniority_within_1": near, "shared_term": term},
    )
