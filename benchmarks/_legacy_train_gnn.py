"""The train-gnn step as it was before issue 14 ("Scale"), kept only as the baseline of
benchmarks/train_gnn.py: the single-generator NeighbourSampler, sampling in the training
process, the untrimmed forward (every layer over every sampled node, relations aggregated on
edge_index by HeteroConv), torch's dropout, AdamW without `fused`.

The sampler is gnn_encoder/sampler.py read from git at `LEGACY_REVISION` (so the benchmark
needs a clone with its history, not an archive); the step is fit.py's of that revision; the
encoder's untrimmed forward is still LinkSageEncoder's. Not product code.
"""

from __future__ import annotations

import subprocess
import sys
import time
import types
from functools import cache
from pathlib import Path

import numpy as np
import torch
from torch import nn

from gnn_encoder.decoders import link_loss
from gnn_encoder.graph import SnapshotGraph
from gnn_encoder.labels import LinkLabels
from gnn_encoder.model import LinkSageEncoder
from gnn_encoder.sampler import gather_inputs

ROOT = Path(__file__).resolve().parents[1]
LEGACY_REVISION = "9c4c9ba"  # the last commit before issue 14 changed the sampler
SAMPLER_PATH = "gnn_encoder/sampler.py"


@cache
def legacy_sampler() -> types.ModuleType:
    """gnn_encoder/sampler.py as it was at LEGACY_REVISION, as a module of its own."""
    try:
        source = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{LEGACY_REVISION}:{SAMPLER_PATH}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        raise SystemExit(
            f"the legacy baseline reads {SAMPLER_PATH} at commit {LEGACY_REVISION} from git: "
            f"run the benchmark in a clone with its history ({e})"
        ) from e
    module = types.ModuleType("_legacy_sampler")
    sys.modules[module.__name__] = module  # dataclasses look their module up there
    exec(compile(source, f"{LEGACY_REVISION}:{SAMPLER_PATH}", "exec"), module.__dict__)
    return module


class LegacyEncoder(LinkSageEncoder):
    """LinkSageEncoder with torch's dropout (the current encoder draws CPU masks with numpy)."""

    def _drop(self, h: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        if not (self.training and self.dropout > 0):
            return h
        return {t: nn.functional.dropout(v, self.dropout, training=True) for t, v in h.items()}


def legacy_train_steps(
    model: torch.nn.Module,
    graph: SnapshotGraph,
    labels: LinkLabels,
    batches: list[np.ndarray],
    *,
    fanouts: tuple[int, ...],
    cap: int,
    learning_rate: float,
    weight_decay: float,
    seed: int = 0,
    phases: dict[str, float] | None = None,
) -> tuple[int, float]:
    """The old train_epoch over `batches` (label indices) on one graph: (pairs, seconds).
    `model`: a LinkModel holding a LegacyEncoder. `phases`, when given, accumulates the seconds
    of sample, gather, forward, backward and optimiser."""
    sampler = legacy_sampler().NeighbourSampler(graph, fanouts, seed=seed, degree_cap=cap)
    opt = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=weight_decay)
    pairs, t0 = 0, time.perf_counter()
    split = dict.fromkeys(("sample", "gather", "forward", "backward", "optimiser"), 0.0)
    for idx in batches:
        ticks = [time.perf_counter()]
        batch = labels.take(idx)
        mu, m_inv = np.unique(batch.member, return_inverse=True)
        ju, j_inv = np.unique(batch.job, return_inverse=True)
        sub = sampler.sample({"member": mu, "job": ju}, exclude_pairs=(batch.member, batch.job))
        node_ids, ei, deg = sub.node_ids, sub.edge_index, sub.degrees
        ticks.append(time.perf_counter())
        x = gather_inputs(graph, node_ids)
        ticks.append(time.perf_counter())
        m_inv, j_inv = torch.from_numpy(m_inv), torch.from_numpy(j_inv)
        out = model.encoder(x, ei, deg)  # untrimmed: every layer over every sampled node
        loss = link_loss(
            model.decoder,
            out["member"][m_inv],
            out["job"][j_inv],
            torch.from_numpy(batch.label),
            m_inv,
            j_inv,
        )
        ticks.append(time.perf_counter())
        opt.zero_grad()
        loss.backward()
        ticks.append(time.perf_counter())
        opt.step()
        loss.item()
        ticks.append(time.perf_counter())
        for k, a, b in zip(split, ticks, ticks[1:], strict=False):
            split[k] += b - a
        pairs += len(batch)
    if phases is not None:
        for k, v in split.items():
            phases[k] = phases.get(k, 0.0) + v
    return pairs, time.perf_counter() - t0
