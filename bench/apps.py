from django.apps import AppConfig


class BenchConfig(AppConfig):
    """`make bench` and `seed_scale` (data at scale). Installed by the local and test settings
    only: production has neither."""

    name = "bench"
    verbose_name = "Bench"
