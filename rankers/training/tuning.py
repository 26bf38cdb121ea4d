"""Fair tuning: every arm of a task gets the same small search on the validation slice.

Stage 1, shared by every arm: the first `trials` of `learning_rate x dropout`, the same in every
arm. The grid is walked diagonal by diagonal ((lr0, d0), (lr1, d1), (lr0, d1), (lr1, d0) for
2 x 2), so that a short budget already tries more than one value of each, and the first trial is
today's single setting when both lists start with it. An arm with GNN vectors trains stage 1 with
its first integration (`gnn_inputs`, how the vectors enter the model; rankers/features/inputs.py).

Stage 2, the integration, for an arm with GNN vectors only: each other integration at stage 1's
chosen learning rate and dropout, so the integration is compared on its own, not confounded with
the optimiser's settings. The modes an arm can use: EBR's towers each see one side, so no pair
mode (similarity, decoder) there; without the GNN's decoder in the feature repo, no decoder.
The control spends no extra trials; the extra search can only favour the gnn arm on validation,
which is why the verdict is read on the test window, where no choice is made.

Every trial trains with the same seed and with early stopping on the validation slice (the
epoch count is searched by early stopping, up to `epochs`). The chosen trial is the one with the
best validation metric of the task (`SELECTION_METRIC`; the first trial wins ties, and a trial
whose metric is undefined never wins). Only the chosen trial scores the test window: a trial's
`RunResult` scores it only when asked, after the choice.

EBR then chooses its negatives strategy the same way (`compare_negatives`): each runnable
strategy of rankers/data/hard_negatives.py trained at the chosen setting, the best validation metric
wins.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from itertools import product
from pathlib import Path
from typing import TYPE_CHECKING

from linksage import artifacts
from linksage.config import EbrNegatives, RankerParams
from linksage.config.tuning import DEFAULT_GNN_INPUTS, TuningParams
from linksage.errors import ConfigError
from rankers.features.inputs import PAIR_MODES
from rankers.features.plan import FeaturePlan
from rankers.training.result import RunResult

if TYPE_CHECKING:  # type hints only
    import numpy as np

    from rankers.data.hard_negatives import NegativePool

# the validation metric each task's trials are compared on (validation_metrics.json keys);
# EBR: the smallest recorded cut-off, the one least saturated by a small live corpus
SELECTION_METRIC = {"jymbii": "auc", "search": "auc", "taj": "auc", "ebr": "recall@10"}


@dataclass(frozen=True)
class Setting:
    """One trial's settings; `gnn_inputs` is None for an arm without GNN vectors."""

    learning_rate: float
    dropout: float
    gnn_inputs: str | None = None

    def train_kwargs(self) -> dict:
        """The keyword arguments of rankers.training.ranking.train_ranking / train_retrieval."""
        return {
            "learning_rate": self.learning_rate,
            "dropout": self.dropout,
            "gnn_inputs": self.gnn_inputs or "raw",
        }


@dataclass(frozen=True)
class EbrSetting(Setting):
    """A tuning setting with EBR's negatives strategy."""

    negatives: str = "in_batch"

    def train_kwargs(self) -> dict:
        """rankers.training.retrieval.train_retrieval's keyword arguments."""
        return {**super().train_kwargs(), "negatives": self.negatives}


@dataclass
class Tuned:
    """The chosen trial's result and setting, and the record validation_metrics.json keeps."""

    result: RunResult
    setting: Setting
    record: dict


def has_gnn_vectors(plan: FeaturePlan) -> bool:
    """Whether the plan's inputs include GNN embeddings (the gnn arms)."""
    return any(s.gnn and s.kind == "vector" for s in plan.specs)


def integration_modes(params: RankerParams, *, two_tower: bool, decoder: bool) -> list[str]:
    """The integrations an arm with GNN vectors can use, in the config's order (module
    docstring); tuning off: the first usable one of the defaults."""
    tuning = params.tuning
    wanted = tuning.gnn_inputs if isinstance(tuning, TuningParams) else DEFAULT_GNN_INPUTS
    usable = [
        m
        for m in wanted
        if not (two_tower and m in PAIR_MODES) and not (m == "decoder" and not decoder)
    ]
    if not usable:
        raise ConfigError(
            f"rankers.tuning.gnn_inputs {list(wanted)}: none usable here (EBR's towers each see "
            "one side, so no similarity or decoder there; decoder needs the GNN's decoder in "
            "the feature repo); add raw or projection"
        )
    return usable if isinstance(tuning, TuningParams) else usable[:1]


def candidate_settings(params: RankerParams, *, modes: Sequence[str] = ()) -> list[Setting]:
    """Stage 1's settings (module docstring): the shared learning_rate x dropout trials, at the
    first of `modes` (an arm with GNN vectors; empty for the control). Tuning off: one
    setting at `rankers.learning_rate`, no dropout."""
    mode = modes[0] if modes else None
    tuning = params.tuning
    if not isinstance(tuning, TuningParams):
        return [Setting(params.learning_rate, 0.0, mode)]
    shared = diagonal_grid(tuning.learning_rate, tuning.dropout)[: tuning.trials]
    return [Setting(lr, d, mode) for lr, d in shared]


def integration_settings(chosen: Setting, modes: Sequence[str]) -> list[Setting]:
    """Stage 2's settings: each mode other than `chosen`'s, at its learning rate and dropout."""
    return [replace(chosen, gnn_inputs=m) for m in modes if m != chosen.gnn_inputs]


@dataclass(frozen=True)
class Reused:
    """The setting another seed's run of the same task and arm chose, and that seed."""

    setting: Setting
    seed: int


def reused(run_dir: Path, *, ebr: bool) -> Reused | None:
    """The choice recorded in `run_dir`'s validation_metrics.json (EBR: with its negatives
    strategy); None when that run is absent or kept no record (then this run searches)."""
    path = Path(run_dir) / artifacts.VALIDATION_METRICS
    if not path.is_file():
        return None
    metrics = json.loads(path.read_text())
    chosen = (metrics.get("tuning") or {}).get("chosen")
    if not chosen:
        return None
    fields = {k: chosen[k] for k in ("learning_rate", "dropout", "gnn_inputs")}
    if ebr:
        negatives = (metrics.get("negatives") or {}).get("chosen", "in_batch")
        return Reused(EbrSetting(**fields, negatives=negatives), int(metrics["seed"]))
    return Reused(Setting(**fields), int(metrics["seed"]))


def diagonal_grid(a: Sequence[float], b: Sequence[float]) -> list[tuple[float, float]]:
    """Every (a, b) pair, diagonal by diagonal: (a[i], b[j]) sorted by ((j - i) mod len(b), i)."""
    pairs = sorted(
        product(range(len(a)), range(len(b))), key=lambda p: ((p[1] - p[0]) % len(b), p[0])
    )
    return [(a[i], b[j]) for i, j in pairs]


def choose(values: Sequence[float | None]) -> int:
    """Index of the best (largest) value; the first wins ties; None and NaN never win (all
    undefined: the first)."""
    best = 0
    for i, v in enumerate(values):
        if _defined(v) and (not _defined(values[best]) or v > values[best]):
            best = i
    return best


def tune(
    settings: Sequence[Setting],
    train: Callable[[Setting, str], RunResult],
    *,
    metric: str,
    searched: bool,
    previous: Tuned | None = None,
    stage: str = "shared",
) -> Tuned:
    """Train every setting (`train(setting, label)`), keep the one `choose` picks by `metric`;
    with `previous` (an earlier stage), its trials compete too and the record continues it.

    Only validation metrics are read here; the other trials' models are dropped as soon as a
    better one comes."""
    trials = list(previous.record["trials"]) if previous else []
    n_previous = len(trials)
    values = [t[metric] for t in trials]
    best = previous.result if previous else None
    for i, setting in enumerate(settings):
        result = train(setting, f"{stage} trial {i + 1}/{len(settings)}")
        value = result.validation_metrics.get(metric)
        values.append(value if _defined(value) else None)
        trials.append(
            {
                "trial": len(trials),
                "stage": stage,
                **asdict(setting),
                metric: values[-1],
                "best_epoch": result.validation_metrics.get("best_epoch"),
                "epochs_run": result.timing.get("epochs_run"),
                "train_seconds": result.timing.get("train_seconds"),
            }
        )
        if choose(values) == len(values) - 1:
            best = result
    chosen = choose(values)  # an earlier stage's index only if it is that stage's choice
    setting = previous.setting if chosen < n_previous else settings[chosen - n_previous]
    record = {"searched": searched, "metric": metric, "trials": trials, "chosen": trials[chosen]}
    return Tuned(best, setting, record)


def _defined(v: float | None) -> bool:
    return v is not None and not math.isnan(v)


def runnable(
    params: EbrNegatives, *, epochs: int, pool: NegativePool | None
) -> tuple[list[str], dict[str, str]]:
    """The strategies worth training, and why each other one is left out: one that would train
    exactly as in_batch does is skipped rather than trained twice."""
    keep, skipped = [], {}
    for s in params.strategies:
        if s == "curriculum" and params.warmup_epochs >= epochs:
            skipped[s] = (
                f"rankers.epochs ({epochs}) leaves no epoch after warmup_epochs "
                f"({params.warmup_epochs})"
            )
        elif s != "in_batch" and (pool is None or not (pool.extras(s) >= 0).any()):
            what = "a job its member saw" if s == "seen" else "a live job"
            skipped[s] = f"no training positive has {what} not applied to, live at its time"
        else:
            keep.append(s)
    return keep, skipped


def compare_negatives(
    tuned: Tuned,
    train: Callable[[Setting, str], RunResult],
    ranker: RankerParams,
    pool: NegativePool | None,
) -> tuple[Tuned, dict]:
    """Train every runnable strategy of `ranker.ebr_negatives` at the tuned setting (in_batch
    reuses `tuned`, which was trained with in-batch negatives) and keep the best by EBR's
    validation metric (the first of ties). Returns the chosen run and the record
    validation_metrics.json keeps as `negatives`."""
    params, metric = ranker.ebr_negatives, SELECTION_METRIC["ebr"]
    strategies, skipped = runnable(params, epochs=ranker.epochs, pool=pool)
    values: list[float | None] = []
    trials: dict[str, dict] = {}
    best, best_setting = tuned.result, EbrSetting(**asdict(tuned.setting))
    for s in strategies:
        setting = EbrSetting(**{**asdict(tuned.setting), "negatives": s})
        result = tuned.result if s == "in_batch" else train(setting, f"negatives {s}")
        values.append(_num(result.validation_metrics.get(metric)))
        trials[s] = _trial(result, pool.extras(s) if pool is not None else None)
        if choose(values) == len(values) - 1:
            best, best_setting = result, setting
    record = {
        "metric": metric,
        "validation": dict(zip(strategies, values, strict=True)),
        "chosen": best_setting.negatives,
        "trials": trials,
        "skipped": skipped,
        "per_positive": params.per_positive,
        "num_hard_negatives": params.num_hard_negatives,
        "warmup_epochs": params.warmup_epochs,
    }
    return Tuned(best, best_setting, tuned.record), record


def reused_negatives(tuned: Tuned, seed: int) -> dict:
    """The negatives record of a run trained at another seed's choice (rankers.training.tuning.reused):
    the one strategy it trained and its validation metric."""
    metric, strategy = SELECTION_METRIC["ebr"], tuned.setting.negatives
    return {
        "metric": metric,
        "validation": {strategy: _num(tuned.result.validation_metrics.get(metric))},
        "chosen": strategy,
        "trials": {strategy: _trial(tuned.result, None)},
        "skipped": {},
        "reused_from_seed": seed,
    }


def _trial(result: RunResult, extras: np.ndarray | None) -> dict:
    """One strategy's validation recalls, best epoch and mean extra candidates per positive."""
    m = result.validation_metrics
    out = {k: _num(v) for k, v in m.items() if k.startswith("recall@")}
    mean_extras = float((extras >= 0).sum(axis=1).mean()) if extras is not None else 0.0
    return {**out, "best_epoch": m.get("best_epoch"), "extra_per_positive": mean_extras}


def _num(v: float | None) -> float | None:
    return None if v is None or math.isnan(v) else float(v)
