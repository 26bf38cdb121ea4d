"""A random (untrained, frozen) GNN encoder, its checkpoint and its ONNX ego encoders: what the
nearline tests and the embedding/nearline benchmarks need when the values do not depend on
training."""

from __future__ import annotations

from pathlib import Path


def encoder_kwargs(
    id_maps,
    *,
    hidden_dim: int,
    embedding_dim: int,
    aggregation: str = "mean",
    skill_nodes: bool = True,
) -> dict:
    """LinkSageEncoder's keyword arguments for the graph of `id_maps` (as the checkpoint stores
    them)."""
    from gnn_encoder.features import feature_dims
    from gnn_encoder.graph import ATTRIBUTE_TYPES, edge_types

    return {
        "edge_types": list(edge_types(skill_nodes)),
        "feature_dims": feature_dims(id_maps),
        "vocab_sizes": {t: id_maps.size(t) for t in ATTRIBUTE_TYPES},
        "hidden_dim": hidden_dim,
        "embedding_dim": embedding_dim,
        "aggregation": aggregation,
    }


def random_encoder(
    id_maps,
    *,
    seed: int | None = 0,
    hidden_dim: int = 8,
    embedding_dim: int = 4,
    aggregation: str = "mean",
):
    """An untrained (random, frozen) encoder: equality does not depend on training. `seed`
    seeds torch first (None: leave torch's generator as it is)."""
    import torch

    from gnn_encoder.model import LinkSageEncoder

    if seed is not None:
        torch.manual_seed(seed)
    kwargs = encoder_kwargs(
        id_maps, hidden_dim=hidden_dim, embedding_dim=embedding_dim, aggregation=aggregation
    )
    return LinkSageEncoder(**kwargs).eval()


def save_random_checkpoint(
    path: Path,
    id_maps,
    *,
    neighbour_cap: int,
    t_gnn_end,
    hidden_dim: int = 8,
    embedding_dim: int = 4,
    seed: int | None = 0,
    top_skills: int = 5,
):
    """Save a checkpoint of `random_encoder(id_maps, seed=seed, ...)` with a fresh MLP decoder
    (created after the encoder, from the same generator); returns the encoder."""
    from gnn_encoder.checkpoint import save_checkpoint
    from gnn_encoder.decoders import make_decoder

    encoder = random_encoder(id_maps, seed=seed, hidden_dim=hidden_dim, embedding_dim=embedding_dim)
    save_checkpoint(
        path,
        encoder=encoder,
        encoder_kwargs=encoder_kwargs(id_maps, hidden_dim=hidden_dim, embedding_dim=embedding_dim),
        decoder=make_decoder("mlp", embedding_dim),
        decoder_name="mlp",
        id_maps=id_maps,
        top_skills=top_skills,
        skill_nodes=True,
        neighbour_cap=neighbour_cap,
        t_gnn_end=t_gnn_end.isoformat(),
    )
    return encoder


def export_ego_encoders(
    encoder, id_maps, directory: Path, cap: int, *, model_version: str | None = None
) -> dict[str, Path]:
    """`encoder_member.onnx` and `encoder_job.onnx` in `directory`; {target: path}. With
    `model_version`, also the id maps file beside them (as `linksage embed` writes it)."""
    from gnn_encoder.features import feature_dims
    from gnn_encoder.onnx_export import export_ego_onnx, write_id_maps_file

    if model_version is not None:
        write_id_maps_file(directory, id_maps, top_skills=5, model_version=model_version)
    return {
        target: export_ego_onnx(
            encoder,
            Path(directory) / f"encoder_{target}.onnx",
            target_type=target,
            cap=cap,
            feature_dims=feature_dims(id_maps),
        )
        for target in ("member", "job")
    }
