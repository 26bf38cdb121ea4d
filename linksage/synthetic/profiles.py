"""Skills and structured work histories of the synthetic marketplace's members and jobs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from linksage.synthetic.preset import DAY, Preset
from linksage.synthetic.vocab import (
    GENERIC_SKILLS,
    skill_text,
    title_text,
    to_strings,
    zipf_mandelbrot_ranks,
)


def span_seconds(days: tuple[float, float]) -> tuple[int, int]:
    """A (low, high) span of days in whole seconds."""
    lo, hi = days
    return int(lo * DAY), int(hi * DAY)


def draw_titles(rng: np.random.Generator, area: np.ndarray, p: Preset) -> np.ndarray:
    """A title per row of its career area, by the Zipf-Mandelbrot law of titles."""
    ranks = zipf_mandelbrot_ranks(rng, len(area), p.title_zipf_a, p.title_zipf_q)
    return to_strings(area, ranks, title_text)


def _skills(rng, owner: np.ndarray, areas: list[np.ndarray], mix: list[float], p: Preset):
    """Skill rows (owner index, skill string, score) for owners repeated once per skill."""
    n = len(owner)
    choice = rng.choice(len(areas), size=n, p=mix)
    area = np.select([choice == k for k in range(len(areas))], [a[owner] for a in areas])
    generic = rng.random(n) < p.generic_skill_fraction
    ranks = zipf_mandelbrot_ranks(rng, n, p.skill_zipf_a, p.skill_zipf_q)
    ranks = np.where(generic, rng.integers(1, len(GENERIC_SKILLS) + 1, n), ranks)
    area = np.where(generic, -1, area)
    scale = np.where(generic, p.generic_skill_max_score, 1.0).astype(np.float32)
    score = rng.random(n).astype(np.float32) * scale
    df = pd.DataFrame(
        {"owner": owner, "skill": to_strings(area, ranks, skill_text), "score": score}
    )
    df = df.sort_values(["owner", "score"], ascending=[True, False], kind="stable")
    return df.drop_duplicates(["owner", "skill"], keep="first").reset_index(drop=True)


def _skill_counts(rng, n: int, zero: float, extra: float) -> np.ndarray:
    return np.where(rng.random(n) < zero, 0, 1 + rng.poisson(extra, n))


def skill_tables(
    rng: np.random.Generator,
    member_areas: tuple[np.ndarray, np.ndarray],
    job_area: np.ndarray,
    p: Preset,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """member_skills and job_skills: a member's skills come from its (interest, title) areas,
    a job's from its area."""
    m, n_jobs = len(member_areas[0]), len(job_area)
    n_ms = _skill_counts(rng, m, p.member_skill_zero, p.member_skill_extra)
    ms = _skills(
        rng,
        np.repeat(np.arange(m), n_ms),
        list(member_areas),
        [p.member_skill_from_interest, 1 - p.member_skill_from_interest],
        p,
    )
    member_skills = pd.DataFrame(
        {"member_id": ms["owner"].to_numpy() + 1, "skill": ms["skill"], "score": ms["score"]}
    )
    n_js = _skill_counts(rng, n_jobs, p.job_skill_zero, p.job_skill_extra)
    js = _skills(rng, np.repeat(np.arange(n_jobs), n_js), [job_area], [1.0], p)
    job_skills = pd.DataFrame(
        {"job_id": js["owner"].to_numpy() + 1, "skill": js["skill"], "score": js["score"]}
    )
    return member_skills, job_skills


def work_history(
    rng: np.random.Generator,
    p: Preset,
    *,
    start: int,
    employed: np.ndarray,
    created: np.ndarray,
    company: np.ndarray,
    titles: np.ndarray,
    title_area: np.ndarray,
    interest_area: np.ndarray,
    companies: np.ndarray,
    comp_w: np.ndarray,
) -> pd.DataFrame:
    """Structured positions of some employed members (indices into the member arrays): the
    current one at the member's company and title, then past ones going back in time (each
    ends when the next begins)."""
    hist = employed[rng.random(len(employed)) < p.history_fraction]
    cur_lo, cur_hi = span_seconds(p.current_position_days)
    cur_start = np.minimum(created[hist], start) - rng.integers(cur_lo, cur_hi, len(hist))
    rows = [
        pd.DataFrame(
            {
                "member_id": hist + 1,
                "company": company[hist],
                "title": titles[hist],
                "start_at": cur_start,
                "end_at": np.full(len(hist), -1, dtype=np.int64),
            }
        )
    ]
    past_lo, past_hi = span_seconds(p.past_position_days)
    n_past = rng.poisson(p.past_positions_mean, len(hist))
    who, next_start = hist, cur_start
    for _ in range(int(n_past.max(initial=0))):
        keep = n_past > 0
        who, next_start, n_past = who[keep], next_start[keep], n_past[keep] - 1
        k = len(who)
        from_title = rng.random(k) < p.past_title_from_title_area
        past_area = np.where(from_title, title_area[who], interest_area[who])
        begin = next_start - rng.integers(past_lo, past_hi, k)
        rows.append(
            pd.DataFrame(
                {
                    "member_id": who + 1,
                    "company": companies[rng.choice(len(companies), size=k, p=comp_w)],
                    "title": draw_titles(rng, past_area, p),
                    "start_at": begin,
                    "end_at": next_start,
                }
            )
        )
        next_start = begin
    return pd.concat(rows, ignore_index=True).sort_values(
        ["member_id", "start_at"], kind="stable", ignore_index=True
    )
