"""The GNN decoder file: round trip, refusal of a decoder of another model version."""

from __future__ import annotations

import numpy as np
import pytest

from linksage.errors import LinksageError
from linksage.feature_store.decoder import LinkDecoder, read_decoder, write_decoder
from linksage.feature_store.embeddings import embeddings_table
from linksage.io import write_parquet


def _mlp(version: str = "v1") -> LinkDecoder:
    rng = np.random.default_rng(0)
    shapes = {"w1": (4, 6), "b1": (4,), "w2": (1, 4), "b2": (1,)}
    return LinkDecoder(
        "mlp", version, {k: np.float32(rng.normal(size=s)) for k, s in shapes.items()}
    )


def _embeddings(repo, version: str) -> None:
    table = embeddings_table(
        id_column="member_id",
        ids=[1, 2],
        vectors=np.ones((2, 2), np.float32),
        event_timestamps=np.array(["2026-01-01", "2026-01-02"], dtype="datetime64[ns]"),
        model_version=version,
    )
    write_parquet(table, repo / "data" / "member_embeddings.parquet")


def test_round_trip_scores_the_same_pairs(tmp_path):
    (tmp_path / "data").mkdir()
    assert read_decoder(tmp_path) is None  # a repo without a decoder: the integration is off
    decoder = _mlp()
    write_decoder(tmp_path / "data", decoder)
    _embeddings(tmp_path, "v1")
    back = read_decoder(tmp_path)
    m, j = np.float32([[1, 2], [0, -1]]), np.float32([[3, 1], [2, 2]])
    np.testing.assert_allclose(back.logits(m, j), decoder.logits(m, j), rtol=1e-6)
    cosine = LinkDecoder("cosine", "v1", {"scale": np.float32(2.0), "bias": np.float32(1.0)})
    # 2 cos + 1: cos([1, 0], [1, 0]) = 1, cos([1, 0], [0, 1]) = 0
    np.testing.assert_allclose(
        cosine.logits(np.float32([[1, 0], [1, 0]]), np.float32([[3, 0], [0, 5]])), [3.0, 1.0]
    )


def test_a_decoder_of_another_model_is_refused_and_a_bad_file_named(tmp_path):
    (tmp_path / "data").mkdir()
    write_decoder(tmp_path / "data", _mlp("old"))
    _embeddings(tmp_path, "new")
    with pytest.raises(LinksageError, match="re-run `linksage embed`"):
        read_decoder(tmp_path)
    (tmp_path / "data" / "gnn_decoder.json").write_text('{"kind": "mlp", "w1": [1]}')
    with pytest.raises(LinksageError, match="gnn_decoder.json.*b1, w2, b2 missing|missing"):
        read_decoder(tmp_path)
    with pytest.raises(LinksageError, match="kind 'gat'"):
        LinkDecoder("gat", "v1", {})
