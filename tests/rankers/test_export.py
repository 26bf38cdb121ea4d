"""tf2onnx export of a model with every input kind; onnxruntime matches TensorFlow."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from linksage.feature_store.decoder import LinkDecoder
from rankers.export import check_parity, export_onnx, onnx_predict, onnx_session
from rankers.features.plan import FeaturePlan
from rankers.features.schema import FeatureSpec
from rankers.models.networks import DCNRanker
from rankers.training.loop import make_deterministic

SPECS = [
    FeatureSpec("member_id", "id", "member"),
    FeatureSpec("v__title", "categorical", "job"),
    FeatureSpec("v__skills", "bag", "job", separator="|"),
    FeatureSpec("v__n", "numeric", "job"),
    FeatureSpec("m__emb", "vector", "member", gnn=True),
    FeatureSpec("j__emb", "vector", "job", gnn=True),
]


def _decoder(kind: str, dim: int = 3) -> LinkDecoder:
    rng = np.random.default_rng(1)
    weights = {
        "mlp": {"w1": rng.normal(size=(4, 3 * dim)), "b1": rng.normal(size=4),
                "w2": rng.normal(size=(1, 4)), "b2": rng.normal(size=1)},
        "cosine": {"scale": np.float32(5.0), "bias": np.float32(-0.5)},
        "inbatch": {"temperature": np.float32(np.sqrt(dim))},
    }[kind]  # fmt: skip
    return LinkDecoder(kind, "v1", {k: np.asarray(v, np.float32) for k, v in weights.items()})


@pytest.mark.parametrize(
    ("gnn_inputs", "decoder_kind"),
    [("raw", "mlp"), ("decoder", "mlp"), ("decoder", "cosine"), ("decoder", "inbatch")],
)
def test_onnx_scores_match_tensorflow_including_unknown_values(tmp_path, gnn_inputs, decoder_kind):
    rng = np.random.default_rng(0)
    n = 32
    frame = pd.DataFrame(
        {
            "member_id": rng.integers(0, 5, n),
            "v__title": rng.choice(["a", "b", None], n),
            "v__skills": rng.choice(["x|y", "y", "", "q|x|w"], n),
            "v__n": rng.normal(size=n),
            "m__emb": list(rng.normal(size=(n, 3)).astype(np.float32)),
            "j__emb": list(rng.normal(size=(n, 3)).astype(np.float32)),
        }
    )
    frame.loc[[20, 25], "j__emb"] = None  # jobs without an embedding: zeros, flagged absent
    decoder = _decoder(decoder_kind)
    # the rest holds unseen ids and tokens
    plan = FeaturePlan.fit(frame.head(16), SPECS, decoder=decoder)
    make_deterministic(0)
    model = DCNRanker(
        plan, embedding_dim=4, cross_layers=2, hidden_units=(8,), gnn_inputs=gnn_inputs
    )
    scorer = model.scorer()
    path = export_onnx(scorer, tmp_path / "model.onnx")
    arrays = plan.arrays(frame)
    session = onnx_session(path)
    assert {i.name for i in session.get_inputs()} == {s.name for s in SPECS}
    np.testing.assert_allclose(
        onnx_predict(session, arrays), scorer.predict(arrays, verbose=0), atol=1e-5
    )
    assert check_parity(scorer, path, arrays) <= 1e-4


def test_none_integration_leaves_the_arms_vectors_out_and_scores_the_same_onnx(tmp_path):
    rng = np.random.default_rng(0)
    n = 32
    frame = pd.DataFrame(
        {
            "member_id": rng.integers(0, 5, n),
            "v__title": rng.choice(["a", "b"], n),
            "v__skills": rng.choice(["x|y", "y"], n),
            "v__n": rng.normal(size=n),
            "m__emb": list(rng.normal(size=(n, 3)).astype(np.float32)),
            "j__emb": list(rng.normal(size=(n, 3)).astype(np.float32)),
        }
    )
    plan = FeaturePlan.fit(frame, SPECS)
    make_deterministic(0)
    scorer = DCNRanker(plan, embedding_dim=4, hidden_units=(8,), gnn_inputs="none").scorer()
    assert set(scorer.input_names) == {"member_id", "v__title", "v__skills", "v__n"}
    path = export_onnx(scorer, tmp_path / "model.onnx")
    session = onnx_session(path)
    arrays = plan.arrays(frame)  # serving computes every plan input; the model takes its own
    assert {i.name for i in session.get_inputs()} == set(scorer.input_names)
    other = plan.arrays(frame.assign(m__emb=list(rng.normal(size=(n, 3)).astype(np.float32))))
    np.testing.assert_array_equal(onnx_predict(session, arrays), onnx_predict(session, other))
    assert check_parity(scorer, path, {k: arrays[k] for k in scorer.input_names}) <= 1e-4
