"""Fixed-window rate limits on the shared cache (Redis in production).

Public forms count attempts per client address and per email address; a caller over the limit
gets a clear "try again later" page, not an error. On Redis one atomic round trip counts a hit
(core.cache.PooledRedisCache.count_hit); other caches use cache.add and cache.incr.
"""

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    seconds: int


def _key(limit: Limit, identity: str, window: int) -> str:
    # Identities (addresses) are hashed: the cache holds no personal data in clear.
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{identity}".encode()).hexdigest()[:32]
    return f"ratelimit:{limit.name}:{window}:{digest}"


def hit(limit: Limit, identity: str) -> bool:
    """Count one attempt by `identity`; False once it is over the limit in this window."""
    window = int(time.time() // limit.seconds)
    key = _key(limit, identity, window)
    count_hit = getattr(cache, "count_hit", None)
    if count_hit is not None:  # Redis (core.cache.PooledRedisCache): one round trip
        return count_hit(key, limit.seconds + 5) <= limit.count
    if cache.add(key, 1, timeout=limit.seconds + 5):
        return True
    try:
        return cache.incr(key) <= limit.count
    except ValueError:  # the key expired between add and incr
        cache.add(key, 1, timeout=limit.seconds + 5)
        return True


def client_ip(request) -> str:
    """The client's address. Behind TRUSTED_PROXY_COUNT proxies, the X-Forwarded-For entry
    added by the outermost of ours; anything further left is the client's own claim."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [hop for hop in hops if hop]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR", "")
