"""The tiny experiment's config mapping (windows that fit a 400-member dense marketplace)."""

from __future__ import annotations

from pathlib import Path

TINY_MEMBERS = 400


def tiny_config_dict(tmp_path: Path, members: int = TINY_MEMBERS) -> dict:
    """A complete, valid config mapping for tiny runs under tmp_path."""
    return {
        "name": "tiny",
        "output_dir": str(tmp_path / "run"),
        "data": {
            "source": "synthetic",
            "synthetic": {
                # denser than the paper preset so every task (TAJ too) has labels at 400 members
                "preset": "dense",
                "members": members,
                "seed": 3,
                "start": "2026-01-01T00:00:00Z",
                "days": 42,
            },
        },
        "windows": {
            "t_gnn_end": "2026-01-29T00:00:00Z",
            "t_train_start": "2026-01-29T00:00:00Z",
            "t_train_end": "2026-02-05T00:00:00Z",
            "t_test_start": "2026-02-05T00:00:00Z",
            "t_test_end": "2026-02-12T00:00:00Z",
            "validation_days": 1,
        },
        "gnn": {
            "hidden_dim": 16,
            "embedding_dim": 8,
            "fanouts": [5, 3],
            "epochs": 2,
            "batch_size": 64,
        },
        "feast": {"repo_dir": str(tmp_path / "feature_repo")},
        # one setting per run (no validation-slice search), so the many tiny runs stay fast
        "rankers": {
            "epochs": 1,
            "batch_size": 64,
            "hidden_units": [16],
            "tuning": "off",
            # one EBR model per run (tests/rankers/test_hard_negatives.py covers the others)
            "ebr_negatives": {"strategies": ["in_batch"]},
        },
        "evaluation": {"seeds": [0, 1], "bootstrap_samples": 200},
    }


def tiny_directory_config_dict(tmp_path: Path, data_dir: Path) -> dict:
    """tiny_config_dict reading the marketplace already written in `data_dir`."""
    raw = tiny_config_dict(tmp_path)
    raw["data"] = {"source": "directory", "directory": str(data_dir)}
    return raw
