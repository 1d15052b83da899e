"""Settings of the self-service bench (bench/selfservice.py): production's, with two changes.

The bench starts gunicorn with these and an environment it makes itself (a scratch PostgreSQL
database, Redis database 14 as broker and cache, a console email backend, throwaway keys), so
DEBUG is off, static files come from WhiteNoise's manifest storage and every production check
runs. Never used outside the bench.
"""

from config.settings.production import *  # noqa: F403

# The constant view the pages are compared with lives in bench/urls.py only: production's URL
# configuration has no such page.
ROOT_URLCONF = "bench.urls"

# Rate limits off: thousands of requests a second from one loopback address would otherwise be
# answered "try again later" after the first 20.
DSR_REQUEST_LIMIT_PER_IP = 10**9
DSR_REQUEST_LIMIT_PER_EMAIL = 10**9
