"""Seeding at scale: every part in one transaction (see the modules of this package)."""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import connection, transaction

from bench.seeding import subjects as privacy_scale
from bench.seeding.platform import platform_check, platform_fill
from bench.seeding.requests import (
    PLATFORM_DSN,
    connectors_ensure,
    seed_cases,
    staff_ensure,
    subject_lookups,
)
from bench.seeding.subjects import child
from core.models import AccessLogEntry, SentNotice
from demo import register as demo_register
from dsr.models import (
    CaseEvent,
    CasePause,
    CaseTask,
    DsrCase,
    Submission,
)
from privacy.models import (
    ConsentRecord,
    DataSubject,
    Organisation,
    SubjectEmail,
)


@dataclass(frozen=True)
class ScaleResult:
    subjects: int
    emails: int
    consents: int
    submissions: int
    cases: int
    events: int
    tasks: int
    access_log: int
    seconds: dict
    platform: dict = field(default_factory=dict)


def seed(
    *,
    subjects: int,
    cases: int,
    seed: int = 1,
    anchor: datetime,
    access_log: int | None = None,
    staff_count: int = 24,
    platform_url: str | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> ScaleResult:
    """Seed the register and the requests at scale (see the module docstrings); one
    transaction. `access_log` rows in all (default: one per subject). With `platform_url` (a
    PostgreSQL database), the platform's rows for the new subjects too, committed there just
    before the portal's transaction, and the SQL connectors point at it."""
    if platform_url:
        platform_check(platform_url)
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    anchor = anchor.astimezone(UTC).replace(microsecond=0)
    seconds = {}
    started = time.monotonic()

    def lap(name: str) -> None:
        nonlocal started
        seconds[name] = round(time.monotonic() - started, 1)
        progress(f"{name}: {seconds[name]} s")
        started = time.monotonic()

    before = {
        model: model.objects.count()
        for model in (DataSubject, SubjectEmail, ConsentRecord, Submission, DsrCase, CaseEvent,
                      CaseTask, AccessLogEntry)
    }  # fmt: skip
    with transaction.atomic():
        with connection.cursor() as cursor:
            # Nothing is lost on a crash that a rollback would not lose anyway.
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        staff = staff_ensure(staff_count)
        demo_register.seed_register(staff[0])
        policies = demo_register.seed_policy(staff[0])
        connectors_ensure(staff[0], platform_url or PLATFORM_DSN)
        lap("register")
        seeded = privacy_scale.seed_subjects(
            count=subjects, rng=child(rng), anchor=anchor, policies=policies
        )
        lap("subjects")
        log: list[tuple] = []
        seed_cases(
            count=cases, subjects=seeded, staff=staff, rng=child(rng),
            anchor=anchor, log=log,
        )  # fmt: skip
        lap("cases")
        wanted = subjects if access_log is None else access_log
        if seeded.ids:
            log += subject_lookups(
                count=max(wanted - len(log), 0), subjects=seeded, staff=staff,
                rng=child(rng), anchor=anchor,
            )  # fmt: skip
        log.sort(key=lambda item: (item[0], item[1]))
        privacy_scale.access_log_append(spec for _at, _order, spec in log)
        del log
        lap("access log")
        platform = {}
        if platform_url:
            platform = platform_fill(
                url=platform_url, subjects=seeded, rng=child(rng), anchor=anchor
            )
            lap("platform")
    privacy_scale.analyse(
        [DataSubject, SubjectEmail, ConsentRecord, Organisation, Submission, DsrCase, CaseEvent,
         CasePause, CaseTask, SentNotice, AccessLogEntry]
    )  # fmt: skip
    lap("analyse")
    after = {model: model.objects.count() - n for model, n in before.items()}
    return ScaleResult(
        subjects=after[DataSubject],
        emails=after[SubjectEmail],
        consents=after[ConsentRecord],
        submissions=after[Submission],
        cases=after[DsrCase],
        events=after[CaseEvent],
        tasks=after[CaseTask],
        access_log=after[AccessLogEntry],
        seconds=seconds,
        platform=platform,
    )
