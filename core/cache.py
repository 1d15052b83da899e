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


_COUNT_HIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


class PooledRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = PooledRedisCacheClient
        self._count_scripts = {}

    def count_hit(self, key: str, timeout: int) -> int:
        """Add one to the counter `key`, which expires `timeout` seconds after its first hit;
        the new count. One command (a script Redis runs atomically, so the counter cannot
        live on without its expiry), where cache.add then cache.incr take up to three round
        trips, and a pipeline costs a client object of its own."""
        key = self.make_and_validate_key(key)
        client = self._cache.get_client(key, write=True)
        script = self._count_scripts.get(id(client))
        if script is None:
            script = self._count_scripts[id(client)] = client.register_script(_COUNT_HIT)
        return script(keys=[key], args=[timeout])
