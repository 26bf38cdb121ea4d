"""Offline A/B evaluation: metrics, paired significance, segments, leakage audit, reports.

Framework-free, and it never trains or generates data. Entry points:
`evaluation.api.evaluate_runs(run_dir, ...)`, `evaluation.api.compare_runs(run_a, run_b)` and,
ranx style, `evaluation.compare.compare(control, treatment) -> Report`.
"""
