"""Requests at scale for `seed_scale` and the bench: submissions and cases in every right and
status with their timelines, pauses, fulfilment tasks, claimed reminders, connectors for the
register's systems, the staff who handle them and the access log their work leaves.

Cases are received over the three years before the anchor, evenly: recent ones are mostly
open, older ones closed (a few late, a few still open and overdue). Every date comes from
dsr.deadlines, as when a request arrives; references continue each year's ReferenceCounter.
Reminders that a daily sweep would have claimed up to yesterday are claimed (SentNotice), so
today's sweep meets the work of one day, as in production.

With a platform database, the platform's own rows too (demo.platform's tables): an account
for every seeded platform user and organisation administrator, with their content and events
and their organisations' invoices, and the SQL connectors point at it, so a case's SQL task
finds that person's rows. Without one, the connectors point at a fictional address.
"""

import json
import random
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

from django.contrib.auth.models import Group

from accounts.models import User
from accounts.roles import Role
from bench.seeding import subjects as privacy_scale
from bench.seeding.subjects import LogSpec, copy_rows, moment, pick, reserve_ids, uuid_from
from core import crypto
from core.choices import AccessAction
from core.models import SentNotice
from demo import connectors as demo_connectors
from demo import names
from dsr import deadlines
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
    Submission,
    SystemConnector,
)
from dsr.selectors import reminders as reminder_selectors
from dsr.services import intake
from privacy.models import (
    DataCategory,
    System,
)

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
    sql_systems = [row["system_name"] for row in demo_connectors.sql_connectors()]
    categories = {c.name: c for c in DataCategory.objects.all()}
    systems = {s.name: s for s in System.objects.filter(connector__isnull=True)}
    created = 0
    if dsn != PLATFORM_DSN:
        # The connection string is encrypted: compared here, on the few SQL connectors.
        for connector in SystemConnector.objects.filter(
            kind=ConnectorKind.POSTGRESQL, system__name__in=sql_systems
        ):
            if connector.dsn == PLATFORM_DSN:
                connector.dsn = dsn
                connector.save()
    for name in sql_systems:
        if name in systems:
            created += demo_connectors.sql_connector_ensure(systems[name], dsn, categories)
    if names.SYS_NEWSLETTER in systems:
        SystemConnector.objects.create(
            system=systems[names.SYS_NEWSLETTER],
            kind=ConnectorKind.WEBHOOK,
            webhook_url=WEBHOOK_URL,
            webhook_secret="scale-webhook-signing-secret",  # noqa: S106 - test data
        )
        created += 1
    if names.SYS_HELPDESK in systems:
        created += demo_connectors.manual_connector_ensure(systems[names.SYS_HELPDESK], owner)
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
    """The next references of each year, in order of receipt (dsr's own counter moves past them)."""
    years = [deadlines.local_received_date(at).year for at in received]
    issued = {year: iter(intake.references_next(year, years.count(year))) for year in set(years)}
    return [next(issued[year]) for year in years]


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
        rights = [pick(rng, RIGHT_WEIGHTS)]
        if position < len(every_right):
            rights = [every_right[position]]
        elif position + 1 < count and rng.random() < 0.1:
            second = pick(rng, RIGHT_WEIGHTS)
            if second != rights[0]:
                rights.append(second)
        at = received[position]
        submission_id = submission_ids[used_submissions]
        used_submissions += 1
        channel = pick(rng, CHANNEL_WEIGHTS)
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
        status = pick(rng, OPEN_WEIGHTS) if rng.random() < 0.8 else pick(rng, CLOSED_WEIGHTS)
    elif status is None:
        open_late = rng.random() < 0.015
        status = rng.choice([S.IN_PROGRESS, S.AWAITING_REQUESTER]) if open_late else None
        status = status or pick(rng, CLOSED_WEIGHTS)
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
                task_status = pick(rng, OPEN_TASK_WEIGHTS)
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
        is_open=True,  # only open cases come here
    )
    received = deadlines.local_received_date(columns["received_at"])
    yesterday = today - timedelta(days=1)
    if received >= yesterday:
        return []
    due = reminder_selectors.reminders_for(case, yesterday, set())
    at = datetime.combine(yesterday, datetime.min.time(), tzinfo=UTC) + timedelta(hours=6)
    claimed = [
        (f"case:{case_id}:{kind}", reminder_selectors.CATEGORY, at, False, 1) for kind in due.send
    ]
    claimed += [
        (f"case:{case_id}:{kind}", reminder_selectors.CATEGORY, at, True, 0)
        for kind in due.supersede
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
