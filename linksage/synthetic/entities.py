"""Members, jobs, companies, skills and work histories of the synthetic marketplace.

Everything is drawn with numpy in whole-array operations. Besides the public tables, the returned
`Population` keeps the hidden ground truth (latent interest vectors, career areas, popularity) that
the activity simulation (`linksage.synthetic.activity`) needs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from linksage.synthetic.preset import Preset
from linksage.synthetic.vocab import (
    CAREER_AREAS,
    GENERIC_SKILLS,
    REMOTE,
    company_names,
    location_names,
    skill_text,
    title_text,
    to_strings,
    zipf_mandelbrot_ranks,
)

DAY = 86_400
YEAR = 365 * DAY
SENIORITY_PROBS = np.array([0.12, 0.20, 0.22, 0.18, 0.13, 0.09, 0.06])
N_AREAS = len(CAREER_AREAS)


@dataclass
class Population:
    """Hidden state plus the public frames of members and jobs (times in epoch seconds)."""

    start: int
    end: int
    # members (row i is member_id i + 1)
    m_interest: np.ndarray  # (M, D) float32 unit vectors: the latent career interest
    m_interest_area: np.ndarray
    m_title_area: np.ndarray
    m_location: np.ndarray  # location index
    m_seniority: np.ndarray
    m_intent: np.ndarray  # index into SEEKER_INTENTS
    m_premium: np.ndarray
    m_created: np.ndarray
    m_activity: np.ndarray  # expected requests over the period if present throughout
    # jobs (row j is job_id j + 1; jobs are numbered in posting order)
    j_profile: np.ndarray  # (J, D) float32 unit vectors
    j_area: np.ndarray
    j_location: np.ndarray  # -1 = remote
    j_seniority: np.ndarray
    j_popularity: np.ndarray
    j_promoted: np.ndarray
    j_posted: np.ndarray
    j_expires: np.ndarray
    members: pd.DataFrame
    jobs: pd.DataFrame
    member_skills: pd.DataFrame
    job_skills: pd.DataFrame
    member_positions: pd.DataFrame


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _area_weights() -> np.ndarray:
    w = 1.0 / (np.arange(N_AREAS) + 3.0)  # some careers are bigger than others
    return w / w.sum()


def _noisy_profiles(rng, centroids, area, noise) -> np.ndarray:
    d = centroids.shape[1]
    return _unit(centroids[area] + rng.normal(0.0, noise / np.sqrt(d), (len(area), d)))


def _titles(rng, area: np.ndarray, p: Preset) -> np.ndarray:
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
    score = rng.random(n).astype(np.float32) * np.where(generic, 0.7, 1.0).astype(np.float32)
    df = pd.DataFrame(
        {"owner": owner, "skill": to_strings(area, ranks, skill_text), "score": score}
    )
    df = df.sort_values(["owner", "score"], ascending=[True, False], kind="stable")
    return df.drop_duplicates(["owner", "skill"], keep="first").reset_index(drop=True)


def _skill_counts(rng, n: int, zero: float, extra: float) -> np.ndarray:
    return np.where(rng.random(n) < zero, 0, 1 + rng.poisson(extra, n))


def make_population(
    rng: np.random.Generator, members: int, start: int, days: int, p: Preset
) -> Population:
    """Draw members, jobs, companies, skills and work histories."""
    end = start + days * DAY
    areas_w = _area_weights()
    centroids = _unit(rng.normal(size=(N_AREAS, p.latent_dim)))
    loc_w = 1.0 / (np.arange(p.n_locations) + 1.0) ** p.location_zipf
    loc_w /= loc_w.sum()
    locations = location_names(p.n_locations)

    # --- companies: a fixed count, lognormal sizes, every company has someone --------------
    n_companies = max(1, round(p.companies_per_member * members))
    comp_w = rng.lognormal(0.0, p.company_size_sigma, n_companies)
    comp_w /= comp_w.sum()
    companies = company_names(n_companies)

    # --- members ------------------------------------------------------------------------------
    m = members
    intent = rng.choice(4, size=m, p=np.array(p.intent_probs))
    premium = rng.random(m) < np.array(p.premium_by_intent)[intent]
    during = rng.random(m) < p.created_during_fraction
    created = np.where(
        during,
        rng.integers(start, end - DAY, m),
        rng.integers(start - int(p.created_before_years * YEAR), start, m),
    )
    interest_area = rng.choice(N_AREAS, size=m, p=areas_w)
    title_area = np.where(
        rng.random(m) < p.title_reveals_interest,
        interest_area,
        rng.choice(N_AREAS, size=m, p=areas_w),
    )
    interest = _noisy_profiles(rng, centroids, interest_area, p.interest_noise)
    m_titles = _titles(rng, title_area, p)
    seniority = rng.choice(7, size=m, p=SENIORITY_PROBS).astype(np.int8)
    m_loc = rng.choice(p.n_locations, size=m, p=loc_w)
    has_company = rng.random(m) >= p.member_no_company
    employed = np.flatnonzero(has_company)
    comp = rng.choice(n_companies, size=m, p=comp_w)
    comp[rng.permutation(employed)[:n_companies]] = np.arange(min(n_companies, len(employed)))
    m_company = np.where(has_company, companies[comp], "")
    activity = (
        p.requests_per_member
        * np.array(p.intent_activity)[intent]
        * rng.lognormal(-0.5 * p.activity_sigma**2, p.activity_sigma, m)
    )
    activity /= np.dot(p.intent_probs, p.intent_activity)
    members_df = pd.DataFrame(
        {
            "member_id": np.arange(1, m + 1, dtype=np.int64),
            "title": m_titles,
            "company": m_company.astype(object),
            "seniority": seniority,
            "location": locations[m_loc],
            "is_premium": premium,
            "seeker_intent": np.array(["passive", "opportunistic", "open_to_job", "urgent"])[
                intent
            ].astype(object),
            "created_at": created,
        }
    )

    # --- jobs ------------------------------------------------------------------------------------
    life_lo, life_hi = (int(d * DAY) for d in p.job_life_days)
    mean_life = (life_lo + life_hi) / 2
    floor = int(np.ceil(p.min_live_jobs * (days * DAY + mean_life) / mean_life))
    n_jobs = max(round(p.jobs_per_member * members), floor)
    posted = np.sort(rng.integers(start - int(mean_life), end - DAY, n_jobs))
    expires = posted + rng.integers(life_lo, life_hi, n_jobs)
    j_area = rng.choice(N_AREAS, size=n_jobs, p=areas_w)
    profile = _noisy_profiles(rng, centroids, j_area, p.job_noise)
    j_titles = _titles(rng, j_area, p)
    j_comp = companies[rng.choice(n_companies, size=n_jobs, p=comp_w)]
    u = rng.random(n_jobs)
    no_title = u < p.job_missing_both + p.job_missing_title_only
    no_company = (u < p.job_missing_both) | (
        (u >= p.job_missing_both + p.job_missing_title_only)
        & (u < p.job_missing_both + p.job_missing_title_only + p.job_missing_company_only)
    )
    remote = rng.random(n_jobs) < p.remote_job_fraction
    j_loc = np.where(remote, -1, rng.choice(p.n_locations, size=n_jobs, p=loc_w))
    j_sen = np.clip(
        rng.choice(7, size=n_jobs, p=SENIORITY_PROBS) + rng.integers(0, 2, n_jobs), 0, 6
    )
    promoted = rng.random(n_jobs) < 0.1
    popularity = rng.normal(0.0, 1.0, n_jobs).astype(np.float32)
    jobs_df = pd.DataFrame(
        {
            "job_id": np.arange(1, n_jobs + 1, dtype=np.int64),
            "title": np.where(no_title, "", j_titles).astype(object),
            "company": np.where(no_company, "", j_comp).astype(object),
            "seniority": j_sen.astype(np.int8),
            "location": np.where(remote, REMOTE, locations[np.maximum(j_loc, 0)]).astype(object),
            "is_promoted": promoted,
            "posted_at": posted,
            "expires_at": expires,
        }
    )

    # --- skills ----------------------------------------------------------------------------------
    n_ms = _skill_counts(rng, m, p.member_skill_zero, p.member_skill_extra)
    ms = _skills(
        rng,
        np.repeat(np.arange(m), n_ms),
        [interest_area, title_area],
        [p.member_skill_from_interest, 1 - p.member_skill_from_interest],
        p,
    )
    member_skills = pd.DataFrame(
        {"member_id": ms["owner"].to_numpy() + 1, "skill": ms["skill"], "score": ms["score"]}
    )
    n_js = _skill_counts(rng, n_jobs, p.job_skill_zero, p.job_skill_extra)
    js = _skills(rng, np.repeat(np.arange(n_jobs), n_js), [j_area], [1.0], p)
    job_skills = pd.DataFrame(
        {"job_id": js["owner"].to_numpy() + 1, "skill": js["skill"], "score": js["score"]}
    )

    # --- structured work history -----------------------------------------------------------------
    hist = employed[rng.random(len(employed)) < p.history_fraction]
    cur_start = np.minimum(created[hist], start) - rng.integers(DAY * 30, 4 * YEAR, len(hist))
    rows = [
        pd.DataFrame(
            {
                "member_id": hist + 1,
                "company": m_company[hist],
                "title": m_titles[hist],
                "start_at": cur_start,
                "end_at": np.full(len(hist), -1, dtype=np.int64),
            }
        )
    ]
    n_past = rng.poisson(p.past_positions_mean, len(hist))
    who, next_start = hist, cur_start
    for _ in range(int(n_past.max(initial=0))):
        keep = n_past > 0
        who, next_start, n_past = who[keep], next_start[keep], n_past[keep] - 1
        k = len(who)
        past_area = np.where(rng.random(k) < 0.6, title_area[who], interest_area[who])
        begin = next_start - rng.integers(YEAR // 2, 4 * YEAR, k)
        rows.append(
            pd.DataFrame(
                {
                    "member_id": who + 1,
                    "company": companies[rng.choice(n_companies, size=k, p=comp_w)],
                    "title": _titles(rng, past_area, p),
                    "start_at": begin,
                    "end_at": next_start,
                }
            )
        )
        next_start = begin
    positions = pd.concat(rows, ignore_index=True).sort_values(
        ["member_id", "start_at"], kind="stable", ignore_index=True
    )

    return Population(
        start=start,
        end=end,
        m_interest=interest,
        m_interest_area=interest_area,
        m_title_area=title_area,
        m_location=m_loc,
        m_seniority=seniority,
        m_intent=intent,
        m_premium=premium,
        m_created=created,
        m_activity=activity,
        j_profile=profile,
        j_area=j_area,
        j_location=j_loc,
        j_seniority=j_sen,
        j_popularity=popularity,
        j_promoted=promoted,
        j_posted=posted,
        j_expires=expires,
        members=members_df,
        jobs=jobs_df,
        member_skills=member_skills,
        job_skills=job_skills,
        member_positions=positions,
    )
