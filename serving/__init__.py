"""The ranking service (`linksage serve`, docs/serving.md): trained runs scored with ONNX over
member features read from the Feast online store per request and job features held in memory
(refreshed from the online store on a timer, staleness bounded), candidates given or retrieved
from a faiss index with the quality rules.

It composes two stages (rankers' numpy modules, retrieval) the way linksage.cli does, and is
imported by no stage; it imports neither torch nor TensorFlow (pyproject's import contracts).

- `runs`: a trained run ready to score (its feature plan, ONNX sessions, history);
- `job_table`: the in-memory job table and its refresher;
- `scorer`: one request end to end;
- `api`: the request body, the service's errors and their HTTP statuses;
- `store`: the online store, set to fail fast while Redis is away;
- `service`: the service from a config, and `serve`;
- `app`: the ASGI app (routes, metrics).
"""
