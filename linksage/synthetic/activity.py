"""Activity of the synthetic marketplace: requests, impressions, engagements, recruiter actions.

A request (a JYMBII visit or a search) shows 10-20 live jobs ranked by the *incumbent system*,
which sees only observed attributes (title area, location, seniority, popularity). Whether the
member engages is decided by the *ground-truth utility*, which depends on the hidden career
interest. Requests are processed in fixed-size chunks (the chunking does not change the draws'
order, so the output is the same whatever the memory), each chunk with whole-array numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from linksage.synthetic.entities import Population
from linksage.synthetic.job_sampler import LiveJobSampler
from linksage.synthetic.preset import Preset
from linksage.synthetic.recruiters import simulate_recruiters
from linksage.synthetic.vocab import skill_text, title_text, to_strings, zipf_mandelbrot_ranks

CHANNELS = np.array(["jymbii", "search", "other"], dtype=object)


@dataclass
class Activity:
    engagements: pd.DataFrame
    impressions: pd.DataFrame
    recruiter_actions: pd.DataFrame


def utility(pop: Population, p: Preset, member: np.ndarray, job: np.ndarray) -> np.ndarray:
    """Ground-truth utility of a job to a member (hidden interest + observable fit)."""
    cos = np.einsum("ij,ij->i", pop.m_interest[member], pop.j_profile[job])
    loc = (pop.j_location[job] == -1) | (pop.j_location[job] == pop.m_location[member])
    gap = np.abs(pop.j_seniority[job] - pop.m_seniority[member] - p.preferred_seniority_step)
    return (
        p.w_interest * cos
        + p.w_location * loc
        - p.w_seniority * gap
        + p.w_popularity * pop.j_popularity[job]
    )


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def click_probability(u: np.ndarray, rank: np.ndarray | int, p: Preset) -> np.ndarray:
    """P(click) on a job of utility `u` shown at `rank` (1 = top; position bias)."""
    return sigmoid(u + p.click_bias - p.rank_decay * np.log(rank))


def apply_given_click(u: np.ndarray, intent: np.ndarray, p: Preset) -> np.ndarray:
    """P(apply | click) for members of seeker-intent index `intent` (the generator's funnel)."""
    boost = np.array(p.intent_apply_boost)[intent]
    return sigmoid(u + p.apply_bias + boost)


def _member_times(
    rng, pop: Population, per: float = 1.0, requests: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """(member, time) of `per` events per `requests` requests a member makes: as many as their
    activity and time present in the period say, at uniform times in their activity span (a
    session for session seekers, `linksage.synthetic.sessions`)."""
    present_from = np.maximum(pop.m_created, pop.start)
    frac = (pop.end - present_from) / (pop.end - pop.start)
    # multiplied, then divided, in this order: the same rates to the last bit as before
    n = rng.poisson(pop.m_activity * frac * per / requests)
    member = np.repeat(np.arange(len(n)), n)
    lo, hi = pop.m_span[member, 0], pop.m_span[member, 1]
    t = lo + np.floor(rng.random(len(member)) * (hi - lo)).astype(np.int64)
    return member, t


def _requests(rng, pop: Population, p: Preset) -> pd.DataFrame:
    member, t = _member_times(rng, pop)
    search = rng.random(len(member)) < p.search_fraction
    q_area = np.where(
        rng.random(len(member)) < p.query_from_interest,
        pop.m_interest_area[member],
        pop.m_title_area[member],
    )
    ranks = zipf_mandelbrot_ranks(rng, len(member), p.skill_zipf_a, p.skill_zipf_q)
    as_title = rng.random(len(member)) < p.query_is_title
    query = np.where(
        as_title,
        to_strings(q_area, ranks, title_text),
        to_strings(q_area, ranks, skill_text),
    )
    req = pd.DataFrame(
        {
            "member": member,
            "at": t,
            "search": search,
            "area": np.where(search, q_area, pop.m_title_area[member]),
            "query": np.where(search, query, None),
        }
    )
    req = req.sort_values(["at", "member"], kind="stable", ignore_index=True)
    req["request_id"] = np.arange(1, len(req) + 1, dtype=np.int64)
    return req


def _rank_impressions(rng, pop: Population, p: Preset, live: LiveJobSampler, req: pd.DataFrame):
    """Impressed (request row, job, rank) for one chunk of requests."""
    t = req["at"].to_numpy()
    area = req["area"].to_numpy()
    member = req["member"].to_numpy()
    a_idx, a_ok = live.sample(rng, t, p.candidates_in_area, area)
    g_idx, g_ok = live.sample(rng, t, p.candidates_anywhere)
    idx = np.concatenate([a_idx, g_idx], axis=1)
    ok = np.concatenate([a_ok, g_ok], axis=1)
    # drop duplicate candidates within a request
    order = np.argsort(np.where(ok, idx, -1), axis=1, kind="stable")
    s_idx = np.take_along_axis(idx, order, 1)
    s_ok = np.take_along_axis(ok, order, 1)
    s_ok[:, 1:] &= s_idx[:, 1:] != s_idx[:, :-1]
    # the incumbent system's score: observed attributes only
    m = np.repeat(member, s_idx.shape[1])
    j = s_idx.ravel()
    loc = (pop.j_location[j] == -1) | (pop.j_location[j] == pop.m_location[m])
    score = (
        p.incumbent_area * (pop.j_area[j] == np.repeat(area, s_idx.shape[1]))
        + p.incumbent_location * loc
        - p.incumbent_seniority * np.abs(pop.j_seniority[j] - pop.m_seniority[m])
        + p.incumbent_popularity * pop.j_popularity[j]
        + p.incumbent_promoted * pop.j_promoted[j]
        # attractive postings are ranked up too (the log of the weight they were retrieved
        # by): an incumbent trained on engagement favours what drew engagement
        + pop.j_log_attractiveness[j]
        + rng.gumbel(0.0, p.incumbent_noise, len(j))
    ).reshape(s_idx.shape)
    score = np.where(s_ok, score, -np.inf)
    top = np.argsort(-score, axis=1, kind="stable")
    lo, hi = p.impressions_per_request
    k = rng.integers(lo, hi + 1, len(t))
    cols = np.arange(top.shape[1])[None, :]
    shown = (cols < k[:, None]) & np.isfinite(np.take_along_axis(score, top, 1))
    rows, rank0 = np.nonzero(shown)
    jobs = np.take_along_axis(s_idx, top, 1)[rows, rank0]
    return rows, jobs, rank0 + 1


def _funnel(rng, pop, p, member, job, t, channel, request_id, rank=None):
    """Engagement rows for jobs a member saw (impressions) or visited (rank None)."""
    n = len(member)
    u = utility(pop, p, member, job)
    if rank is None:
        click = np.ones(n, dtype=bool)
    else:
        click = rng.random(n) < click_probability(u, rank, p)
    apply = click & (rng.random(n) < apply_given_click(u, pop.m_intent[member], p))
    save = click & (rng.random(n) < p.save_given_click)
    if rank is None:
        view = dismiss = np.zeros(n, dtype=bool)
    else:
        # 2 * sigmoid(0) = 1: the rate is the named probability at the offset utility
        view_p = p.view_rate * 2 * sigmoid(u - p.view_utility_offset)
        view = ~click & (rng.random(n) < view_p)
        dismiss = ~click & ~view & (rng.random(n) < p.dismiss_rate * 2 * sigmoid(-u))
    limit = np.minimum(pop.j_expires[job], pop.end) - 1
    t_click = np.minimum(t + rng.integers(*p.click_delay_s, n), limit)
    parts = [
        ("view", view, t + rng.integers(*p.view_delay_s, n)),
        ("click", click, t_click),
        ("save", save, t_click + rng.integers(*p.save_delay_s, n)),
        ("apply", apply, t_click + rng.integers(*p.apply_delay_s, n)),
        ("dismiss", dismiss, t + rng.integers(*p.dismiss_delay_s, n)),
    ]
    frames = []
    for action, mask, at in parts:
        sel = np.flatnonzero(mask)
        frames.append(
            pd.DataFrame(
                {
                    "member": member[sel],
                    "job": job[sel],
                    "action": action,
                    "channel": channel[sel],
                    "request_id": request_id[sel],
                    "at": np.maximum(np.minimum(at[sel], limit[sel]), t[sel]),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _direct_visits(rng, pop, p, live: LiveJobSampler) -> pd.DataFrame:
    """'other'-channel visits: the member finds a job page outside any ranked list."""
    member, t = _member_times(rng, pop, p.direct_per_member, p.requests_per_member)
    a_idx, a_ok = live.sample(rng, t, p.direct_candidates_in_area, pop.m_interest_area[member])
    g_idx, g_ok = live.sample(rng, t, p.direct_candidates_anywhere)
    idx = np.concatenate([a_idx, g_idx], axis=1)
    ok = np.concatenate([a_ok, g_ok], axis=1)
    u = utility(pop, p, np.repeat(member, idx.shape[1]), idx.ravel()).reshape(idx.shape)
    # a logit choice among the candidates, each weighted by its exposure (a shared link, a
    # company page: popular postings are where people land)
    choice = u + pop.j_log_attractiveness[idx] + rng.gumbel(size=u.shape)
    pick = np.argmax(np.where(ok, choice, -np.inf), axis=1)
    keep = ok[np.arange(len(t)), pick]
    job = idx[np.arange(len(t)), pick][keep]
    member, t = member[keep], t[keep]
    return _funnel(
        rng,
        pop,
        p,
        member,
        job,
        t,
        np.full(len(member), "other", dtype=object),
        np.full(len(member), -1, dtype=np.int64),
    )


def epoch_timestamps(seconds: np.ndarray) -> pd.DatetimeIndex:
    """Epoch seconds as the contract's timestamps (microseconds, UTC)."""
    return pd.to_datetime(np.asarray(seconds, dtype=np.int64), unit="s", utc=True).as_unit("us")


def _concat(parts: list[np.ndarray]) -> np.ndarray:
    out = np.concatenate(parts)
    parts.clear()  # free the chunks as soon as the column is whole
    return out


def _impressions_frame(cols: dict[str, list[np.ndarray]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "request_id": _concat(cols["request_id"]),
            "member_id": _concat(cols["member"]) + 1,
            "job_id": _concat(cols["job"]) + 1,
            "channel": CHANNELS[_concat(cols["channel"])],
            "rank": _concat(cols["rank"]).astype(np.int32),
            "query": _concat(cols["query"]),
            "at": epoch_timestamps(_concat(cols["at"])),
        },
        copy=False,
    )


def _engagements_frame(eng: pd.DataFrame) -> pd.DataFrame:
    rid = eng["request_id"].to_numpy()
    return pd.DataFrame(
        {
            "member_id": eng["member"].to_numpy() + 1,
            "job_id": eng["job"].to_numpy() + 1,
            "action": eng["action"].to_numpy(dtype=object),
            "channel": eng["channel"].to_numpy(dtype=object),
            "request_id": pd.arrays.IntegerArray(np.maximum(rid, 0), rid < 0),
            "at": epoch_timestamps(eng["at"].to_numpy()),
        },
        copy=False,
    )


def simulate_activity(rng: np.random.Generator, pop: Population, p: Preset) -> Activity:
    """Requests, impressions, engagements and recruiter actions over [start, end), as the
    contract's frames (1-based member and job ids: row i of the population is id i + 1)."""
    # retrieval in proportion to attractiveness (uniform when it is off)
    weighted = p.popularity_exposure > 0
    live = LiveJobSampler(pop, pop.j_log_attractiveness if weighted else None, p.exposure_pool)
    req = _requests(rng, pop, p)
    names = ("request_id", "member", "job", "channel", "rank", "query", "at")
    imp: dict[str, list[np.ndarray]] = {k: [] for k in names}
    eng_parts = []
    for lo in range(0, len(req), p.request_chunk):
        chunk = req.iloc[lo : lo + p.request_chunk]
        rows, jobs, rank = _rank_impressions(rng, pop, p, live, chunk)
        member = chunk["member"].to_numpy()[rows]
        t = chunk["at"].to_numpy()[rows]
        rid = chunk["request_id"].to_numpy()[rows]
        code = chunk["search"].to_numpy()[rows].astype(np.int8)
        for k, v in zip(
            names, (rid, member, jobs, code, rank, chunk["query"].to_numpy()[rows], t), strict=True
        ):
            imp[k].append(v)
        eng_parts.append(_funnel(rng, pop, p, member, jobs, t, CHANNELS[code], rid, rank))
    del req
    eng_parts.append(_direct_visits(rng, pop, p, live))
    eng = pd.concat(eng_parts, ignore_index=True)
    del eng_parts
    eng = eng.sort_values(["at", "member", "job"], kind="stable", ignore_index=True)
    rec = simulate_recruiters(rng, pop, p, live, eng[eng["action"] == "apply"])
    rec = rec.sort_values(["at", "member", "job"], kind="stable", ignore_index=True)
    recruiter_actions = pd.DataFrame(
        {
            "job_id": rec["job"].to_numpy() + 1,
            "member_id": rec["member"].to_numpy() + 1,
            "action": rec["action"].to_numpy(dtype=object),
            "at": epoch_timestamps(rec["at"].to_numpy()),
        }
    )
    return Activity(
        engagements=_engagements_frame(eng),
        impressions=_impressions_frame(imp),
        recruiter_actions=recruiter_actions,
    )
