import pytest
import torch
from handmade import hand_tables, ts

from gnn_encoder.checkpoint import load_checkpoint, save_checkpoint
from gnn_encoder.decoders import make_decoder
from gnn_encoder.features import feature_dims
from gnn_encoder.graph import ATTRIBUTE_TYPES, edge_types
from gnn_encoder.id_maps import build_id_maps
from gnn_encoder.model import LinkSageEncoder


@pytest.mark.parametrize("degree_features", [True, False])
@pytest.mark.parametrize("shared_root", [True, False])
def test_checkpoint_round_trip_reads_options_left_out_of_the_kwargs(
    tmp_path, degree_features, shared_root
):
    """Checkpoints written before an option existed (kwargs without it) load with the weights'
    own structure."""
    maps = build_id_maps(hand_tables(), before=ts(8))
    kwargs = {
        "edge_types": list(edge_types()),
        "feature_dims": feature_dims(maps),
        "vocab_sizes": {k: maps.size(k) for k in ATTRIBUTE_TYPES},
        "hidden_dim": 8,
        "embedding_dim": 4,
    }
    torch.manual_seed(0)
    enc = LinkSageEncoder(**kwargs, degree_features=degree_features, shared_root=shared_root)
    save_checkpoint(
        tmp_path / "c.pt",
        encoder=enc,
        encoder_kwargs=kwargs,
        decoder=make_decoder("mlp", 4),
        decoder_name="mlp",
        id_maps=maps,
        top_skills=2,
        skill_nodes=True,
        neighbour_cap=5,
        t_gnn_end=ts(8).isoformat(),
    )
    back = load_checkpoint(tmp_path / "c.pt").encoder
    assert (back.degree is not None) == degree_features
    assert back.state_dict().keys() == enc.state_dict().keys()
    for k, v in enc.state_dict().items():
        assert torch.equal(back.state_dict()[k], v), k
