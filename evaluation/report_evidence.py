"""The report's opening: one verdict per task, then what each verdict rests on (baselines, seed
spread, candidate-list and corpus sizes, the settings tuning chose, EBR's negatives), as (kind,
payload) blocks that evaluation.report writes as markdown and HTML. Rendering only: results are
read, never imported at run time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # rendering reads results; results never need rendering to exist
    from evaluation.result import Comparison, TaskResult

RULES_TEXT = (
    "Verdict rules, in order: **underpowered** when the ranker trained on fewer than "
    "{positives:,} positives (no comparison of it is evidence); **not_credible** when the "
    "control does not beat popularity and item-kNN on the primary metric (ALS and the profile "
    "overlap are shown beside and decide nothing); **gnn_better** / "
    "**gnn_worse** when the primary metric's difference is significant at alpha, by its sign; "
    "**underpowered** when it is not and the minimum detectable effect (MDE, power {power:.0%}) "
    "exceeds {mde:g}%; otherwise **no_detectable_difference**. MDE: the smallest lift the report's own test detects "
    "{power:.0%} of the time at alpha, from the observed spread of the paired differences."
)


def _f(x, digits: int = 4) -> str:
    return "–" if x is None or not np.isfinite(x) else f"{x:.{digits}f}"


def _p(p: float) -> str:
    if p is None or not np.isfinite(p):
        return "–"
    return "<1e-4" if p < 1e-4 else f"{p:.4f}"


def _verdict_row(t: TaskResult) -> list[str]:
    m, v = t.metrics.get(t.primary_metric), t.verdict
    best = t.baselines.best()
    cells = [t.task, v.verdict if v else "–", t.primary_metric]
    if m is None:
        cells += ["–"] * 6
    else:
        ci = "–" if not np.isfinite(m.ci95_low) else f"[{m.ci95_low:+.2f}%, {m.ci95_high:+.2f}%]"
        lift = "–" if not np.isfinite(m.lift_pct) else f"{m.lift_pct:+.2f}%"
        mde = "–" if v is None or not np.isfinite(v.mde_pct) else f"{v.mde_pct:.1f}%"
        cells += [_f(m.control), _f(m.treatment), lift, ci, _p(m.p_value), mde]
    cells.append("–" if t.training_positives is None else f"{t.training_positives:,}")
    cells.append("–" if best is None else f"{best[0]} {_f(best[1])}")
    return cells


def verdict_blocks(c: Comparison, rules) -> list:
    """The verdict table (one row per task), each verdict's reason, and the rules."""
    header = ["task", "verdict", "primary metric", c.control, c.treatment, "lift %", "95% CI"]
    header += ["p", "MDE %", "training positives", "best baseline"]
    tasks = list(c.tasks.values())
    reasons = [f"**{t.task}**: {t.verdict.reason}" for t in tasks if t.verdict is not None]
    reasons += [
        f"**{t.task}** warning: {w}"
        for t in tasks
        if t.verdict is not None
        for w in t.verdict.warnings
    ]
    text = RULES_TEXT.format(
        power=rules.power, mde=rules.max_mde_pct, positives=rules.min_training_positives
    )
    return [
        ("heading", "## Verdicts"),
        ("table", header, [_verdict_row(t) for t in tasks]),
        ("list", reasons),
        ("text", text),
    ]


def _baseline_rows(tasks: list[TaskResult]) -> list[list[str]]:
    rows = []
    for t in tasks:
        m = t.metrics.get(t.primary_metric)
        control = _f(m.control) if m is not None else "–"
        for name, value in t.baselines.values.items():
            note = t.baselines.notes.get(name, "")
            rows.append([t.task, t.primary_metric, control, name, _f(value), note])
        for name, why in t.baselines.omitted.items():
            rows.append([t.task, t.primary_metric, control, name, "omitted", why])
    return rows


def _seed_rows(tasks: list[TaskResult], control: str, treatment: str) -> list[list[str]]:
    rows = []
    for t in tasks:
        m = t.metrics.get(t.primary_metric)
        if m is None:
            continue
        for arm, per_seed in ((control, m.control_per_seed), (treatment, m.treatment_per_seed)):
            v = np.array([x for x in per_seed.values() if np.isfinite(x)])
            seeds = ", ".join(f"{s}: {_f(x)}" for s, x in per_seed.items())
            sd = _f(float(v.std(ddof=1))) if len(v) > 1 else "–"
            low, high = (_f(v.min()), _f(v.max())) if len(v) else ("–", "–")
            rows.append([t.task, t.primary_metric, arm, seeds, low, high, sd])
    return rows


def _candidate_rows(tasks: list[TaskResult]) -> list[list[str]]:
    rows = []
    for t in tasks:
        s = t.candidates
        if s is None:
            rows.append([t.task, "applications (pooled AUC: no cut-off)", "–", "–", "–", "–"])
            continue
        median = f"{s.median:g}"
        rows.append(
            [
                t.task,
                s.what,
                f"{s.mean:.1f}",
                median,
                f"{s.min:,}",
                f"{s.max:,}",
                f"recall@{s.recall_k}",
            ]
        )
    return rows


def _trials_text(choice: dict) -> str:
    if choice["searched"]:
        return str(choice["trials"])
    reused = choice.get("reused_from_seed")
    return "1 (tuning off)" if reused is None else f"1 (seed {reused}'s choice)"


def _tuning_rows(tasks: list[TaskResult], control: str, treatment: str) -> list[list[str]]:
    rows = []
    for t in tasks:
        for arm, name in (("control", control), ("treatment", treatment)):
            for seed, ch in sorted(t.tuning.get(arm, {}).items()):
                trials = _trials_text(ch)
                rows.append([t.task, name, str(seed), trials, f"{ch['metric']} {_f(ch['value'])}",
                             f"{ch['learning_rate']:g}", f"{ch['dropout']:g}",
                             ch["gnn_inputs"] or "–", str(ch["best_epoch"] or "–")])  # fmt: skip
    return rows


def _tuning_blocks(c: Comparison, tasks: list[TaskResult]) -> list:
    rows = _tuning_rows(tasks, c.control, c.treatment)
    if not rows:
        return []
    header = ["task", "arm", "seed", "trials", "validation metric", "learning rate", "dropout"]
    return [
        ("fold", "Tuning: the settings each run chose on the validation slice"),
        ("heading", "### Tuning (chosen on the validation slice)"),
        ("text", "Every arm tried the same number of settings (the same learning rates and "
                 "dropouts; the gnn arm's trials also vary how the GNN vectors enter); the run "
                 "with the best validation metric was kept. The test window played no part."),
        ("table", header + ["gnn inputs", "best epoch"], rows),
        ("endfold",),
    ]  # fmt: skip


def _negatives_blocks(c: Comparison, tasks: list[TaskResult]) -> list:
    """EBR: each negatives strategy's validation metric per arm and seed, and the one kept."""
    runs = [(t.task, name, seed, r) for t in tasks
            for arm, name in (("control", c.control), ("treatment", c.treatment))
            for seed, r in sorted(t.negatives.get(arm, {}).items())]  # fmt: skip
    if not runs:
        return []
    strategies = list(dict.fromkeys(s for *_, r in runs for s in [*r["validation"], *r["skipped"]]))
    rows = [[task, name, str(seed), r["metric"]]
            + [_f(r["validation"][s]) if s in r["validation"] else "skipped" for s in strategies]
            + [r["chosen"]] for task, name, seed, r in runs]  # fmt: skip
    notes = sorted({f"{s}: {why}" for *_, r in runs for s, why in r["skipped"].items()})
    return [
        ("fold", "EBR negatives: each strategy's validation recall, and the one kept"),
        ("heading", "### EBR negatives (chosen on the validation slice)"),
        ("text", "Each arm trained every strategy at the setting tuning chose (in-batch "
                 "negatives; seen: plus jobs the member saw and did not apply to; mined: plus the "
                 "hardest live jobs by the current towers; curriculum: in-batch first, then both) "
                 "and kept the best validation metric. The test window played no part."
                 + (" Skipped: " + "; ".join(notes) + "." if notes else "")),
        ("table", ["task", "arm", "seed", "validation metric", *strategies, "chosen"], rows),
        ("endfold",),
    ]  # fmt: skip


def evidence_blocks(c: Comparison) -> list:
    """Baselines, seed spread and candidate sizes, each a foldable section in HTML."""
    tasks = list(c.tasks.values())
    several = any(len(s) > 1 for t in tasks for s in t.seeds.values())
    shares = {t.candidates.max_share for t in tasks if t.candidates is not None}
    share = " / ".join(f"{x:.0%}" for x in sorted(shares)) or "10%"
    blocks: list = [
        ("fold", "Baselines: non-learned scorers on the same requests"),
        ("heading", "### Baselines (primary metric, same requests)"),
        ("table", ["task", "metric", c.control, "baseline", "value", "note"],
         _baseline_rows(tasks)),
        ("endfold",),
        ("fold", "Seed spread of the primary metric"),
        ("heading", "### Seed spread (primary metric per seed)"),
    ]  # fmt: skip
    if several:
        header = ["task", "metric", "arm", "per seed", "min", "max", "sd"]
        blocks.append(("table", header, _seed_rows(tasks, c.control, c.treatment)))
    else:
        blocks.append(("text", "One seed per arm: no seed spread (add seeds in evaluation.seeds)."))
    blocks += [
        ("endfold",),
        ("fold", "Candidate lists, corpus sizes and the Recall@K cut-off"),
        ("heading", "### What each request ranks"),
        ("text", f"Recall@K uses the largest standard K at most {share} of the median "
                 "candidate list (EBR: of the live corpus), and at least 1."),
        ("table", ["task", "ranks", "mean per request", "median", "min", "max", "recall cut-off"],
         _candidate_rows(tasks)),
        ("endfold",),
    ]  # fmt: skip
    return blocks + _tuning_blocks(c, tasks) + _negatives_blocks(c, tasks)
