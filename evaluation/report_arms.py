"""The arms table of a task (report.json `details.<task>.arms`) as report blocks: each arm's
primary metric against the shared control, its share of the oracle's headroom, and the
integration it chose on validation."""

from __future__ import annotations


def _num(x, digits: int = 4) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def _pct(x) -> str:
    return "n/a" if x is None else f"{x:+.2f}%"


def arms_blocks(primary: str, arms: dict) -> list:
    """Blocks (text, table) for `arms` (empty: none)."""
    if not arms:
        return []
    rows = []
    for arm, a in arms.items():
        if arm == "gnn_vs_best_alternative":
            continue
        share = a.get("share_of_headroom")
        low, high = a.get("share_of_headroom_ci95") or (None, None)
        rows.append(
            [
                arm,
                _num(a["treatment"]),
                _pct(a["lift_pct"]),
                f"[{_pct(a['ci95_low'])}, {_pct(a['ci95_high'])}]",
                _num(a["p_value"], 3),
                "n/a" if share is None else f"{share:.2f} [{_num(low, 2)}, {_num(high, 2)}]",
                str(a.get("integration") or "none"),
            ]
        )
    control = next(iter(arms.values()))["control"]
    text = (
        f"Arms against the shared control ({primary} {_num(control)}); share of headroom = "
        "(arm - control) / (oracle - control), n/a without an oracle or where it gains nothing."
    )
    blocks = [
        ("text", text),
        (
            "table",
            ["arm", primary, "lift", "95% CI", "p", "share of headroom", "integration"],
            rows,
        ),
    ]
    best = arms.get("gnn_vs_best_alternative")
    if best:
        blocks.append(
            (
                "text",
                f"gnn against the best alternative arm ({best['alternative']}): "
                f"{_pct(best['lift_pct'])} [{_pct(best['ci95_low'])}, {_pct(best['ci95_high'])}], "
                f"p {_num(best['p_value'], 3)}.",
            )
        )
    return blocks


def diagnostics_blocks(diagnostics: dict) -> list:
    """One sentence on each arm's embedding drift, and the placebo's lift (empty: none)."""
    drift = {a: d for a, d in diagnostics.get("drift", {}).items() if d}
    if not drift and "placebo" not in diagnostics:
        return []
    parts = [
        f"{arm} {d['train_vs_test_auc']:.2f} (test rows without a job vector "
        f"{d['missing_share'].get('job', {}).get('test', 0):.0%})"
        for arm, d in drift.items()
    ]
    text = (
        "Embedding drift, train-vs-test classifier AUC (0.5: the test window looks like training): "
    )
    text += ", ".join(parts) + "." if parts else "none computed."
    placebo = diagnostics.get("placebo")
    if placebo:
        text += f" Placebo (the GNN's vectors on other ids) against control: {_pct(placebo['lift_pct'])}, p {_num(placebo['p_value'], 3)}."
    return [("text", text)]
