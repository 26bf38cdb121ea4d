"""What evaluation reads from a ranker run's files beside its predictions."""

from __future__ import annotations

import pandas as pd
import pytest

from evaluation.runs import cold_positive_share


def test_cold_positive_share_counts_positives_on_jobs_the_train_split_never_shows(tmp_path):
    run = tmp_path / "rankers" / "jymbii" / "control" / "seed0"
    run.mkdir(parents=True)
    examples = pd.DataFrame(
        {
            "split": ["train", "train", "validation", "validation", "test", "test", "test", "test"],
            "job_id": [1, 2, 1, 3, 3, 4, 2, 5],
            "label": [1, 0, 1, 1, 1, 1, 1, 0],
        }
    )
    examples.to_parquet(run / "examples.parquet")
    share = cold_positive_share(tmp_path, "jymbii", "control", 0)
    # validation positives: jobs 1 (seen in train) and 3 (not); test positives: 3, 4 (not), 2
    # (seen, as a train negative); job 5 is no positive
    assert share == {"validation": pytest.approx(0.5), "test": pytest.approx(2 / 3)}
    assert cold_positive_share(tmp_path, "jymbii", "gnn", 0) is None
