"""Graph-based auto-targeting of promoted jobs (LinkedIn's "Learning to Retrieve for Job
Matching": a graph of confirmed hires between member and job segments). numpy, pandas, scipy and
pyarrow only: neither torch nor TensorFlow, and it trains nothing. docs/targeting.md.

- `hires`: confirmed hires (an apply, then positive hearing back or a matching new position);
- `segments`: (title, seniority band, location) of members and jobs;
- `graph`: the segment graph and personalized PageRank over it;
- `audiences`: title + location (advertiser-style), graph, graph widened by GNN, embedding;
- `replay`: audience recall of the actual appliers; the qualified-apply rule;
- `campaign`: the campaign days, and the seeded budgeted delivery simulation;
- `api`: `promoted_targeting`, everything above as report.json's `promoted_targeting`.
"""

from targeting.api import METHODS, promoted_targeting

__all__ = ["METHODS", "promoted_targeting"]
