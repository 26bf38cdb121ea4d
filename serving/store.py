"""The online store the service reads, set to fail fast: while Redis is away a request should get
its 503 in well under a second, not after redis-py's default retries (3, exponential backoff from
1 s: ~10 s measured) and the OS's connect timeout."""

from __future__ import annotations

from linksage.config import ExperimentConfig
from linksage.feature_store import open_store


def open_online_store(config: ExperimentConfig):
    """A `feast.FeatureStore` over the config's online store; for Redis, with socket timeouts
    (`serving.store_timeout_s`, passed in Feast's connection string, which hands its `k=v`
    options to redis.Redis) and one immediate retry."""
    feast, timeout = config.feast, config.serving.store_timeout_s
    connection = feast.redis_connection_string
    if feast.online_store == "redis":
        options = {"socket_connect_timeout": timeout, "socket_timeout": timeout}
        given = {part.split("=", 1)[0] for part in connection.split(",") if "=" in part}
        connection += "".join(f",{k}={v}" for k, v in options.items() if k not in given)
    store = open_store(
        feast.repo_dir, online_store=feast.online_store, redis_connection_string=connection
    )
    if feast.online_store == "redis":
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        # Feast builds its client lazily and keeps it; it has no setting for the retry policy
        online = store._get_provider().online_store
        online._get_client(store.config.online_store).set_retry(Retry(NoBackoff(), 1))
    return store
