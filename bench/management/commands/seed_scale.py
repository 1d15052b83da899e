from datetime import UTC, datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone


class Command(BaseCommand):
    help = (
        "Fill the database with realistic data at scale: data subjects with "
        "addresses and consent records, requests in every right and status with their "
        "timelines, tasks and reminders, connectors, the access log and, with "
        "--platform-database, the platform rows the SQL connectors read. Deterministic for a "
        "seed and an anchor date. Into an empty migrated database or on top of existing data: "
        "new rows continue the sequences, the reference counters and the access-log chain."
    )

    def add_arguments(self, parser):
        parser.add_argument("--subjects", type=int, required=True, help="data subjects to add")
        parser.add_argument("--cases", type=int, required=True, help="requests (cases) to add")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--access-log",
            type=int,
            default=None,
            help="access-log rows to add (default: one per subject)",
        )
        parser.add_argument(
            "--anchor",
            type=datetime.fromisoformat,
            default=None,
            help="the date data is generated around, YYYY-MM-DD (default today); dates of "
            "receipt fall before it, deadlines before and after",
        )
        parser.add_argument(
            "--platform-database",
            default=None,
            metavar="URL",
            help="a PostgreSQL database (postgresql://user@host:5432/name) to add the "
            "platform's rows to (the tables of demo.platform, created if missing): an "
            "account for each seeded platform user and organisation administrator, their "
            "content and events, their organisations and invoices; the SQL connectors then "
            "point at it. Default: none, and the connectors point at a fictional address, "
            "so their tasks cannot run",
        )

    def handle(self, *args, **options):
        from bench.seeding import scale
        from bench.seeding.platform import PlatformDatabaseError

        if options["subjects"] < 0 or options["cases"] < 0:
            raise CommandError("--subjects and --cases cannot be negative.")
        if options["cases"] and not options["subjects"]:
            raise CommandError("Cases need data subjects: give --subjects too.")
        now = timezone.now()
        anchor = options["anchor"]
        if anchor is None:
            anchor = now
        else:
            anchor = datetime.combine(anchor.date(), time(12), tzinfo=UTC)
            if anchor > now:
                anchor = now
        try:
            result = scale.seed(
                subjects=options["subjects"],
                cases=options["cases"],
                seed=options["seed"],
                anchor=anchor,
                access_log=options["access_log"],
                platform_url=options["platform_database"],
                progress=lambda message: self.stdout.write(f"  {message}"),
            )
        except PlatformDatabaseError as error:
            raise CommandError(f"--platform-database: {error}") from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Added {result.subjects:,} data subjects ({result.emails:,} addresses, "
                f"{result.consents:,} consent records), {result.cases:,} requests in "
                f"{result.submissions:,} submissions ({result.events:,} events, "
                f"{result.tasks:,} tasks) and {result.access_log:,} access-log rows "
                f"in {sum(result.seconds.values()):.0f} s."
            )
        )
        if result.platform:
            self.stdout.write(
                "Platform database: "
                + ", ".join(f"{n:,} {table}" for table, n in result.platform.items())
                + " added; the SQL connectors point at it."
            )
