"""Which ranker tasks the data can support, checked before anything trains.

Each task needs certain tables, channels and labels (see docs/contract.md, "What each task
needs"), and positives in each of its three windows: a ranker cannot learn without training
positives, cannot be tuned without validation positives and cannot be measured without test
positives. The positives are counted on the task's own examples (`rankers.data.examples`), built
without sampled candidates, so the plan and the trainer can never disagree on what a label is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from linksage.data.tables import Tables
from linksage.tasks import TASKS
from rankers.data.examples import build_examples
from rankers.data.windows import SPLITS, SplitWindows

# the event that makes each task's positive label, for the reason sentences
_POSITIVE = {
    "jymbii": "applies",
    "search": "applies",
    "taj": "recruiter positive_hearing_back answers",
    "ebr": "applies",
}


@dataclass(frozen=True)
class TaskSupport:
    """One task against one dataset: its positives per split, or why the data cannot support it."""

    task: str
    positives: dict[str, int] = field(default_factory=dict)
    reason: str | None = None  # a sentence; None when the task can run

    @property
    def supported(self) -> bool:
        """Whether the task can train, be tuned and be measured on this data."""
        return self.reason is None

    def to_dict(self) -> dict:
        """JSON-ready form (the run's tasks.json)."""
        return {"supported": self.supported, "positives": self.positives, "reason": self.reason}


def _missing_inputs(task: str, tables: Tables) -> str | None:
    """The table, channel or column a task lacks, as a sentence (None when nothing is missing)."""
    if task in ("jymbii", "search"):
        imp, eng = tables.impressions, tables.engagements
        has_impressions = imp is not None and bool((imp["channel"] == task).any())
        if not has_impressions and not (eng["channel"] == task).any():
            return (
                f"{task} needs impressions or engagements on channel '{task}'; the data has neither"
            )
    if task == "taj":
        if tables.recruiter_actions is None:
            return (
                "taj needs recruiter_actions.parquet (its labels are recruiter "
                "positive_hearing_back answers), which is absent"
            )
        if not tables.members["is_premium"].astype(bool).any():
            return "taj is served to premium members and members.is_premium marks none"
    return None


def _window_text(windows: SplitWindows, split: str) -> str:
    start, end = windows.bounds()[split]
    return f"[{start.isoformat()}, {end.isoformat()})"


def check_task(task: str, tables: Tables, windows: SplitWindows) -> TaskSupport:
    """Whether `task` can run on `tables` within `windows`, with its positives per split."""
    if task not in TASKS:
        raise ValueError(f"unknown ranker task {task!r}; expected one of {', '.join(TASKS)}")
    missing = _missing_inputs(task, tables)
    if missing:
        return TaskSupport(task, reason=missing)
    # no sampled candidates: only the positives are counted
    examples = build_examples(
        task, tables, windows, negatives_per_request=0, candidates_per_request=0
    )
    counts = examples.groupby("split", observed=False)["label"].sum()
    positives = {s: int(counts.get(s, 0)) for s in SPLITS}
    for split in SPLITS:
        if positives[split] == 0:
            reason = (
                f"{task} has no {_POSITIVE[task]} in the {split} window "
                f"{_window_text(windows, split)}"
            )
            return TaskSupport(task, positives, reason)
    return TaskSupport(task, positives)


def plan_tasks(
    tables: Tables, windows: SplitWindows, tasks: Sequence[str] = TASKS
) -> dict[str, TaskSupport]:
    """`check_task` for each task, in the order given."""
    return {t: check_task(t, tables, windows) for t in tasks}
