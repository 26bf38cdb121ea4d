"""The config's `targeting` section (promoted-jobs auto-targeting, targeting/, docs/targeting.md).

Every value is fixed a priori: none is tuned on test-window results.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from linksage.config.base import Section


class TargetingSection(Section):
    """Audiences of promoted jobs and the campaign simulation; `targeting.promoted_targeting`
    takes it as `params`."""

    audience_size: int = Field(500, ge=1, description="members in each promoted job's audience")
    restart: float = Field(
        0.3, gt=0, lt=1, description="personalized PageRank: probability of jumping back"
    )
    hire_position_days: float = Field(
        60,
        ge=0,
        description="an apply then a position at the job's company and title within "
        "this many days is a hire",
    )
    gnn_share: float = Field(
        0.5, ge=0, le=1, description="graph_gnn: share of the audience widened by GNN similarity"
    )
    daily_budget: float = Field(5.0, gt=0, description="per promoted job and campaign day")
    cost_per_apply: float = Field(1.0, gt=0, description="what the advertiser pays per apply")
    seed: int = Field(0, description="the campaign simulation's draws")

    @model_validator(mode="after")
    def _affordable(self) -> TargetingSection:
        if self.daily_budget < self.cost_per_apply:
            raise ValueError("targeting.daily_budget must be at least targeting.cost_per_apply")
        return self
