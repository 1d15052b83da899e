from celery import current_app
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Run every scheduled sweeper once, now, as beat would (after an outage, or to test). "
        "With --inline the work they hand out runs here too, instead of on the workers."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--inline",
            action="store_true",
            help="Run the tasks the sweepers queue in this process (no worker needed).",
        )
        parser.add_argument("--only", nargs="+", help="Names of the beat entries to run.")

    def handle(self, *args, inline, only, **options):
        schedule = settings.CELERY_BEAT_SCHEDULE
        unknown = set(only or []) - set(schedule)
        if unknown:
            # Nothing runs: a mistyped name would otherwise look like a sweep that found no work.
            raise CommandError(
                f"Unknown sweepers: {', '.join(sorted(unknown))}. "
                f"The beat entries are: {', '.join(sorted(schedule))}."
            )
        names = [name for name in sorted(schedule) if not only or name in only]
        # As a worker does at start: every app's tasks module, so every task is known.
        current_app.loader.import_default_modules()
        previous = current_app.conf.task_always_eager
        current_app.conf.task_always_eager = inline
        failures = 0
        try:
            for name in names:
                entry = schedule[name]
                task = current_app.tasks[entry["task"]]
                result = task.apply(args=entry.get("args", ()), kwargs=entry.get("kwargs", {}))
                if result.failed():
                    failures += 1
                    self.stderr.write(f"{name}: failed: {result.result!r}")
                else:
                    self.stdout.write(f"{name}: {result.result}")
        finally:
            current_app.conf.task_always_eager = previous
        if failures:
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS(f"{len(names)} sweeper(s) ran."))
