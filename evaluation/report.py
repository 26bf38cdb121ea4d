"""Rendering a Report: report.md, report.html (self-contained, plots inline) and report.json.

Every table is built once as rows of strings (`_blocks`) and written as markdown or HTML, so the
two files always say the same thing. report.json is validated against the JSON Schema shipped in
this package (report.schema.json) before anything is written; the three files are written
atomically.
"""

from __future__ import annotations

import html
import json
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import jsonschema
import numpy as np
from rich.table import Table

from evaluation.report_arms import arms_blocks, diagnostics_blocks
from evaluation.report_evidence import evidence_blocks, verdict_blocks
from evaluation.report_targeting import targeting_blocks
from evaluation.significance import MetricComparison

if TYPE_CHECKING:  # rendering reads results; results never need rendering to exist
    from evaluation.result import Comparison, ReportData
from linksage.io import atomic_write_text

HEADER = [
    "metric",
    "control",
    "treatment",
    "relative lift",
    "95% CI",
    "p-value",
    "significant",
    "n",
]

METHODS = (
    "Per request, each metric is averaged over the seeds of an arm; the arms are then compared "
    "on the requests both scored. p-values: two-sided paired t-test across requests (scipy); "
    "for ratios of sums (dismiss-to-apply) and pooled AUC (TAJ, one application per request, "
    "so per-request AUC does not exist) a paired bootstrap over requests. 95% CI: percentile "
    "bootstrap of the relative lift, resampling requests. 'seed sd' is the spread of the metric "
    "across seeds of one arm (blank with one seed). 'n': the requests a metric is defined on "
    "(ranking metrics need a positive, AUC a positive and a negative); 'requests' in segment "
    "tables counts every request of the segment. Ties in scores are averaged (as in "
    "scikit-learn's ndcg_score). Segments: member segments keep whole requests; new_jobs keeps "
    "requests holding a job posted at or after t_gnn_end and counts only those jobs as "
    "positives, all candidates still competing (TAJ: applications to those jobs). Primary metrics: JYMBII and Search "
    "NDCG@10, TAJ pooled AUC, EBR Recall@K over the whole live corpus. Recall@K: the largest "
    "standard K within evaluation.recall_max_share of the median candidate list (EBR: live "
    "corpus), at least 1; see 'What each request ranks'."
)


def _f(x: float, digits: int = 4) -> str:
    return "–" if x is None or not np.isfinite(x) else f"{x:.{digits}f}"


def _p(p: float) -> str:
    if p is None or not np.isfinite(p):
        return "–"
    return "<1e-4" if p < 1e-4 else f"{p:.4f}"


def _row(name: str, m: MetricComparison, alpha: float, seed_sd: bool = False) -> list[str]:
    def val(x, sd):
        return _f(x) + (f" ± {_f(sd)}" if seed_sd and np.isfinite(sd) else "")

    lift = "–" if not np.isfinite(m.lift_pct) else f"{m.lift_pct:+.2f}%"
    ci = "–" if not np.isfinite(m.ci95_low) else f"[{m.ci95_low:+.2f}%, {m.ci95_high:+.2f}%]"
    sig = "yes" if m.significant(alpha) else "no"
    return [
        name,
        val(m.control, m.control_seed_sd),
        val(m.treatment, m.treatment_seed_sd),
        lift,
        ci,
        _p(m.p_value),
        sig,
        f"{m.n_requests:,}",
    ]


def _comparison_blocks(c: Comparison, alpha: float, level: int) -> list:
    """Headline, per-task and per-segment tables of one comparison as (kind, payload) blocks."""
    h = "#" * level
    blocks: list = [
        (
            "text",
            f"**{c.treatment}** (treatment) vs **{c.control}** (control). {c.description}".strip(),
        )
    ]
    headline = [
        [t.task] + _row(t.primary_metric, t.metrics[t.primary_metric], alpha)
        for t in c.tasks.values()
        if t.primary_metric in t.metrics
    ]
    blocks.append(("table", ["task"] + HEADER, headline))
    if c.skipped:
        rows = [[task, why] for task, why in c.skipped.items()]
        blocks.append(("table", ["skipped task", "why the data cannot support it"], rows))
    for t in c.tasks.values():
        blocks.append(("fold", f"{t.task}: every metric and segment"))
        blocks.append(("heading", f"{h}# {t.task}"))
        seeds = ", ".join(f"{a}: {s}" for a, s in t.seeds.items())
        blocks.append(
            (
                "text",
                f"{t.n_requests:,} test requests; seeds {seeds}; primary metric **{t.primary_metric}**. Values are 'mean ± seed sd'.",
            )
        )
        blocks.append(
            ("table", HEADER, [_row(k, m, alpha, seed_sd=True) for k, m in t.metrics.items()])
        )
        seg_rows = [
            [name, f"{s.n_requests:,}"]
            + _row(t.primary_metric, s.metrics[t.primary_metric], alpha)[1:]
            for name, s in t.segments.items()
            if t.primary_metric in s.metrics
        ]
        empty = [name for name, s in t.segments.items() if t.primary_metric not in s.metrics]
        if seg_rows:
            blocks.append(("text", f"Segments ({t.primary_metric}):"))
            blocks.append(("table", ["segment", "requests"] + HEADER[1:], seg_rows))
        if empty:
            blocks.append(("text", f"Segments with no requests: {', '.join(empty)}."))
        blocks += arms_blocks(t.primary_metric, t.arms) + diagnostics_blocks(t.diagnostics)
        if t.retrieval_rules:
            blocks += _rules_blocks(t.retrieval_rules)
        blocks.append(("endfold",))
    return blocks


RULE_WAYS = {
    "one_pass": "one pass (rules as the index's filter)",
    "post_filter": "KNN, then the rules",
    "brute_force": "the rules, then exact scan",
}


def _rules_blocks(rules: dict) -> list:
    """The retrieval rules comparison (report.json `details.ebr.rules`) as a small table."""
    k = rules["k"]
    text = (
        f"Quality rules in retrieval: {rules['n_requests']:,} test requests, top {k} from a "
        f"{rules['index']} index of each day's live jobs, EBR towers of the {rules['arm']} arm "
        f"(seed {rules['seed']}); {_f(rules['passing'], 1)} jobs pass the rules per request on "
        f"average; KNN-then-filter fetches {rules['overfetch']} x {k}. Recall of "
        "the requests' applies; violations: returned jobs breaking a rule; short: requests with "
        f"fewer than {k} jobs; latency per request, rules included."
    )
    header = ["way", f"recall@{k}", "violations", "jobs returned", "short", "p50 ms", "p99 ms"]
    rows = [
        [
            label,
            _f(rules[way][f"recall@{k}"]),
            f"{rules[way]['violations']:,}",
            _f(rules[way]["candidates"], 1),
            f"{rules[way]['short']:,}",
            _f(rules[way]["p50_ms"], 2),
            _f(rules[way]["p99_ms"], 2),
        ]
        for way, label in RULE_WAYS.items()
    ]
    return [("text", text), ("table", header, rows)] + _by_rule_blocks(rules)


def _by_rule_blocks(rules: dict) -> list:
    """Each rule's share of the live jobs it removes on its own (`details.ebr.rules.by_rule`)."""
    by_rule = rules.get("by_rule")
    if not by_rule:
        return []
    short = rules.get("fewer_than_k")
    text = (
        f"What each rule removes on its own, of the {_f(rules.get('live'), 1)} jobs live per "
        f"request on average; all rules together leave fewer than {rules['k']} jobs for "
        + ("–" if short is None else f"{short:.0%}")
        + " of the requests."
    )
    rows = [
        [name, ", ".join(r["columns"]), "–" if r["removes"] is None else f"{r['removes']:.1%}"]
        for name, r in by_rule.items()
    ]
    return [("text", text), ("table", ["rule", "columns", "live jobs removed"], rows)]


def _blocks(report: ReportData) -> list:
    c, alpha = report.comparison, report.alpha
    audit = report.leakage_audit
    blocks: list = [("heading", f"# {c.title}")]
    if audit is not None and not audit.passed:
        failed = ", ".join(ch.name for ch in audit.checks if not ch.passed)
        blocks.append(
            (
                "alert",
                f"LEAKAGE AUDIT FAILED ({failed}): these metrics are not trustworthy, see 'Leakage audit' below.",
            )
        )
    if c.tasks:  # the verdicts lead; HTML puts the forest plot of the lifts right after them
        blocks += verdict_blocks(c, report.rules)
        blocks.append(("figure", "task_lift"))
        blocks += evidence_blocks(c)
    blocks.append(("heading", "## Results (primary metric per task)"))
    blocks += _comparison_blocks(c, alpha, level=2)
    if report.unavailable_segments:
        blocks.append(("heading", "## Unavailable segments"))
        rows = list(map(list, report.unavailable_segments.items()))
        blocks.append(("table", ["segment", "why"], rows))
    for key, section in report.sections.items():
        blocks.append(("heading", f"## {section.title}"))
        blocks.append(("text", f"(section `{key}`)"))
        blocks += _comparison_blocks(section, alpha, level=3)
    if report.promoted_targeting is not None:
        blocks += targeting_blocks(report.promoted_targeting)
    blocks.append(
        (
            "heading",
            "## Leakage audit: "
            + ("not run" if audit is None else "PASSED" if audit.passed else "FAILED"),
        )
    )
    if audit is not None:
        blocks.append(
            (
                "table",
                ["check", "result", "detail"],
                [[ch.name, "pass" if ch.passed else "FAIL", ch.detail] for ch in audit.checks],
            )
        )
    blocks.append(("heading", "## Method"))
    blocks.append(("text", METHODS + f" Significance level alpha = {alpha}."))
    for note in report.notes:
        blocks.append(("text", f"Note: {note}"))
    return blocks


def render_markdown(report: ReportData) -> str:
    """report.md: leads with the paper-style table (metric, control, treatment, lift, CI, p)."""
    out = []
    for kind, *payload in _blocks(report):
        if kind == "heading":
            out.append(payload[0])
        elif kind == "alert":
            out.append(f"> **{payload[0]}**")
        elif kind == "text":
            out.append(payload[0])
        elif kind == "list":
            out.append("\n".join(f"- {item}" for item in payload[0]))
        elif kind in ("fold", "endfold", "figure"):
            continue  # HTML only: foldable sections and inline plots
        else:
            header, rows = payload
            lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            lines += [
                "| " + " | ".join(cell.replace("|", "\\|") for cell in r) + " |" for r in rows
            ]
            out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


CSS = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;
text-align:right}td:first-child,th:first-child{text-align:left}th{background:#f3f3f3}
.alert{background:#fdecea;border:2px solid #c0392b;color:#c0392b;padding:1em;font-weight:bold}
img{max-width:100%}table.text td{text-align:left}
summary{cursor:pointer;font-weight:bold;margin:.6em 0}"""


def _bold(text: str) -> str:
    """Markdown **bold** as <b> in already escaped text."""
    while text.count("**") >= 2:
        text = text.replace("**", "<b>", 1).replace("**", "</b>", 1)
    return text


def render_html(report: ReportData) -> str:
    """report.html: the same tables, plus inline PNG plots; no external resources."""
    from evaluation.plots import (
        distribution_plot,
        segment_lift_plot,
        targeting_plot,
        task_lift_plot,
    )

    lift_title = "Lift per task (95% CI; green/red = significant win/loss)"
    inline = {
        "task_lift": (lift_title, lambda: task_lift_plot(report.comparison, report.alpha)),
        "promoted_targeting": (
            "Promoted jobs: each targeting method",
            lambda: targeting_plot(report.promoted_targeting),
        ),
    }
    body = []
    for kind, *payload in _blocks(report):
        if kind == "heading":
            level = len(payload[0]) - len(payload[0].lstrip("#"))
            body.append(f"<h{level}>{html.escape(payload[0].lstrip('# '))}</h{level}>")
        elif kind == "alert":
            body.append(f'<div class="alert">{html.escape(payload[0])}</div>')
        elif kind == "text":
            body.append(f"<p>{_bold(html.escape(payload[0]))}</p>")
        elif kind == "list":
            items = "".join(f"<li>{_bold(html.escape(x))}</li>" for x in payload[0])
            body.append(f"<ul>{items}</ul>")
        elif kind == "fold":
            body.append(f"<details><summary>{html.escape(payload[0])}</summary>")
        elif kind == "endfold":
            body.append("</details>")
        elif kind == "figure":
            title, plot = inline[payload[0]]
            png = plot()
            body.append(
                f'<h2>{html.escape(title)}</h2><img alt="{html.escape(title)}" src="data:image/png;base64,{png}">'
            )
        else:
            header, rows = payload
            head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
            cells = "".join(
                "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows
            )
            cls = ' class="text"' if "detail" in header else ""
            body.append(f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{cells}</tbody></table>")
    figures = []
    if report.tasks:
        c = report.comparison
        for title, png in (
            ("Lift per segment (primary metric)", segment_lift_plot(c, report.alpha)),
            ("Metric distributions", distribution_plot(c)),
        ):
            figures.append(
                f'<h2>{html.escape(title)}</h2><img alt="{html.escape(title)}" src="data:image/png;base64,{png}">'
            )
        for section in report.sections.values():
            if section.tasks:
                png = segment_lift_plot(section, report.alpha)
                figures.append(
                    f'<h2>{html.escape(section.title)}: lift per segment</h2><img alt="{html.escape(section.title)}" src="data:image/png;base64,{png}">'
                )
    # plots go right after the results tables, before the audit and method
    split = next((i for i, b in enumerate(body) if b.startswith("<h2>Leakage audit")), len(body))
    body = body[:split] + figures + body[split:]
    title = html.escape(report.comparison.title)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title><style>{CSS}</style></head>\n<body>\n'
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def rich_table(report: ReportData, primary_only: bool = False) -> Table:
    """Every task's metrics (or only each primary metric) for the terminal."""
    table = Table(
        title=f"{report.comparison.title}: {report.comparison.treatment} vs {report.comparison.control}"
    )
    for h in ["task"] + HEADER + (["verdict"] if primary_only else []):
        table.add_column(h)
    for t in report.tasks.values():
        for k, m in t.metrics.items():
            if primary_only and k != t.primary_metric:
                continue
            row = [t.task if k == t.primary_metric else "", *_row(k, m, report.alpha)]
            if primary_only:  # the terminal's short table says what the lift is worth
                row.append(t.verdict.verdict if t.verdict else "–")
            table.add_row(*row)
    return table


def report_schema() -> dict:
    """The JSON Schema of report.json, shipped in this package."""
    return json.loads(resources.files("evaluation").joinpath("report.schema.json").read_text())


def validate_report_json(data: dict) -> None:
    """Raise jsonschema.ValidationError if `data` breaks report.schema.json."""
    jsonschema.validate(data, report_schema())


def write_report(report: ReportData, out_dir: Path) -> dict[str, Path]:
    """Write report.md, report.html and report.json (schema-validated first) into out_dir."""
    data = report.to_dict()
    validate_report_json(data)
    out_dir = Path(out_dir)
    paths = {
        "md": out_dir / "report.md",
        "html": out_dir / "report.html",
        "json": out_dir / "report.json",
    }
    texts = {
        "md": render_markdown(report),
        "html": render_html(report),
        "json": json.dumps(data, indent=2, allow_nan=False),
    }
    for key, path in paths.items():
        atomic_write_text(path, texts[key])
    return paths
