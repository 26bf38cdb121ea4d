"""Presets of the synthetic marketplace: every constant of the generative model in one place.

The `paper` preset is calibrated so that `linksage stats` reproduces the per-member and per-job
ratios of the LinkSAGE paper's Tables 1 and 2 (see docs/generative_model.md for what each ratio
counts and how each constant was set).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from linksage.errors import ConfigError

# Time units (the generator works in epoch seconds).
HOUR = 3_600
DAY = 86_400
YEAR = 365 * DAY


@dataclass(frozen=True)
class Preset:
    # --- population -------------------------------------------------------------------------
    latent_dim: int = 16
    area_size_offset: float = 3.0  # career area k has weight 1 / (k + offset): some are bigger
    interest_noise: float = 0.8  # member interest = area centroid + noise of this norm
    job_noise: float = 0.6  # job profile = area centroid + noise of this norm
    title_reveals_interest: float = 0.7  # P(member's title is in their interest area)
    intent_probs: tuple[float, float, float, float] = (0.50, 0.30, 0.15, 0.05)
    intent_activity: tuple[float, float, float, float] = (0.15, 1.0, 3.0, 6.0)
    activity_sigma: float = 1.0  # lognormal spread of activity within an intent
    seniority_probs: tuple[float, ...] = (0.12, 0.20, 0.22, 0.18, 0.13, 0.09, 0.06)  # levels 0-6
    job_seniority_bump: int = 1  # a job is 0 to this many levels above a member-like draw
    premium_by_intent: tuple[float, float, float, float] = (0.04, 0.07, 0.15, 0.20)
    created_before_years: float = 5.0
    created_during_fraction: float = 0.10  # members who sign up during the period (cold start)
    creation_end_margin_s: int = DAY  # sign-ups and postings end this long before the period
    n_locations: int = 60
    location_zipf: float = 1.0
    remote_job_fraction: float = 0.10
    promoted_job_fraction: float = 0.10
    popularity_sigma: float = 1.0  # job popularity ~ Normal(0, sigma), weighed by w_popularity
    # --- vocabularies (Zipf-Mandelbrot within a career area; Heaps' law overall) ---------------
    title_zipf_a: float = 1.8
    title_zipf_q: float = 4.0
    skill_zipf_a: float = 1.6
    skill_zipf_q: float = 3.0
    generic_skill_fraction: float = 0.2
    generic_skill_max_score: float = 0.7  # generic skills score in [0, this), others in [0, 1)
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
    current_position_days: tuple[float, float] = (30.0, 1460.0)  # uniform age before joining
    past_position_days: tuple[float, float] = (182.5, 1460.0)  # uniform length: 1/2 to 4 years
    past_title_from_title_area: float = 0.6  # else from the interest area
    job_life_days: tuple[float, float] = (14.0, 28.0)  # uniform; mean three weeks
    # --- activity over the whole simulated period ----------------------------------------------
    requests_per_member: float = 1.95  # expected requests of an average, always-present member
    search_fraction: float = 0.4
    query_from_interest: float = 0.7  # a search query's area: interest area, else title area
    query_is_title: float = 0.5  # a query is a title, else a skill
    request_end_margin_s: int = HOUR  # no request in the last hour (room for the follow-ups)
    request_chunk: int = 100_000  # requests drawn per chunk: part of the deterministic output
    direct_per_member: float = 0.45  # "other"-channel job page visits (no request)
    impressions_per_request: tuple[int, int] = (10, 20)
    candidates_in_area: int = 15
    candidates_anywhere: int = 25
    # incumbent ranking score: observed attributes only, plus Gumbel noise of this scale
    incumbent_area: float = 1.5
    incumbent_location: float = 0.5
    incumbent_seniority: float = 0.3
    incumbent_popularity: float = 0.4
    incumbent_promoted: float = 0.5
    incumbent_noise: float = 0.7
    direct_candidates_in_area: int = 20  # live jobs a direct visit chooses from, in area ...
    direct_candidates_anywhere: int = 20  # ... and anywhere
    w_interest: float = 3.0  # utility weights (ground truth)
    w_location: float = 0.8
    w_seniority: float = 0.4
    preferred_seniority_step: float = 0.5  # seekers like jobs this many levels above their own
    w_popularity: float = 0.5
    click_bias: float = -3.01  # with the realism settings below (measured; -3.05 without)
    rank_decay: float = 0.35  # per log(rank) position bias on clicks
    apply_bias: float = -3.4
    intent_apply_boost: tuple[float, float, float, float] = (-0.8, 0.0, 0.5, 1.0)
    save_given_click: float = 0.18
    view_rate: float = 0.06
    view_utility_offset: float = 2.0  # P(view) = view_rate at this utility
    dismiss_rate: float = 0.05  # P(dismiss) = dismiss_rate at utility 0
    # delays after the impression (seconds, uniform [lo, hi)); save and apply follow the click
    view_delay_s: tuple[int, int] = (2, 60)
    click_delay_s: tuple[int, int] = (5, 300)
    save_delay_s: tuple[int, int] = (10, 600)
    apply_delay_s: tuple[int, int] = (60, 1800)
    dismiss_delay_s: tuple[int, int] = (2, 120)
    # --- realism: popularity concentration and seeker sessions -----------------------------------
    # A job's attractiveness is exp(this x popularity), lognormal with sigma this x
    # popularity_sigma: the incumbent retrieves a job, and a member lands on its page, in
    # proportion to it, and ranks by its log too. So a few postings draw most of the traffic,
    # as in public logs (engagements per job: Gini 0.63, top 10% of jobs 43%), and the jobs shown
    # most are the ones people like beyond fit (popularity is in the utility). 0 = uniform
    # retrieval (the generator before it).
    popularity_exposure: float = 1.0
    # ... retrieving k candidates among this many jobs of the window, drawn uniformly (Gumbel
    # top-k): the reach of candidate generation, which keeps concentration from growing
    # without end with the market's size
    exposure_pool: int = 100
    # Share of members whose activity over the period comes in one session (a burst): people
    # arrive, look for work for a few days and leave; in a public job log 90% of test-window
    # requests come from members with no engagement before the window. 0 = everyone is active
    # from sign-up (or the period start) to the end.
    session_fraction: float = 0.95
    session_days: float = 2.0  # mean session length (exponential)
    # --- recruiters ------------------------------------------------------------------------------
    hearing_back_bias: float = -5.82  # with the realism settings (measured; -5.35 without)
    hearing_back_premium: float = 1.0
    hearing_back_fit: float = 1.2  # per unit of fit: 1 for the title area ...
    hearing_back_seniority_fit: float = 0.5  # ... plus this within the seniority gap below
    hearing_back_seniority_gap: int = 1
    hearing_back_min_delay_s: int = HOUR  # then an exponential delay of the mean below
    hearing_back_mean_delay_days: float = 3.0
    message_after_hearing_back: float = 0.5
    message_delay_s: tuple[int, int] = (HOUR, 2 * DAY)  # uniform, after the hearing back
    reach_outs_per_member: float = 0.007
    reach_out_intent_weight: tuple[float, float, float, float] = (0.3, 1.0, 4.0, 6.0)
    reach_out_premium_weight: float = 2.0  # premium members are this much likelier reached


PRESETS: dict[str, Preset] = {
    # calibrated to the LinkSAGE paper (the default)
    "paper": Preset(),
    # NOT calibrated: the paper model with busier seekers and far more responsive recruiters, so
    # that tiny test marketplaces (a few hundred members) have labels in every time window. It
    # keeps the model before the realism settings (no popularity concentration, no sessions,
    # the click bias that went with them): the test suite's tiny marketplaces stay what every
    # test was written against
    "dense": replace(
        Preset(),
        requests_per_member=5.0,
        direct_per_member=1.0,
        hearing_back_bias=-2.0,
        reach_outs_per_member=0.05,
        click_bias=-3.05,
        popularity_exposure=0.0,
        session_fraction=0.0,
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
