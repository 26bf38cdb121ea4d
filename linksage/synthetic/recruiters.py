"""Recruiters of the synthetic marketplace: hearing back after applications, messages, and
reach-outs to members who signal they are looking (docs/generative_model.md, "Recruiters")."""

from __future__ import annotations

import numpy as np
import pandas as pd

from linksage.synthetic.job_sampler import LiveJobSampler
from linksage.synthetic.preset import DAY


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def simulate_recruiters(rng, pop, p, live: LiveJobSampler, applies: pd.DataFrame) -> pd.DataFrame:
    """Positive hearing back after some applications, messages after some of those, and
    recruiter reach-outs (sourcing) to members who signal they are looking."""
    member, job = applies["member"].to_numpy(), applies["job"].to_numpy()
    fit = (pop.m_title_area[member] == pop.j_area[job]).astype(float)
    close = np.abs(pop.m_seniority[member] - pop.j_seniority[job]) <= p.hearing_back_seniority_gap
    fit += close.astype(float) * p.hearing_back_seniority_fit
    logit = (
        p.hearing_back_bias
        + p.hearing_back_fit * fit
        + p.hearing_back_premium * (pop.m_premium[member])
    )
    yes = rng.random(len(member)) < sigmoid(logit)
    delay = rng.exponential(p.hearing_back_mean_delay_days * DAY, len(member)).astype(np.int64)
    at = applies["at"].to_numpy() + p.hearing_back_min_delay_s + delay
    yes &= at < pop.end
    hb = pd.DataFrame(
        {"member": member[yes], "job": job[yes], "action": "positive_hearing_back", "at": at[yes]}
    )
    msg_at = hb["at"].to_numpy() + rng.integers(*p.message_delay_s, len(hb))
    msg = hb[(rng.random(len(hb)) < p.message_after_hearing_back) & (msg_at < pop.end)].copy()
    msg["action"], msg["at"] = "message", msg_at[msg.index.to_numpy()]
    # sourcing: recruiters search by title area and favour members open to work
    weight = np.array(p.reach_out_intent_weight)[pop.m_intent] * np.where(
        pop.m_premium, p.reach_out_premium_weight, 1.0
    )
    n_reach = rng.poisson(p.reach_outs_per_member * len(weight))
    who = rng.choice(len(weight), size=n_reach, p=weight / weight.sum())
    lo = np.maximum(pop.m_created[who], pop.start)
    t = lo + np.floor(rng.random(n_reach) * (pop.end - p.request_end_margin_s - lo)).astype(
        np.int64
    )
    # a recruiter sources for their own posting, whatever its traffic: uniform over live jobs
    idx, ok = live.sample(rng, t, 1, pop.m_title_area[who], uniform=True)
    reach = pd.DataFrame(
        {"member": who[ok[:, 0]], "job": idx[ok[:, 0], 0], "action": "reach_out", "at": t[ok[:, 0]]}
    )
    return pd.concat([hb, msg, reach], ignore_index=True)
