"""Rate limits on the real Redis of the test machine, and on the local-memory cache."""

import pytest
from django.core.cache import caches

from core import ratelimit


@pytest.fixture
def redis_cache(settings, monkeypatch):
    settings.CACHES = {
        **settings.CACHES,
        "rate": {
            "BACKEND": "core.cache.PooledRedisCache",
            "LOCATION": settings.CELERY_BROKER_URL,
        },
    }
    cache = caches["rate"]
    monkeypatch.setattr(ratelimit, "cache", cache)
    yield cache
    cache.clear()


def test_redis_counts_each_hit_in_one_round_trip_and_refuses_over_the_limit(redis_cache):
    limit = ratelimit.Limit("test-form", 3, 60)
    client = redis_cache._cache.get_client(write=True)
    client.script_flush()
    assert ratelimit.hit(limit, "198.51.100.6")  # Redis lacked the script: loaded and run
    sent = []
    real = client.connection_pool.get_connection

    def counting(*args, **kwargs):
        sent.append(1)
        return real(*args, **kwargs)

    client.connection_pool.get_connection = counting
    try:
        answers = [ratelimit.hit(limit, "198.51.100.7") for _ in range(5)]
    finally:
        del client.connection_pool.get_connection
    assert answers == [True, True, True, False, False]
    assert len(sent) == 5  # then one command per hit
    assert ratelimit.hit(limit, "198.51.100.8")  # another client has its own count


def test_a_redis_counter_always_expires_with_its_window(redis_cache):
    limit = ratelimit.Limit("test-expiry", 10, 60)
    ratelimit.hit(limit, "anna@example.org")
    ratelimit.hit(limit, "anna@example.org")
    client = redis_cache._cache.get_client(write=True)
    [key] = client.keys("*ratelimit:test-expiry:*")
    assert 60 <= client.ttl(key) <= 65  # set by the first hit, kept by the later ones
    assert b"anna" not in key  # identities are hashed


def test_other_caches_count_the_same_way(settings):
    limit = ratelimit.Limit("test-locmem", 2, 60)
    caches["default"].clear()
    assert [ratelimit.hit(limit, "198.51.100.9") for _ in range(3)] == [True, True, False]
