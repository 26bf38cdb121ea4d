"""Presets of the synthetic marketplace: every constant of the generative model in one place.

The `paper` preset is calibrated so that `linksage stats` reproduces the per-member and per-job
ratios of the LinkSAGE paper's Tables 1 and 2 (see docs/generative_model.md for what each ratio
counts and how each constant was set).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from linksage.errors import ConfigError


@dataclass(frozen=True)
class Preset:
    # --- population -------------------------------------------------------------------------
    latent_dim: int = 16
    interest_noise: float = 0.8  # member interest = area centroid + noise of this norm
    job_noise: float = 0.6  # job profile = area centroid + noise of this norm
    title_reveals_interest: float = 0.7  # P(member's title is in their interest area)
    intent_probs: tuple[float, float, float, float] = (0.50, 0.30, 0.15, 0.05)
    intent_activity: tuple[float, float, float, float] = (0.15, 1.0, 3.0, 6.0)
    activity_sigma: float = 1.0  # lognormal spread of activity within an intent
    premium_by_intent: tuple[float, float, float, float] = (0.04, 0.07, 0.15, 0.20)
    created_before_years: float = 5.0
    created_during_fraction: float = 0.10  # members who sign up during the period (cold start)
    n_locations: int = 60
    location_zipf: float = 1.0
    remote_job_fraction: float = 0.10
    # --- vocabularies (Zipf-Mandelbrot within a career area; Heaps' law overall) ---------------
    title_zipf_a: float = 1.8
    title_zipf_q: float = 4.0
    skill_zipf_a: float = 1.6
    skill_zipf_q: float = 3.0
    generic_skill_fraction: float = 0.2
    member_skill_from_interest: float = 0.5  # else from the title's area
    # --- entity counts and attribute coverage (paper Tables 1 and 2) --------------------------
    companies_per_member: float = 0.025
    jobs_per_member: float = 0.05
    min_live_jobs: int = 25  # floor on jobs live at once, only binds for tiny marketplaces
    company_size_sigma: float = 1.5
    member_no_company: float = 0.034  # -> member-company 0.966
    job_missing_both: float = 0.06  # job without title and company
    job_missing_title_only: float = 0.02  # -> job-title 0.92
    job_missing_company_only: float = 0.10  # -> job-company 0.84, job-position 0.82
    member_skill_zero: float = 0.45  # P(member lists no skill)
    member_skill_extra: float = 1.2  # nonzero count = 1 + Poisson(this)
    job_skill_zero: float = 0.55
    job_skill_extra: float = 0.55
    history_fraction: float = 0.144  # of members with a company: structured work history
    past_positions_mean: float = 0.27  # Poisson mean of past positions per history member
    job_life_days: tuple[float, float] = (14.0, 28.0)  # uniform; mean three weeks
    # --- activity over the whole simulated period ----------------------------------------------
    requests_per_member: float = 1.95  # expected requests of an average, always-present member
    search_fraction: float = 0.4
    direct_per_member: float = 0.45  # "other"-channel job page visits (no request)
    impressions_per_request: tuple[int, int] = (10, 20)
    candidates_in_area: int = 15
    candidates_anywhere: int = 25
    w_interest: float = 3.0  # utility weights (ground truth)
    w_location: float = 0.8
    w_seniority: float = 0.4
    w_popularity: float = 0.5
    click_bias: float = -3.05
    rank_decay: float = 0.35  # per log(rank) position bias on clicks
    apply_bias: float = -3.4
    intent_apply_boost: tuple[float, float, float, float] = (-0.8, 0.0, 0.5, 1.0)
    save_given_click: float = 0.18
    view_rate: float = 0.06
    dismiss_rate: float = 0.05
    # --- recruiters ------------------------------------------------------------------------------
    hearing_back_bias: float = -5.35
    hearing_back_premium: float = 1.0
    hearing_back_fit: float = 1.2
    message_after_hearing_back: float = 0.5
    reach_outs_per_member: float = 0.007


PRESETS: dict[str, Preset] = {
    # calibrated to the LinkSAGE paper (the default)
    "paper": Preset(),
    # NOT calibrated: the paper model with busier seekers and far more responsive recruiters, so
    # that tiny test marketplaces (a few hundred members) have labels in every time window
    "dense": replace(
        Preset(),
        requests_per_member=5.0,
        direct_per_member=1.0,
        hearing_back_bias=-2.0,
        reach_outs_per_member=0.05,
    ),
}

# The LinkSAGE paper's ratios (Tables 1 and 2) that the `paper` preset reproduces.
PAPER_RATIOS: dict[str, float] = {
    "member-title": 1.0,
    "member-company": 0.966,
    "member-position": 0.139,
    "member-top-skill": 1.2,
    "seeker-engagement": 2.7,
    "recruiter-interaction": 0.026,
    "job-title": 0.92,
    "job-company": 0.84,
    "job-position": 0.82,
    "job-top-skill": 0.66,
    "jobs": 0.05,
    "companies": 0.025,
    "positions": 0.195,
}


def get_preset(name: str) -> Preset:
    """The named preset, or a ConfigError listing the known ones."""
    if name not in PRESETS:
        raise ConfigError(f"data.synthetic.preset: unknown preset {name!r}; known: {list(PRESETS)}")
    return PRESETS[name]
