"""Requests at scale for `seed_scale` and the bench: submissions and cases in every right and
status with their timelines, pauses, fulfilment tasks, claimed reminders, connectors for the
register's systems, the staff who handle them and the access log their work leaves.

Cases are received over the three years before the anchor, evenly: recent ones are mostly
open, older ones closed (a few late, a few still open and overdue). Every date comes from
dsr.deadlines, as when a request arrives; references continue each year's ReferenceCounter.
Reminders that a daily sweep would have claimed up to yesterday are claimed (SentNotice), so
today's sweep meets the work of one day, as in production.

With a platform database, the platform's own rows too (dsr.demo_platform's tables): an account
for every seeded platform user and organisation administrator, with their content and events
and their organisations' invoices, and the SQL connectors point at it, so a case's SQL task
finds that person's rows. Without one, the connectors point at a fictional address.
"""

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import psycopg
from django.contrib.auth.models import Group
from django.db import connection, transaction
from psycopg import sql

from accounts.models import User
from accounts.roles import Role
from dsr import deadlines, demo_platform
from dsr.choices import (
    FINAL_STATUSES,
    CaseStatus,
    Channel,
    ConnectorKind,
    EventKind,
    IdentityMethod,
    IdentityStatus,
    Operation,
    PauseReason,
    RefusalBasis,
    Right,
    TaskKind,
    TaskStatus,
)
from dsr.models import (
    CaseEvent,
    CasePause,
    CaseTask,
    DsrCase,
    ReferenceCounter,
    Submission,
    SystemConnector,
)
from dsr.services import reminders
from privacy import crypto
from privacy import demo as register
from privacy import scale as privacy_scale
from privacy.choices import AccessAction, SubjectCategory
from privacy.models import (
    AccessLogEntry,
    ConsentRecord,
    DataCategory,
    DataSubject,
    Organisation,
    SentNotice,
    SubjectEmail,
    System,
)
from privacy.scale import LogSpec, copy_rows, moment, reserve_ids, uuid_from

S = CaseStatus
HISTORY_DAYS = 3 * 365
OPEN_WINDOW_DAYS = 40
RIGHT_WEIGHTS = {
    Right.ACCESS: 35,
    Right.ERASURE: 30,
    Right.OBJECTION_MARKETING: 10,
    Right.RECTIFICATION: 8,
    Right.PORTABILITY: 7,
    Right.OBJECTION: 6,
    Right.RESTRICTION: 4,
}
CHANNEL_WEIGHTS = {
    Channel.SELF_SERVICE: 60,
    Channel.EMAIL: 25,
    Channel.POST: 5,
    Channel.PHONE: 5,
    Channel.STAFF: 5,
}
OPEN_WEIGHTS = {
    S.RECEIVED: 15,
    S.AWAITING_IDENTITY: 20,
    S.IN_PROGRESS: 50,
    S.AWAITING_REQUESTER: 15,
}
CLOSED_WEIGHTS = {S.COMPLETED: 75, S.PARTIALLY_COMPLETED: 8, S.REFUSED: 7, S.WITHDRAWN: 10}
# Tasks of open cases; a failure is retried or handled within days, so few are failed now.
OPEN_TASK_WEIGHTS = {
    TaskStatus.PENDING: 30,
    TaskStatus.RUNNING: 10,
    TaskStatus.WAITING: 25,
    TaskStatus.DONE: 33,
    TaskStatus.FAILED: 2,
}
IDENTITY_BY_CHANNEL = {
    Channel.SELF_SERVICE: IdentityMethod.EMAIL_LINK,
    Channel.EMAIL: IdentityMethod.KNOWN_ACCOUNT,
    Channel.POST: IdentityMethod.ID_DOCUMENT,
    Channel.PHONE: IdentityMethod.PHONE_CALLBACK,
    Channel.STAFF: IdentityMethod.OTHER,
}
OPERATION_BY_RIGHT = {
    Right.ACCESS: Operation.EXPORT,
    Right.PORTABILITY: Operation.EXPORT,
    Right.ERASURE: Operation.ERASE,
    Right.RECTIFICATION: Operation.RECTIFY,
    Right.RESTRICTION: Operation.RESTRICT,
}
DETAILS = {
    "en": [
        "Please send me a copy of everything you hold about me.",
        "Delete my account and all data connected to it.",
        "I no longer want any newsletters or offers.",
        "",
        "",
    ],
    "sv": [
        "Jag vill ha en kopia av alla uppgifter ni har om mig.",
        "Radera mitt konto och alla uppgifter om mig.",
        "Jag vill inte längre få nyhetsbrev eller erbjudanden.",
        "",
        "",
    ],
}
OUTCOMES = {
    S.COMPLETED: "Done: the answer was sent to the requester by secure download or letter.",
    S.PARTIALLY_COMPLETED: "Partly done: invoices are kept under the Accounting Act until "
    "the end of the retention period; everything else was handled.",
}
REFUSALS = [
    (RefusalBasis.NOT_CONFIRMED, "The request was never confirmed through the emailed link."),
    (
        RefusalBasis.EXCESSIVE,
        "This is the fourth identical request this month; our answer of last week stands.",
    ),
    (
        RefusalBasis.IDENTITY_NOT_ESTABLISHED,
        "We could not establish that the request came from the person concerned.",
    ),
    (
        RefusalBasis.ERASURE_EXCEPTION,
        "Invoices must be kept under the Accounting Act (Art. 17(3)(b)).",
    ),
]
NEEDS_JUSTIFICATION = {RefusalBasis.MANIFESTLY_UNFOUNDED, RefusalBasis.EXCESSIVE}
STAFF_USERNAME = "scale.officer{:02d}"
PLATFORM_DSN = "postgresql://privacy_reader@platform-db.internal:5432/platform"
WEBHOOK_URL = "https://newsletter.example/privacy/requests"


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


def _child(rng: random.Random) -> random.Random:
    """An independent generator per part, so that changing one part leaves the others' rows
    as they were."""
    return random.Random(rng.random())  # noqa: S311 - reproducible test data, not secrets


def _pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), list(weights.values()))[0]


# --- Staff and connectors -------------------------------------------------------------------


def staff_ensure(count: int) -> list[User]:
    """The privacy team that handles the seeded cases (no password: they cannot sign in)."""
    group = Group.objects.filter(name=Role.PRIVACY_OFFICER.group_name).first()
    team = []
    for number in range(1, count + 1):
        username = STAFF_USERNAME.format(number)
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, email=f"{username}@opper.example", is_staff=True)
            user.set_unusable_password()
            user.save()
            if group:
                user.groups.add(group)
        team.append(user)
    return team


def connectors_ensure(owner: User, dsn: str = PLATFORM_DSN) -> int:
    """Connectors for the register's systems, as an installation has them: SQL for the
    platform's databases (at `dsn`), a webhook for the newsletter tool, a manual task for the
    helpdesk. Systems that already have one keep it, except that SQL connectors an earlier run
    pointed at the fictional address move to a real `dsn`."""
    from dsr import demo

    categories = {c.name: c for c in DataCategory.objects.all()}
    systems = {s.name: s for s in System.objects.filter(connector__isnull=True)}
    created = 0
    if dsn != PLATFORM_DSN:
        # The connection string is encrypted: compared here, on the few SQL connectors.
        for connector in SystemConnector.objects.filter(
            kind=ConnectorKind.POSTGRESQL, system__name__in=list(demo.queries(False))
        ):
            if connector.dsn == PLATFORM_DSN:
                connector.dsn = dsn
                connector.save()
    for name in demo.queries(False):
        if name in systems:
            created += demo.sql_connector_ensure(systems[name], dsn, False, categories)
    if register.SYS_NEWSLETTER in systems:
        SystemConnector.objects.create(
            system=systems[register.SYS_NEWSLETTER],
            kind=ConnectorKind.WEBHOOK,
            webhook_url=WEBHOOK_URL,
            webhook_secret="scale-webhook-signing-secret",  # noqa: S106 - test data
        )
        created += 1
    if register.SYS_HELPDESK in systems:
        SystemConnector.objects.create(
            system=systems[register.SYS_HELPDESK],
            kind=ConnectorKind.MANUAL,
            manual_owner=owner,
            manual_instructions=demo.HELPDESK_INSTRUCTIONS,
        )
        created += 1
    return created


# --- Cases ----------------------------------------------------------------------------------


class _Dates:
    """dsr.deadlines per local date of receipt, computed once per date."""

    def __init__(self):
        self.cache: dict[tuple, tuple] = {}

    def __call__(self, received_at: datetime, paused_days: int) -> tuple[date, date, date]:
        key = (deadlines.local_received_date(received_at), paused_days)
        if key not in self.cache:
            self.cache[key] = (
                deadlines.target_date(received_at, paused_days=paused_days),
                deadlines.due_date(received_at, paused_days=paused_days),
                deadlines.extended_due_date(received_at, paused_days=paused_days),
            )
        return self.cache[key]


def _references(received: list[datetime]) -> list[str]:
    """The next references of each year, in order of receipt; the counters move past them."""
    years = [deadlines.local_received_date(at).year for at in received]
    counters = {}
    for year in sorted(set(years)):
        counter, _ = ReferenceCounter.objects.select_for_update().get_or_create(year=year)
        counters[year] = counter
    references = []
    for year in years:
        counters[year].last_number += 1
        references.append(f"DSR-{year}-{counters[year].last_number:06d}")
    for counter in counters.values():
        counter.save(update_fields=["last_number"])
    return references


def _at(day_start: datetime, rng: random.Random, hours: float) -> datetime:
    return day_start + timedelta(seconds=rng.randint(60, max(61, int(hours * 3600))))


def seed_cases(
    *,
    count: int,
    subjects: privacy_scale.SeededSubjects,
    staff: list[User],
    rng: random.Random,
    anchor: datetime,
    log: list,
) -> dict:
    """Write `count` cases (and their submissions, events, pauses, tasks and claimed
    reminders); append what staff looked at to `log` as (at, order, LogSpec)."""
    today = deadlines.local_received_date(anchor)
    dates = _Dates()
    team = [user.pk for user in staff]
    systems = list(
        SystemConnector.objects.filter(is_enabled=True)
        .select_related("system")
        .order_by("system__name")
        .values_list("system_id", "kind")
    )
    # When each request arrived, oldest first; one submission in ten asks for two rights.
    received: list[datetime] = sorted(
        moment(anchor, rng, days_back=HISTORY_DAYS, days_min=0.01) for _ in range(count)
    )
    references = _references(received)
    case_ids = reserve_ids(DsrCase, count)
    submissions, cases, events, pauses, tasks, notices = [], [], [], [], [], []
    submission_ids = reserve_ids(Submission, count)
    used_submissions = 0
    position = 0
    # Every right among the first cases and every status among the newest, whatever the size.
    every_right = list(Right)
    every_status = {count - 1 - n: status for n, status in enumerate(S)}
    while position < count:
        rights = [_pick(rng, RIGHT_WEIGHTS)]
        if position < len(every_right):
            rights = [every_right[position]]
        elif position + 1 < count and rng.random() < 0.1:
            second = _pick(rng, RIGHT_WEIGHTS)
            if second != rights[0]:
                rights.append(second)
        at = received[position]
        submission_id = submission_ids[used_submissions]
        used_submissions += 1
        channel = _pick(rng, CHANNEL_WEIGHTS)
        known = rng.random() < 0.85 and subjects.ids
        if known:
            index = rng.randrange(len(subjects.ids))
            subject_id = subjects.ids[index]
            name, email = subjects.names[index], subjects.emails[index]
            language = subjects.languages[index]
        else:
            subject_id = None
            given, family = (
                rng.choice(["Eva", "Tomasz", "Ines", "Kenji", "Oula", "Dimitra"]),
                (rng.choice(["Sundberg", "Kowalski", "Moreno", "Sato", "Aikio", "Pappas"])),
            )
            name = f"{given} {family}"
            email = (
                f"{privacy_scale.ascii_word(given)}.{privacy_scale.ascii_word(family)}"
                f"{rng.randint(1, 9999)}@{rng.choice(privacy_scale.PRIVATE_DOMAINS)}"
            )
            language = rng.choice(["en", "sv"])
        if channel in (Channel.POST, Channel.PHONE) and rng.random() < 0.5:
            email = ""
        status_token = privacy_scale.token(rng)
        message = "" if channel == Channel.SELF_SERVICE else rng.choice(DETAILS[language])
        submissions.append(
            (
                submission_id,
                at,
                at,
                uuid_from(rng),
                channel,
                at,
                language,
                crypto.encrypt(name),
                crypto.encrypt(email),
                crypto.keyed_hash(email) if email else "",
                crypto.encrypt(status_token),
                privacy_scale.sha256(status_token),
                crypto.encrypt(message),
                rng.choice(team) if channel == Channel.STAFF else None,
            )
        )
        for right in rights:
            case_id = case_ids[position]
            reference = references[position]
            position += 1
            row, case_events, case_pause, case_tasks, case_log = _case(
                rng=rng,
                case_id=case_id,
                reference=reference,
                submission_id=submission_id,
                right=right,
                status=every_status.get(position - 1),
                channel=channel,
                at=at,
                subject_id=subject_id,
                language=language,
                anchor=anchor,
                dates=dates,
                team=team,
                systems=systems,
            )
            cases.append(row)
            events.extend(case_events)
            if case_pause:
                pauses.append(case_pause)
            tasks.extend(case_tasks)
            log.extend(case_log)
            if row[7] not in FINAL_STATUSES:
                notices.extend(_claimed_reminders(case_id, row, today))
    timings = {}
    timings["submissions"] = copy_rows(
        Submission,
        [
            "id",
            "created_at",
            "updated_at",
            "public_id",
            "channel",
            "received_at",
            "language",
            "requester_name",
            "requester_email",
            "requester_email_hash",
            "status_token",
            "status_token_hash",
            "message",
            "created_by_id",
        ],
        submissions,
    )
    del submissions
    timings["cases"] = copy_rows(DsrCase, CASE_COLUMNS, cases)
    del cases
    events.sort(key=lambda row: (row[1], row[0]))
    timings["events"] = copy_rows(
        CaseEvent, ["case_id", "at", "actor_id", "kind", "from_status", "to_status", "note"], events
    )
    del events
    timings["pauses"] = copy_rows(
        CasePause, ["case_id", "reason", "explanation", "started_at", "ended_at", "days"], pauses
    )
    timings["tasks"] = copy_rows(
        CaseTask,
        [
            "created_at",
            "updated_at",
            "public_id",
            "case_id",
            "kind",
            "system_id",
            "operation",
            "connector_kind",
            "status",
            "attempts",
            "started_at",
            "completed_at",
            "completed_by_id",
        ],
        ((*row[:2], uuid_from(rng), *row[2:]) for row in tasks),
    )
    timings["notices"] = copy_rows(
        SentNotice, ["key", "category", "created_at", "superseded", "recipients"], notices
    )
    return timings


CASE_COLUMNS = [
    "id", "created_at", "updated_at", "reference", "public_id", "submission_id", "right",
    "status", "subject_id", "received_at", "language", "identity_status", "identity_method",
    "identity_verified_at", "identity_evidence", "target_date", "due_date", "extended_due_date",
    "paused_days", "extension_reason", "extension_notified_at", "assignee_id", "details",
    "rectification_content", "outcome", "refusal_basis", "refusal_reasons",
    "refusal_justification", "closed_at",
]  # fmt: skip
_STATUS = CASE_COLUMNS.index("status")


def _case(*, rng, case_id, reference, submission_id, right, status, channel, at, subject_id,
          language, anchor, dates, team, systems):  # fmt: skip
    """One case's row, events, running pause, tasks and log entries, consistent with its
    status (drawn by age unless given) and its dates."""
    age = (anchor - at).total_seconds() / 86400
    if status is None and age < OPEN_WINDOW_DAYS:
        status = _pick(rng, OPEN_WEIGHTS) if rng.random() < 0.8 else _pick(rng, CLOSED_WEIGHTS)
    elif status is None:
        open_late = rng.random() < 0.015
        status = rng.choice([S.IN_PROGRESS, S.AWAITING_REQUESTER]) if open_late else None
        status = status or _pick(rng, CLOSED_WEIGHTS)
    final = status in FINAL_STATUSES
    paused_days = rng.randint(2, 12) if final and rng.random() < 0.1 else 0
    target, due, extended = dates(at, paused_days)
    extend = status in (S.IN_PROGRESS, S.COMPLETED, S.PARTIALLY_COMPLETED) and rng.random() < 0.05
    assignee = rng.choice(team) if status not in (S.RECEIVED, S.AWAITING_IDENTITY) else None
    if assignee is None and status == S.RECEIVED and rng.random() < 0.3:
        assignee = rng.choice(team)
    events = [(case_id, at, None, EventKind.CREATED, "", S.RECEIVED,
               crypto.encrypt(f"Received by {Channel(channel).label}."))]  # fmt: skip
    log = []
    moment_ = at
    last_status = S.RECEIVED

    def later(hours: float) -> datetime:
        nonlocal moment_
        moment_ = min(_at(moment_, rng, hours), anchor - timedelta(seconds=1))
        return moment_

    def event(kind, actor=None, to_status="", note=""):
        nonlocal last_status
        from_status = last_status if to_status else ""
        events.append((case_id, moment_, actor, kind, from_status, to_status,
                       crypto.encrypt(note)))  # fmt: skip
        if to_status:
            last_status = to_status

    def viewed(actor):
        log.append((moment_, case_id, LogSpec(
            at=moment_, actor_id=actor, action=AccessAction.VIEW, object_type="case",
            object_id=str(case_id), subject_id=subject_id, case_reference=reference,
            purpose=f"Handling {reference}", ip_address=privacy_scale.staff_ip(rng))))  # fmt: skip

    if channel == Channel.SELF_SERVICE and status != S.RECEIVED:
        later(0.01)
        event(EventKind.STATUS, to_status=S.AWAITING_IDENTITY,
              note="Waiting for the emailed confirmation.")  # fmt: skip
    verified = status not in (S.RECEIVED, S.AWAITING_IDENTITY) and not (
        status in (S.REFUSED, S.WITHDRAWN) and rng.random() < 0.5
    )
    method, verified_at, evidence = "", None, ""
    if verified:
        method = IDENTITY_BY_CHANNEL[channel]
        verified_at = later(30)
        if method == IdentityMethod.ID_DOCUMENT:
            evidence = "Copy of passport enclosed with the letter; name and address match."
        elif method == IdentityMethod.PHONE_CALLBACK:
            evidence = "Called back on the number held for the account."
        event(EventKind.IDENTITY, actor=None if channel == Channel.SELF_SERVICE else assignee,
              note="Identity verified.")  # fmt: skip
    if assignee:
        later(20)
        event(EventKind.ASSIGNMENT, actor=assignee, note="")
        viewed(assignee)
    started = status not in (S.RECEIVED, S.AWAITING_IDENTITY) and verified
    if started:
        later(24)
        event(EventKind.STATUS, actor=assignee, to_status=S.IN_PROGRESS)
    pause = None
    if status == S.AWAITING_REQUESTER:
        later(48)
        event(EventKind.PAUSE, actor=assignee, to_status=S.AWAITING_REQUESTER,
              note="Asked which processing the objection concerns.")  # fmt: skip
        pause = (case_id, PauseReason.CLARIFICATION,
                 crypto.encrypt("The request cannot be assessed until the requester answers."),
                 moment_, None, 0)  # fmt: skip
    extension = (None, "", None)
    if extend:
        notified = later(24 * 5)
        extension = (extended, crypto.encrypt(
            "Your data is held in several systems and the request covers years of history."
        ), notified)  # fmt: skip
        event(EventKind.EXTENSION, actor=assignee, note="Extended by two months.")
    outcome = refusal_basis = refusal_reasons = justification = ""
    closed_at = None
    if final:
        # Most answers come within the target; a few after the legal date.
        limit_day = extension[0] or (due if rng.random() < 0.97 else due + timedelta(days=9))
        limit = datetime.combine(limit_day, datetime.min.time(), tzinfo=UTC)
        span = max((min(limit, anchor) - moment_).total_seconds() / 3600, 1)
        later(rng.uniform(0.5, 1) * span)
        closed_at = moment_
        if status == S.REFUSED:
            refusal_basis, refusal_reasons = rng.choice(REFUSALS)
            if refusal_basis in NEEDS_JUSTIFICATION:
                justification = "Three identical requests answered in the last 30 days."
        elif status != S.WITHDRAWN:
            outcome = OUTCOMES[status]
        event(EventKind.STATUS, actor=assignee, to_status=status,
              note=refusal_reasons or outcome or "Withdrawn by the requester.")  # fmt: skip
        if assignee:
            viewed(assignee)
    tasks = []
    operation = OPERATION_BY_RIGHT.get(right)
    if operation and started:
        for system_id, kind in systems:
            if kind == ConnectorKind.MANUAL and rng.random() < 0.7:
                continue
            if kind == ConnectorKind.WEBHOOK and operation == Operation.EXPORT:
                continue
            created = at + (moment_ - at) / 3
            if final:
                task_status = TaskStatus.DONE if rng.random() < 0.95 else TaskStatus.SKIPPED
            else:
                task_status = _pick(rng, OPEN_TASK_WEIGHTS)
            done = task_status == TaskStatus.DONE
            tasks.append((created, closed_at or created, case_id, TaskKind.SYSTEM, system_id,
                          operation, kind, task_status, 1 if task_status != TaskStatus.PENDING
                          else 0, created if task_status != TaskStatus.PENDING else None,
                          (closed_at or created) if done else None,
                          assignee if done and kind == ConnectorKind.MANUAL else None))  # fmt: skip
    details = rng.choice(DETAILS[language])
    rectification = ""
    if right == Right.RECTIFICATION:
        rectification = json.dumps({"name": "Corrected Name"})
    created_at = at
    row = (
        case_id, created_at, closed_at or moment_, reference, uuid_from(rng), submission_id,
        right, status, subject_id, at, language,
        IdentityStatus.VERIFIED if verified else (
            IdentityStatus.FAILED if status == S.REFUSED and not verified
            and refusal_basis == RefusalBasis.IDENTITY_NOT_ESTABLISHED
            else IdentityStatus.UNVERIFIED
        ),
        method, verified_at, crypto.encrypt(evidence), target, due, extension[0], paused_days,
        extension[1], extension[2], assignee, crypto.encrypt(details),
        crypto.encrypt(rectification), crypto.encrypt(outcome), refusal_basis,
        crypto.encrypt(refusal_reasons), crypto.encrypt(justification), closed_at,
    )  # fmt: skip
    return row, events, pause, tasks, log


def _claimed_reminders(case_id: int, row: tuple, today: date) -> list[tuple]:
    """The reminders of an open case that a daily sweep would have claimed by yesterday."""
    columns = dict(zip(CASE_COLUMNS, row, strict=True))
    case = SimpleNamespace(
        target_date=columns["target_date"],
        due_date=columns["due_date"],
        extended_due_date=columns["extended_due_date"],
        effective_due_date=columns["extended_due_date"] or columns["due_date"],
    )
    received = deadlines.local_received_date(columns["received_at"])
    yesterday = today - timedelta(days=1)
    if received >= yesterday:
        return []
    due = reminders.reminders_for(case, yesterday, set())
    at = datetime.combine(yesterday, datetime.min.time(), tzinfo=UTC) + timedelta(hours=6)
    claimed = [(f"case:{case_id}:{kind}", reminders.CATEGORY, at, False, 1) for kind in due.send]
    claimed += [
        (f"case:{case_id}:{kind}", reminders.CATEGORY, at, True, 0) for kind in due.supersede
    ]
    return claimed


# --- Access log -----------------------------------------------------------------------------


def subject_lookups(
    *, count: int, subjects: privacy_scale.SeededSubjects, staff: list[User], rng, anchor
) -> list[tuple]:
    """Staff looking up and searching data subjects, spread over the last year."""
    looking, searching = "Looking up a data subject", "Search in data subjects"
    team = [user.pk for user in staff]
    entries = []
    for order in range(count):
        at = moment(anchor, rng, days_back=365, days_min=0.01)
        actor = rng.choice(team)
        index = rng.randrange(len(subjects.ids))
        if rng.random() < 0.3:
            term = subjects.emails[index] if rng.random() < 0.6 else subjects.names[index][:5]
            spec = LogSpec(
                at=at, actor_id=actor, action=AccessAction.SEARCH, object_type="data subject",
                purpose=searching, query=term, ip_address=privacy_scale.staff_ip(rng),
            )  # fmt: skip
        else:
            spec = LogSpec(
                at=at, actor_id=actor, action=AccessAction.VIEW, object_type="data subject",
                object_id=str(subjects.ids[index]), subject_id=subjects.ids[index],
                purpose=looking, ip_address=privacy_scale.staff_ip(rng),
            )  # fmt: skip
        entries.append((at, -order - 1, spec))
    return entries


# --- Platform rows --------------------------------------------------------------------------

PLATFORM_ACCOUNTS = (SubjectCategory.PLATFORM_USER, SubjectCategory.ORGANISATION_ADMIN)
# Some addresses were typed with capitals at sign-up; the connectors compare in lower case.
CAPITALISED_SHARE = 0.1
PAYING_SHARE = 0.75
USER_AGENTS = ("opper-python/1.4", "opper-node/2.0", "Mozilla/5.0")
# What the platform's team indexes for the lookups by address and by author the connectors'
# statements make (and for ON DELETE of a user); the demo's few hundred rows need none.
PLATFORM_INDEXES = {
    "scale_users_lower_email": "users (lower(email))",
    "scale_events_lower_user_email": "events (lower(user_email))",
    "scale_invoices_lower_customer_email": "invoices (lower(customer_email))",
    "scale_functions_created_by": "functions (created_by_id)",
    "scale_evaluations_function": "evaluations (function_id)",
    "scale_evaluations_created_by": "evaluations (created_by_id)",
    "scale_indexes_created_by": "indexes (created_by_id)",
}


class PlatformDatabaseError(Exception):
    """The platform database is not a PostgreSQL database this process can reach."""


def _first_line(error: Exception) -> str:
    # Later lines (DETAIL) may quote values; the URL itself may hold a password.
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def platform_check(url: str) -> None:
    """Fail before minutes of seeding, not after, when `url` cannot take the platform rows."""
    if not url.startswith(("postgresql://", "postgres://")):
        raise PlatformDatabaseError(
            "the platform database must be a PostgreSQL URL (postgresql://user@host:5432/name)"
        )
    try:
        with psycopg.connect(url, connect_timeout=10) as platform:
            platform.execute("SELECT 1")
    except psycopg.Error as error:
        raise PlatformDatabaseError(
            f"cannot reach the platform database: {_first_line(error)}"
        ) from error


def _naive(at: datetime) -> datetime:
    """The platform's columns are TIMESTAMP (UTC, without a zone), as in dsr.demo_platform."""
    return at.astimezone(UTC).replace(tzinfo=None)


def _copy(cursor, table: str, columns: list[str], rows) -> int:
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    written = 0
    with cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
            written += 1
    return written


def _constraints_drop(cursor) -> list[tuple[str, str, str]]:
    """Drop the platform tables' keys, unique and foreign-key constraints and return them as
    (table, name, definition): a bulk build after the COPY costs a fraction of maintaining
    them row by row, and a foreign key is then checked in one join, not by a trigger a row."""
    cursor.execute(
        "SELECT t.relname, c.conname, pg_get_constraintdef(c.oid), c.contype "
        "FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
        "WHERE t.relname = ANY(%s) AND t.relnamespace = current_schema()::regnamespace "
        "AND c.contype IN ('p', 'u', 'f') ORDER BY c.contype <> 'f', t.relname, c.conname",
        [list(demo_platform.TABLES)],
    )
    constraints = cursor.fetchall()
    for table, name, _definition, _kind in constraints:
        cursor.execute(
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                sql.Identifier(table), sql.Identifier(name)
            )
        )
    for name in PLATFORM_INDEXES:
        cursor.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(name)))
    # Keys before the foreign keys that need them.
    return [(t, n, d) for t, n, d, kind in sorted(constraints, key=lambda c: c[3] == "f")]


def _constraints_restore(cursor, constraints: list[tuple[str, str, str]]) -> None:
    for table, name, definition in constraints:
        cursor.execute(
            sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ").format(
                sql.Identifier(table), sql.Identifier(name)
            )
            + sql.SQL(definition)
        )
    for name, target in PLATFORM_INDEXES.items():
        cursor.execute(
            sql.SQL("CREATE INDEX {} ON ").format(sql.Identifier(name)) + sql.SQL(target)
        )


def platform_fill(
    *, url: str, subjects: privacy_scale.SeededSubjects, rng: random.Random, anchor: datetime
) -> dict[str, int]:
    """Create dsr.demo_platform's tables in the PostgreSQL database at `url` (if missing) and
    add, for the subjects just seeded: their customer organisations, an account for each
    platform user and organisation administrator (their primary address, which the
    connectors' statements look up), their functions, evaluations and indexes, a few events
    each, and quarterly invoices to the first administrator of paying organisations.

    One transaction in the platform database, committed when it returns (before the portal's):
    COPY with ids after the tables' current ones, keys and indexes built after loading.
    Returns the rows added per table."""
    accounts = [
        n
        for n, category in enumerate(subjects.categories)
        if category in PLATFORM_ACCOUNTS and subjects.organisations[n] is not None
    ]
    organisation_ids = sorted({subjects.organisations[n] for n in accounts})
    organisations = {
        pk: (name, country or "SE", created)
        for pk, name, country, created in Organisation.objects.filter(
            pk__in=organisation_ids
        ).values_list("pk", "name", "country_code", "created_at")
    }
    users_rng, content_rng, events_rng, invoices_rng = (_child(rng) for _ in range(4))
    today = _naive(anchor)
    written = {}
    with psycopg.connect(url) as platform, platform.cursor() as cursor:
        # Nothing is lost on a crash that a rollback would not lose anyway.
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for statement in demo_platform._schema(False):
            cursor.execute(statement)
        cursor.execute(
            sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(
                sql.SQL(", ").join(map(sql.Identifier, demo_platform.TABLES))
            )
        )
        next_id = {}
        for table in demo_platform.TABLES:
            cursor.execute(
                sql.SQL("SELECT coalesce(max(id), 0) + 1 FROM {}").format(sql.Identifier(table))
            )
            next_id[table] = cursor.fetchone()[0]
        constraints = _constraints_drop(cursor)

        platform_organisation = {
            pk: next_id["organisations"] + n for n, pk in enumerate(organisation_ids)
        }
        written["organisations"] = _copy(
            cursor,
            "organisations",
            ["id", "name", "country", "created_at"],
            (
                (platform_organisation[pk], *organisations[pk][:2], _naive(organisations[pk][2]))
                for pk in organisation_ids
            ),
        )
        # (id, organisation, address as stored, joined, seconds from joining to the anchor)
        users: list[tuple[int, int, str, datetime, int]] = []
        billing: dict[int, tuple[str, str]] = {}
        rows = []
        for number, n in enumerate(accounts):
            user_id = next_id["users"] + number
            organisation = platform_organisation[subjects.organisations[n]]
            joined = _naive(moment(anchor, users_rng, days_back=HISTORY_DAYS, days_min=30))
            span = int((today - joined).total_seconds())
            email = subjects.emails[n]
            stored = email.capitalize() if users_rng.random() < CAPITALISED_SHARE else email
            admin = subjects.categories[n] == SubjectCategory.ORGANISATION_ADMIN
            if admin:
                billing.setdefault(organisation, (email, subjects.names[n]))
            users.append((user_id, organisation, stored, joined, span))
            rows.append(
                (
                    user_id,
                    organisation,
                    stored,
                    subjects.names[n] or None,
                    "admin" if admin else "member",
                    joined,
                    joined + timedelta(seconds=users_rng.randint(0, span)),
                )
            )
        written["users"] = _copy(
            cursor,
            "users",
            ["id", "organisation_id", "email", "name", "role", "created_at", "last_login_at"],
            rows,
        )
        del rows

        functions = []
        for user_id, organisation, _stored, joined, span in users:
            if content_rng.random() < 0.2:
                for number in range(content_rng.randint(1, 2)):
                    created = joined + timedelta(seconds=content_rng.randint(0, span))
                    functions.append(
                        (
                            next_id["functions"] + len(functions),
                            organisation,
                            user_id,
                            f"{content_rng.choice(demo_platform.FUNCTION_NAMES)}_{number + 1}",
                            content_rng.choice(demo_platform.MODELS),
                            "Answer in the customer's language, briefly.",
                            created,
                        )
                    )
        written["functions"] = _copy(
            cursor,
            "functions",
            ["id", "organisation_id", "created_by_id", "name", "model", "instructions",
             "created_at"],
            functions,
        )  # fmt: skip
        evaluations = []
        for function_id, _organisation, user_id, *_rest, created in functions:
            for _evaluation in range(content_rng.choice((0, 0, 1, 2))):
                at = min(created + timedelta(days=content_rng.randint(1, 60)), today)
                evaluations.append(
                    (
                        function_id,
                        user_id,
                        round(content_rng.uniform(0.5, 1.0), 2),
                        "Checked against the reference answers.",
                        at,
                    )
                )
        written["evaluations"] = _copy(
            cursor,
            "evaluations",
            ["function_id", "created_by_id", "score", "comment", "created_at"],
            evaluations,
        )
        del functions, evaluations
        written["indexes"] = _copy(
            cursor,
            "indexes",
            ["organisation_id", "created_by_id", "name", "documents", "created_at"],
            (
                (
                    organisation,
                    user_id,
                    content_rng.choice(["support-articles", "contracts", "product-docs"]),
                    content_rng.randint(10, 5000),
                    joined + timedelta(seconds=content_rng.randint(0, span)),
                )
                for user_id, organisation, _stored, joined, span in users
                if content_rng.random() < 0.1
            ),
        )
        written["events"] = _copy(
            cursor,
            "events",
            ["user_id", "user_email", "kind", "ip_address", "user_agent", "occurred_at"],
            (
                (
                    user_id,
                    stored,
                    events_rng.choice(demo_platform.EVENT_KINDS),
                    demo_platform._ip(events_rng),
                    events_rng.choice(USER_AGENTS),
                    joined + timedelta(seconds=events_rng.randint(0, span)),
                )
                for user_id, _organisation, stored, joined, span in users
                for _event in range(events_rng.randint(1, 6))
            ),
        )
        del users
        # Paying organisations are invoiced quarterly over the last three years; their first
        # administrator is the billing contact named on the invoice.
        named = {platform_organisation[pk]: organisations[pk][0] for pk in organisation_ids}
        invoices = []
        for organisation, (email, name) in sorted(billing.items()):
            if invoices_rng.random() >= PAYING_SHARE:
                continue
            address = f"{named[organisation]}, Box {invoices_rng.randint(100, 999)}"
            for year in range(anchor.year - 3, anchor.year):
                for quarter in range(4):
                    invoices.append(
                        (
                            organisation,
                            f"INV-{year}-{organisation:03d}-{quarter + 1}",
                            email,
                            name or None,
                            address,
                            invoices_rng.randint(2, 40) * 500,
                            date(year, 3 * quarter + 3, 28),
                            date(year, 12, 31),
                        )
                    )
        written["invoices"] = _copy(
            cursor,
            "invoices",
            ["organisation_id", "number", "customer_email", "customer_name", "billing_address",
             "amount_sek", "issued_on", "fiscal_year_end"],
            invoices,
        )  # fmt: skip
        _constraints_restore(cursor, constraints)
        for table in demo_platform.TABLES:
            # Rows written with their ids: the sequences move past them for later inserts.
            cursor.execute(
                sql.SQL(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                    "(SELECT coalesce(max(id), 0) + 1 FROM {}), false)"
                ).format(sql.Identifier(table)),
                [table],
            )
            cursor.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))
        # demo_platform.ensure would otherwise fill this database again.
        cursor.execute(
            "INSERT INTO platform_meta (key, value) VALUES ('seeded', %s) "
            "ON CONFLICT (key) DO NOTHING",
            [today.date().isoformat()],
        )
    return written


# --- All of it ------------------------------------------------------------------------------


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
    privacy_scale.require_postgresql()
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
        register._seed_register(staff[0])
        policies = register._seed_policy(staff[0])
        connectors_ensure(staff[0], platform_url or PLATFORM_DSN)
        lap("register")
        seeded = privacy_scale.seed_subjects(
            count=subjects, rng=_child(rng), anchor=anchor, policies=policies
        )
        lap("subjects")
        log: list[tuple] = []
        seed_cases(
            count=cases, subjects=seeded, staff=staff, rng=_child(rng),
            anchor=anchor, log=log,
        )  # fmt: skip
        lap("cases")
        wanted = subjects if access_log is None else access_log
        if seeded.ids:
            log += subject_lookups(
                count=max(wanted - len(log), 0), subjects=seeded, staff=staff,
                rng=_child(rng), anchor=anchor,
            )  # fmt: skip
        log.sort(key=lambda item: (item[0], item[1]))
        privacy_scale.access_log_append(spec for _at, _order, spec in log)
        del log
        lap("access log")
        platform = {}
        if platform_url:
            platform = platform_fill(
                url=platform_url, subjects=seeded, rng=_child(rng), anchor=anchor
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
