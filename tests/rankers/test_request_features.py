"""Query words and query-job overlap, computed by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from rankers.request_features import add_request_features, overlap, words


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


def test_ebr_gets_query_words_only_and_rankers_nothing():
    frame = pd.DataFrame({"query": ["Data"]})
    assert add_request_features(frame, "ebr").columns.tolist() == ["query", "query__words"]
    assert add_request_features(frame, "jymbii").columns.tolist() == ["query"]
