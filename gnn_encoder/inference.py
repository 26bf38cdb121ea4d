"""Layer-wise full-neighbourhood inference with the frozen encoder.

Instead of sampling an ego graph per node, every layer is computed once for all nodes of the
snapshot: h0 = inputs, h1 = layer 1 over every relation, then the member/job outputs of layer 2.
Each neighbour list is first capped at its `cap` most recent entries (deterministic), so a node's
embedding equals what the ONNX ego-graph encoder (gnn_encoder.ego) gives for the same lists.

Adjacency layout: ``"sparse"`` passes each relation to the PyG layer as a transposed
``torch.sparse_csr`` adjacency (rows = targets; the CSR is built without duplicate pairs), which
SAGEConv aggregates with one sparse matmul; ``"edge_index"`` passes the same edges as COO
edge_index (gather + scatter). Attention (GATConv) needs per-edge scores and always uses
edge_index. Degree features (see gnn_encoder.model) are the capped adjacency's row lengths.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch

from gnn_encoder.graph import EdgeType, SnapshotGraph
from gnn_encoder.model import LinkSageEncoder, NoMessagePassingEncoder, in_degrees
from gnn_encoder.sampler import full_inputs


def adjacency(graph: SnapshotGraph, layout: str = "sparse") -> dict[EdgeType, torch.Tensor]:
    """Every relation of `graph` as a transposed sparse CSR adjacency or as edge_index."""
    out = {}
    warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
    warnings.filterwarnings("ignore", message="Sparse invariant checks")
    for et, rel in graph.relations.items():
        n_dst, n_src = graph.num_nodes[et[2]], graph.num_nodes[et[0]]
        if layout == "sparse":
            out[et] = torch.sparse_csr_tensor(
                torch.from_numpy(rel.indptr),
                torch.from_numpy(rel.indices),
                torch.ones(rel.num_edges),
                size=(n_dst, n_src),
            )
        elif layout == "edge_index":
            out[et] = torch.stack([torch.from_numpy(rel.indices), torch.from_numpy(rel.rows())])
        else:
            raise ValueError(f"layout must be 'sparse' or 'edge_index', got {layout!r}")
    return out


def _summed_layer(hetero_conv, x: dict, adj: dict) -> dict[str, torch.Tensor]:
    """HeteroConv(aggr="sum") evaluated relation by relation with an in-place running sum:
    the same PyG layers and result, without HeteroConv's stack of one [n_dst, d] tensor per
    relation (which dominated peak memory at 1M members)."""
    out: dict[str, torch.Tensor] = {}
    for et, conv in hetero_conv.convs.items():
        src, _, dst = et
        h = conv(x[src] if src == dst else (x[src], x[dst]), adj[et])
        if dst in out:
            out[dst].add_(h)
        else:
            out[dst] = h
        del h
    return out


@torch.no_grad()
def embed_graph(
    encoder: torch.nn.Module,
    graph: SnapshotGraph,
    *,
    cap: int | None = 50,
    layout: str = "sparse",
    device: str | torch.device = "cpu",
) -> dict[str, np.ndarray]:
    """Embeddings {member: [n_members, D], job: [n_jobs, D]} (float32) of every member and job
    node of `graph`, from neighbour lists capped at `cap` (None = all)."""
    encoder = encoder.eval().to(device)
    x = {t: v.to(device) for t, v in full_inputs(graph).items()}
    if isinstance(encoder, NoMessagePassingEncoder):
        out = encoder(x)
    else:
        if isinstance(encoder, LinkSageEncoder) and encoder.aggregation == "attention":
            layout = "edge_index"
        g = graph.capped(cap) if cap is not None else graph
        adj = {k: v.to(device) for k, v in adjacency(g, layout).items()}
        h0 = encoder.inputs(x)
        h1 = _summed_layer(encoder.conv1, h0, adj)
        del h0
        degrees = in_degrees(adj, g.num_nodes)  # capped list lengths
        for t, h in h1.items():
            term = encoder.degree_term(t, degrees)
            if term is not None:
                h.add_(term)
            torch.relu_(h)
        out = _summed_layer(encoder.conv2, h1, adj)
    return {t: out[t].float().cpu().numpy() for t in ("member", "job")}
