"""Data at scale for `seed_scale` and the bench: the register (subjects.py), the requests
(requests.py) and, with a platform database, the platform's rows (platform.py), all in one
transaction by scale.seed()."""
