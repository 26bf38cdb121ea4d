"""Query words, query-job overlap and member-job profile overlap, computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rankers.features.request import add_request_features, overlap, word_sets, words
from rankers.features.schema import request_specs


def test_words_are_lowercase_alphanumeric():
    assert words("Senior Data-Engineer, ML/AI 2") == ["senior", "data", "engineer", "ml", "ai", "2"]
    assert words(None) == []


def test_overlap_is_the_share_of_distinct_query_words_found():
    frame = pd.DataFrame(
        {
            "query": ["data engineer data", None, "python chef"],
            "job_profile__title": ["Data Scientist", "Chef", "Sous Chef"],
            "job_profile__top_skills": ["python|sql", "cooking", None],
        }
    )
    out = add_request_features(frame, "search")
    assert out["query__words"].tolist() == ["data engineer data", "", "python chef"]
    assert out["query__title_overlap"].tolist() == pytest.approx([1 / 2, 0.0, 1 / 2])
    assert out["query__skill_overlap"].tolist() == pytest.approx([0.0, 0.0, 0.0])
    assert overlap(["python", "sql", "go"], {"python", "sql"}) == pytest.approx(2 / 3)


# One member-job pair per row; expected counts of distinct member words (title + top skills)
# found in the job's title words and in its top skills' words.
PROFILES = pd.DataFrame(
    [
        # case-insensitive; "senior" and "sql" are not on the job
        ("Senior Data Engineer", "Python|SQL", "data engineer", "python|spark", 2, 1),
        # the same member, another job: nothing shared
        ("Senior Data Engineer", "Python|SQL", "Sous Chef", "cooking", 0, 0),
        # a word repeated on the job counts once; a member without skills still has a title
        ("PYTHON Developer", None, "Python python developer", "Java", 2, 0),
        # the member's skills count against the job's title too; "|"-joined skills split
        (None, "Machine Learning|Go", "Machine Learning Engineer", "go|rust", 2, 1),
        # a member with no title and no skills (e.g. no profile row visible): 0
        (None, None, "Data Engineer", "python", 0, 0),
        # a job with no title and no skills: 0
        ("Data Engineer", "python", None, np.nan, 0, 0),
    ],
    columns=[
        "member_profile__title",
        "member_profile__top_skills",
        "job_profile__title",
        "job_profile__top_skills",
        "title_overlap",
        "skill_overlap",
    ],
)


@pytest.mark.parametrize("task", ["jymbii", "search", "taj"])
def test_profile_overlap_counts_distinct_member_words_found_on_the_job(task):
    frame = PROFILES.drop(columns=["title_overlap", "skill_overlap"])
    out = add_request_features(frame, task)
    assert out["profile__title_overlap"].tolist() == PROFILES["title_overlap"].tolist()
    assert out["profile__skill_overlap"].tolist() == PROFILES["skill_overlap"].tolist()
    assert out["profile__title_overlap"].dtype == np.float32
    assert out.index.equals(frame.index)


def test_profile_overlap_follows_the_frame_index_and_missing_member_columns():
    frame = PROFILES.drop(columns=["title_overlap", "skill_overlap"]).iloc[::-1]
    frame.index = [10, 3, 7, 1, 0, 4]
    out = add_request_features(frame, "jymbii")
    assert out["profile__title_overlap"].tolist() == PROFILES["title_overlap"][::-1].tolist()
    assert out["profile__skill_overlap"].tolist() == PROFILES["skill_overlap"][::-1].tolist()
    no_member = frame.drop(columns=["member_profile__title", "member_profile__top_skills"])
    out = add_request_features(no_member, "taj")
    assert out["profile__title_overlap"].tolist() == [0.0] * len(frame)
    assert out["profile__skill_overlap"].tolist() == [0.0] * len(frame)
    empty = add_request_features(frame.head(0), "jymbii")
    assert empty["profile__title_overlap"].tolist() == []


def test_word_sets_union_the_columns_per_row():
    titles = pd.Series(["Data Engineer", None, "Data Engineer", "Chef"])
    skills = pd.Series(["sql|Python", "go", None, "sql|Python"])
    assert word_sets(titles, skills) == [
        {"data", "engineer", "sql", "python"},
        {"go"},
        {"data", "engineer"},
        {"chef", "sql", "python"},
    ]
    assert word_sets(pd.Series([None, np.nan, "A a"])) == [set(), set(), {"a"}]


@pytest.mark.parametrize("task", ["jymbii", "search", "taj", "ebr"])
def test_request_specs_name_exactly_the_columns_added(task):
    frame = PROFILES.drop(columns=["title_overlap", "skill_overlap"]).assign(query="data")
    added = set(add_request_features(frame, task).columns) - set(frame.columns)
    assert {s.name for s in request_specs(task)} == added
    profile = {"profile__title_overlap", "profile__skill_overlap"}
    assert (profile <= added) == (task != "ebr")
    assert all(
        s.kind == "numeric" and s.side == "pair" for s in request_specs(task) if s.name in profile
    )


def test_ebr_gets_query_words_only():
    frame = PROFILES.drop(columns=["title_overlap", "skill_overlap"]).assign(query="Data")
    out = add_request_features(frame, "ebr")
    assert out.columns.tolist() == [*frame.columns, "query__words"]
    assert add_request_features(frame, "other").columns.tolist() == frame.columns.tolist()
