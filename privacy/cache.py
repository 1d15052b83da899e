"""Django's Redis cache backend, with one Redis client per connection pool.

Django's client builds a new `redis.Redis` for every cache operation, and redis-py fills each
one's table of response callbacks (about 50 µs, as long as the round trip itself). The client
holds no connection of its own (the pool hands them out) and is thread-safe, so one per pool
serves every operation. CACHE_URL=redis://... selects this backend (config/settings/base.py).
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class PooledRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class PooledRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = PooledRedisCacheClient

    def count_hit(self, key: str, timeout: int) -> int:
        """Add one to the counter `key`, which expires `timeout` seconds after its first hit;
        the new count. One round trip, where cache.add then cache.incr take up to three; in
        MULTI/EXEC, so the counter cannot expire between its creation and the increment and
        live on without an expiry."""
        key = self.make_and_validate_key(key)
        client = self._cache.get_client(key, write=True)
        with client.pipeline(transaction=True) as pipe:
            pipe.set(key, 0, ex=timeout, nx=True)
            pipe.incr(key)
            return pipe.execute()[1]
