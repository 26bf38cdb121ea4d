"""Members, jobs, companies, skills and work histories of the synthetic marketplace (skills and
histories are drawn by `linksage.synthetic.profiles`).

Everything is drawn with numpy in whole-array operations. Besides the public tables, the returned
`Population` keeps the hidden ground truth (latent interest vectors, career areas, popularity) that
the activity simulation (`linksage.synthetic.activity`) needs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from linksage.data.schema import SEEKER_INTENTS
from linksage.synthetic.preset import DAY, YEAR, Preset
from linksage.synthetic.profiles import draw_titles, skill_tables, span_seconds, work_history
from linksage.synthetic.sessions import activity_spans
from linksage.synthetic.vocab import CAREER_AREAS, REMOTE, company_names, location_names

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
    m_intent: np.ndarray  # index into linksage.data.schema.SEEKER_INTENTS
    m_premium: np.ndarray
    m_created: np.ndarray
    m_activity: np.ndarray  # expected requests over the period if present throughout
    m_span: np.ndarray  # (M, 2) [from, to): when the member's requests and visits fall
    # jobs (row j is job_id j + 1; jobs are numbered in posting order)
    j_profile: np.ndarray  # (J, D) float32 unit vectors
    j_area: np.ndarray
    j_location: np.ndarray  # -1 = remote
    j_seniority: np.ndarray
    j_popularity: np.ndarray
    j_log_attractiveness: np.ndarray  # log of the exposure weight (0 everywhere when off)
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


def _area_weights(p: Preset) -> np.ndarray:
    w = 1.0 / (np.arange(N_AREAS) + p.area_size_offset)  # some careers are bigger than others
    return w / w.sum()


def _noisy_profiles(rng, centroids, area, noise) -> np.ndarray:
    d = centroids.shape[1]
    return _unit(centroids[area] + rng.normal(0.0, noise / np.sqrt(d), (len(area), d)))


@dataclass
class _World:
    """What members and jobs share: the period, career areas, locations and companies."""

    start: int
    end: int
    area_w: np.ndarray
    centroids: np.ndarray
    loc_w: np.ndarray
    locations: np.ndarray
    companies: np.ndarray
    comp_w: np.ndarray


@dataclass
class _Members:
    """Hidden and public attributes of the members (row i is member_id i + 1)."""

    interest: np.ndarray
    interest_area: np.ndarray
    title_area: np.ndarray
    location: np.ndarray
    seniority: np.ndarray
    intent: np.ndarray
    premium: np.ndarray
    created: np.ndarray
    activity: np.ndarray
    titles: np.ndarray
    company: np.ndarray  # "" for members without one
    employed: np.ndarray  # indices of the members with a company
    frame: pd.DataFrame


@dataclass
class _Jobs:
    """Hidden and public attributes of the jobs (row j is job_id j + 1, in posting order)."""

    profile: np.ndarray
    area: np.ndarray
    location: np.ndarray  # -1 = remote
    seniority: np.ndarray
    popularity: np.ndarray
    promoted: np.ndarray
    posted: np.ndarray
    expires: np.ndarray
    frame: pd.DataFrame


def _world(rng, members: int, start: int, days: int, p: Preset) -> _World:
    """Career areas, locations and companies: a fixed count, lognormal sizes."""
    centroids = _unit(rng.normal(size=(N_AREAS, p.latent_dim)))
    loc_w = 1.0 / (np.arange(p.n_locations) + 1.0) ** p.location_zipf
    loc_w /= loc_w.sum()
    n_companies = max(1, round(p.companies_per_member * members))
    comp_w = rng.lognormal(0.0, p.company_size_sigma, n_companies)
    comp_w /= comp_w.sum()
    return _World(
        start=start,
        end=start + days * DAY,
        area_w=_area_weights(p),
        centroids=centroids,
        loc_w=loc_w,
        locations=location_names(p.n_locations),
        companies=company_names(n_companies),
        comp_w=comp_w,
    )


def _member_companies(rng, w: _World, m: int, p: Preset) -> tuple[np.ndarray, np.ndarray]:
    """Each member's company ("" for none) and the indices of the employed; every company has
    at least one employee."""
    n_companies = len(w.companies)
    has_company = rng.random(m) >= p.member_no_company
    employed = np.flatnonzero(has_company)
    comp = rng.choice(n_companies, size=m, p=w.comp_w)
    comp[rng.permutation(employed)[:n_companies]] = np.arange(min(n_companies, len(employed)))
    return np.where(has_company, w.companies[comp], ""), employed


def _members(rng, w: _World, m: int, p: Preset) -> _Members:
    """Draw the members: intent, sign-up time, interest, title, seniority, location, company."""
    n_intents = len(p.intent_probs)
    intent = rng.choice(n_intents, size=m, p=np.array(p.intent_probs))
    premium = rng.random(m) < np.array(p.premium_by_intent)[intent]
    during = rng.random(m) < p.created_during_fraction
    created = np.where(
        during,
        rng.integers(w.start, w.end - p.creation_end_margin_s, m),
        rng.integers(w.start - int(p.created_before_years * YEAR), w.start, m),
    )
    interest_area = rng.choice(N_AREAS, size=m, p=w.area_w)
    title_area = np.where(
        rng.random(m) < p.title_reveals_interest,
        interest_area,
        rng.choice(N_AREAS, size=m, p=w.area_w),
    )
    interest = _noisy_profiles(rng, w.centroids, interest_area, p.interest_noise)
    titles = draw_titles(rng, title_area, p)
    seniority_probs = np.array(p.seniority_probs)
    seniority = rng.choice(len(seniority_probs), size=m, p=seniority_probs).astype(np.int8)
    location = rng.choice(p.n_locations, size=m, p=w.loc_w)
    company, employed = _member_companies(rng, w, m, p)
    # mean-one lognormal, so the intents set the average activity
    activity = (
        p.requests_per_member
        * np.array(p.intent_activity)[intent]
        * rng.lognormal(-0.5 * p.activity_sigma**2, p.activity_sigma, m)
    )
    activity /= np.dot(p.intent_probs, p.intent_activity)
    frame = pd.DataFrame(
        {
            "member_id": np.arange(1, m + 1, dtype=np.int64),
            "title": titles,
            "company": company.astype(object),
            "seniority": seniority,
            "location": w.locations[location],
            "is_premium": premium,
            "seeker_intent": np.array(SEEKER_INTENTS)[intent].astype(object),
            "created_at": created,
        }
    )
    return _Members(
        interest=interest,
        interest_area=interest_area,
        title_area=title_area,
        location=location,
        seniority=seniority,
        intent=intent,
        premium=premium,
        created=created,
        activity=activity,
        titles=titles,
        company=company,
        employed=employed,
        frame=frame,
    )


def _job_count(members: int, days: int, p: Preset) -> int:
    """Jobs per member, but enough that `min_live_jobs` are live at once on average."""
    life_lo, life_hi = span_seconds(p.job_life_days)
    mean_life = (life_lo + life_hi) / 2
    floor = int(np.ceil(p.min_live_jobs * (days * DAY + mean_life) / mean_life))
    return max(round(p.jobs_per_member * members), floor)


def _missing_title_company(u: np.ndarray, p: Preset) -> tuple[np.ndarray, np.ndarray]:
    """Which jobs lack a title and which a company, from one uniform draw per job."""
    both, title_only = p.job_missing_both, p.job_missing_title_only
    no_title = u < both + title_only
    no_company = (u < both) | (
        (u >= both + title_only) & (u < both + title_only + p.job_missing_company_only)
    )
    return no_title, no_company


def _jobs(rng, w: _World, n_jobs: int, p: Preset) -> _Jobs:
    """Draw the jobs: posting period, area, profile, title, company, location, seniority."""
    life_lo, life_hi = span_seconds(p.job_life_days)
    mean_life = (life_lo + life_hi) / 2
    posted = np.sort(
        rng.integers(w.start - int(mean_life), w.end - p.creation_end_margin_s, n_jobs)
    )
    expires = posted + rng.integers(life_lo, life_hi, n_jobs)
    area = rng.choice(N_AREAS, size=n_jobs, p=w.area_w)
    profile = _noisy_profiles(rng, w.centroids, area, p.job_noise)
    titles = draw_titles(rng, area, p)
    company = w.companies[rng.choice(len(w.companies), size=n_jobs, p=w.comp_w)]
    no_title, no_company = _missing_title_company(rng.random(n_jobs), p)
    remote = rng.random(n_jobs) < p.remote_job_fraction
    location = np.where(remote, -1, rng.choice(p.n_locations, size=n_jobs, p=w.loc_w))
    seniority_probs = np.array(p.seniority_probs)
    top_level = len(seniority_probs) - 1
    seniority = np.clip(
        rng.choice(len(seniority_probs), size=n_jobs, p=seniority_probs)
        + rng.integers(0, p.job_seniority_bump + 1, n_jobs),
        0,
        top_level,
    )
    promoted = rng.random(n_jobs) < p.promoted_job_fraction
    popularity = rng.normal(0.0, p.popularity_sigma, n_jobs).astype(np.float32)
    frame = pd.DataFrame(
        {
            "job_id": np.arange(1, n_jobs + 1, dtype=np.int64),
            "title": np.where(no_title, "", titles).astype(object),
            "company": np.where(no_company, "", company).astype(object),
            "seniority": seniority.astype(np.int8),
            "location": np.where(remote, REMOTE, w.locations[np.maximum(location, 0)]).astype(
                object
            ),
            "is_promoted": promoted,
            "posted_at": posted,
            "expires_at": expires,
        }
    )
    return _Jobs(
        profile=profile,
        area=area,
        location=location,
        seniority=seniority,
        popularity=popularity,
        promoted=promoted,
        posted=posted,
        expires=expires,
        frame=frame,
    )


def make_population(
    rng: np.random.Generator, members: int, start: int, days: int, p: Preset
) -> Population:
    """Draw members, jobs, companies, skills and work histories."""
    # the order of the steps is the order of the random draws: part of the output
    w = _world(rng, members, start, days, p)
    mem = _members(rng, w, members, p)
    jobs = _jobs(rng, w, _job_count(members, days, p), p)
    member_skills, job_skills = skill_tables(rng, (mem.interest_area, mem.title_area), jobs.area, p)
    positions = work_history(
        rng,
        p,
        start=w.start,
        employed=mem.employed,
        created=mem.created,
        company=mem.company,
        titles=mem.titles,
        title_area=mem.title_area,
        interest_area=mem.interest_area,
        companies=w.companies,
        comp_w=w.comp_w,
    )
    # last, so that the public tables are the same whatever the session settings
    spans = activity_spans(rng, p, mem.created, w.start, w.end)
    return Population(
        start=w.start,
        end=w.end,
        m_interest=mem.interest,
        m_interest_area=mem.interest_area,
        m_title_area=mem.title_area,
        m_location=mem.location,
        m_seniority=mem.seniority,
        m_intent=mem.intent,
        m_premium=mem.premium,
        m_created=mem.created,
        m_activity=mem.activity,
        m_span=spans,
        j_profile=jobs.profile,
        j_area=jobs.area,
        j_location=jobs.location,
        j_seniority=jobs.seniority,
        j_popularity=jobs.popularity,
        # no draw: attractiveness is the hidden popularity made heavy-tailed
        j_log_attractiveness=p.popularity_exposure * jobs.popularity.astype(np.float64),
        j_promoted=jobs.promoted,
        j_posted=jobs.posted,
        j_expires=jobs.expires,
        members=mem.frame,
        jobs=jobs.frame,
        member_skills=member_skills,
        job_skills=job_skills,
        member_positions=positions,
    )
