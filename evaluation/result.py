"""The evaluation's results as plain objects, and what rendering reads: rendering
(evaluation.report, report_evidence, plots) imports this module and never the Report
(evaluation.report_model), which imports rendering.

`ReportData.to_dict()` is report.json (validated against report.schema.json; docs/report.md reads it
field by field): `tasks` and `leakage_audit`, plus `meta` (arms, seeds, alpha, tests),
`details` (request counts, seed spread, which test gave each p-value) and `sections` (extra
comparisons: the nearline ablation, a leaky run against a clean one).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from evaluation.baselines import Baselines
from evaluation.corpus import CandidateSizes
from evaluation.significance import MetricComparison
from evaluation.verdicts import Verdict, VerdictRules, rules_warning
from linksage.config import EvaluationSection

_DEFAULTS = EvaluationSection()  # the defaults live once, in the config


@dataclass
class SegmentResult:
    name: str
    description: str
    n_requests: int
    metrics: dict[str, MetricComparison] = field(default_factory=dict)


@dataclass
class TaskResult:
    task: str
    primary_metric: str
    n_requests: int
    seeds: dict[str, list[int]]
    metrics: dict[str, MetricComparison] = field(default_factory=dict)
    segments: dict[str, SegmentResult] = field(default_factory=dict)
    # per-request primary metric (or, for pooled AUC, scores) per arm, for the distribution plot
    distributions: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    # what the requests rank and the Recall@K chosen from it (None for TAJ's pooled AUC)
    candidates: CandidateSizes | None = None
    # the non-learned baselines' primary metric on the same requests
    baselines: Baselines = field(default_factory=Baselines)
    training_positives: int | None = None
    # {"validation": x, "test": y}: positives whose job the train split never shows
    cold_positive_share: dict | None = None
    # arm ("control"/"treatment") -> seed -> the setting its run chose on the validation slice
    tuning: dict[str, dict[int, dict]] = field(default_factory=dict)
    # EBR: arm -> seed -> its negatives strategies' validation metric and the chosen one
    negatives: dict[str, dict[int, dict]] = field(default_factory=dict)
    verdict: Verdict | None = None  # set by evaluation.compare.compare
    # EBR: the retrieval rules comparison computed by the caller (linksage.cli.retrieve), as is
    retrieval_rules: dict | None = None
    # every arm against the shared control, and its share of the oracle's headroom
    # (evaluation.arms.task_arms), JSON-ready; {} with only the control and gnn arms
    arms: dict = field(default_factory=dict)
    # why an arm may be worse: embedding drift per arm, the placebo's lift (evaluation.api)
    diagnostics: dict = field(default_factory=dict)

    def attach_retrieval_rules(self, rules: dict | None) -> None:
        """Keep EBR's rules comparison (`details.ebr.rules`) and add its warning, if any, to
        the verdict: the rules are computed after the verdict, by the caller."""
        self.retrieval_rules = rules
        warning = rules_warning(rules)
        if warning and self.verdict is not None and warning not in self.verdict.warnings:
            self.verdict = replace(self.verdict, warnings=(*self.verdict.warnings, warning))

    def to_dict(self) -> dict:
        """This task in report.json's shape."""
        return {
            "primary_metric": self.primary_metric,
            "metrics": {k: m.as_json() for k, m in self.metrics.items()},
            "segments": {
                name: {
                    "n_requests": s.n_requests,
                    "metrics": {k: m.as_json() for k, m in s.metrics.items()},
                }
                for name, s in self.segments.items()
            },
        }

    def details(self) -> dict:
        """What report.json keeps beside the fixed schema: counts, seeds, spread, tests."""
        return {
            "n_requests": self.n_requests,
            "seeds": self.seeds,
            "seed_sd": {
                k: {"control": _num(m.control_seed_sd), "treatment": _num(m.treatment_seed_sd)}
                for k, m in self.metrics.items()
            },
            "tests": {k: m.test for k, m in self.metrics.items()},
            **self.evidence(),
            **({"rules": self.retrieval_rules} if self.retrieval_rules else {}),
            **({"arms": self.arms} if self.arms else {}),
            **({"diagnostics": self.diagnostics} if self.diagnostics else {}),
            **({"tuning": self.tuning_json()} if any(self.tuning.values()) else {}),
            **({"negatives": _by_seed(self.negatives)} if any(self.negatives.values()) else {}),
        }

    def evidence(self) -> dict:
        """The verdict and what it rests on: MDE, baselines, training positives, candidate
        sizes, the primary metric per seed ({} before a verdict is given)."""
        v, m = self.verdict, self.metrics.get(self.primary_metric)
        if v is None:
            return {}
        seeds = {
            arm: {str(s): _num(x) for s, x in per_seed.items()}
            for arm, per_seed in (
                ("control", m.control_per_seed if m else {}),
                ("treatment", m.treatment_per_seed if m else {}),
            )
        }
        return {
            "verdict": v.verdict,
            "verdict_reason": v.reason,
            "verdict_warnings": list(v.warnings),
            "mde_pct": _num(v.mde_pct),
            "requests_needed": v.requests_needed,
            "training_positives": self.training_positives,
            "cold_positive_share": self.cold_positive_share,
            "baselines": {k: _num(x) for k, x in self.baselines.values.items()},
            "baselines_omitted": dict(self.baselines.omitted),
            "baseline_notes": dict(self.baselines.notes),
            "candidates": self.candidates.as_json() if self.candidates else None,
            "primary_per_seed": seeds,
        }

    def tuning_json(self) -> dict:
        """details.<task>.tuning: {arm: {seed: chosen setting}} (seeds as strings)."""
        return {arm: {str(s): c for s, c in per.items()} for arm, per in self.tuning.items()}


@dataclass
class Comparison:
    """Two arms compared on every task: `control` and `treatment` name the arms."""

    title: str
    control: str
    treatment: str
    tasks: dict[str, TaskResult] = field(default_factory=dict)
    description: str = ""
    skipped: dict[str, str] = field(default_factory=dict)  # task the data cannot support -> why

    def to_dict(self) -> dict:
        return {
            "title": self.title,
            "control": self.control,
            "treatment": self.treatment,
            "description": self.description,
            "tasks": {t: r.to_dict() for t, r in self.tasks.items()},
            "skipped": dict(self.skipped),
        }


@dataclass
class AuditCheck:
    name: str
    passed: bool
    detail: str


@dataclass
class LeakageAudit:
    checks: list[AuditCheck] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def to_dict(self) -> dict:
        return {
            "passed": self.passed,
            "checks": [
                {"name": c.name, "passed": c.passed, "detail": c.detail} for c in self.checks
            ],
        }


@dataclass
class ReportData:
    """An evaluation: the main comparison, its leakage audit, and optional extra sections
    (what evaluation.report_model.Report renders).

    Extra sections (`add_section`) are further comparisons shown after the main one, e.g. the
    nearline ablation ("nearline_ablation": gnn vs gnn_nearline) or "leaky_vs_clean".
    """

    comparison: Comparison
    alpha: float = _DEFAULTS.alpha
    leakage_audit: LeakageAudit | None = None
    sections: dict[str, Comparison] = field(default_factory=dict)
    meta: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # segments the data could not form: name -> reason
    unavailable_segments: dict[str, str] = field(default_factory=dict)
    # the thresholds the verdicts were given with (evaluation.verdicts)
    rules: VerdictRules = field(default_factory=VerdictRules)
    # promoted-jobs auto-targeting, computed by the caller (linksage.cli.targeting), as is
    promoted_targeting: dict | None = None

    @property
    def tasks(self) -> dict[str, TaskResult]:
        return self.comparison.tasks

    def add_section(self, key: str, comparison: Comparison) -> None:
        """Attach another comparison (rendered after the main tables, kept in report.json)."""
        self.sections[key] = comparison

    def to_dict(self) -> dict:
        """report.json (see the module docstring)."""
        audit = self.leakage_audit or LeakageAudit(
            [AuditCheck("audit_run", False, "the leakage audit was not run on these artifacts")]
        )
        return {
            "tasks": {t: r.to_dict() for t, r in self.tasks.items()},
            "leakage_audit": audit.to_dict(),
            "meta": {
                "title": self.comparison.title,
                "control": self.comparison.control,
                "treatment": self.comparison.treatment,
                "alpha": self.alpha,
                **self.meta,
            },
            "details": {
                **{t: r.details() for t, r in self.tasks.items()},
                **{t: {"skipped": why} for t, why in self.comparison.skipped.items()},
            },
            "unavailable_segments": dict(self.unavailable_segments),
            "sections": {k: c.to_dict() for k, c in self.sections.items()},
            "notes": list(self.notes),
            **(
                {"promoted_targeting": self.promoted_targeting}
                if self.promoted_targeting is not None
                else {}
            ),
        }


def _num(x: float) -> float | None:
    return float(x) if x is not None and np.isfinite(x) else None


def _by_seed(per_arm: dict[str, dict[int, dict]]) -> dict:
    """{arm: {seed: record}} with the seeds as strings (JSON keys)."""
    return {arm: {str(s): r for s, r in per.items()} for arm, per in per_arm.items()}
