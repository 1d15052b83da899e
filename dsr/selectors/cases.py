"""Reads about cases that span relations: the team's queue, deadlines, a case's page, the
submissions waiting to be registered and the cases waiting to be closed or pruned.

"Today" is the local date where the controller is (dsr.deadlines), not the server's UTC date:
a case due today in Stockholm is not overdue at 00:30 Stockholm time.
"""

import hashlib
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import (
    DateField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from core import crypto
from core.identifiers import normalise_email
from dsr import deadlines
from dsr.choices import (
    FINAL_STATUSES,
    OPEN_TASK_STATUSES,
    CaseStatus,
    Channel,
    ExportFileKind,
    ExportStatus,
    IdentityStatus,
)
from dsr.models import (
    CaseEvent,
    CasePause,
    CaseTask,
    DsrCase,
    ExportFile,
    ExportJob,
    Letter,
    Submission,
)

S = CaseStatus

# The same predicate as the partial index dsr_case_open_target_idx, so the planner can use it.
_FINAL = sorted(FINAL_STATUSES)


class DaysUntil(Func):
    """Whole days from the second date to the first (PostgreSQL: date - date is an integer)."""

    arg_joiner = " - "
    template = "(%(expressions)s)"
    output_field = IntegerField()


def _cases(queryset: QuerySet[DsrCase] | None) -> QuerySet[DsrCase]:
    return DsrCase.objects.all() if queryset is None else queryset


def _effective_due() -> Coalesce:
    return Coalesce(F("extended_due_date"), F("due_date"), output_field=DateField())


def cases_open(queryset: QuerySet[DsrCase] | None = None) -> QuerySet[DsrCase]:
    """Cases not yet completed, refused or withdrawn."""
    return _cases(queryset).exclude(status__in=_FINAL)


def cases_queue(
    queryset: QuerySet[DsrCase] | None = None, *, today: date | None = None
) -> QuerySet[DsrCase]:
    """Cases with what the queue shows, in one query: submission, subject and assignee joined;
    `effective_due` (the extended date once extended), `days_left` (to the target date, the
    date the team works to), `legal_days_left` (to `effective_due`) and `clock_paused`."""
    today = today or deadlines.today()
    running_pause = CasePause.objects.filter(case=OuterRef("pk"), ended_at__isnull=True)
    return (
        _cases(queryset)
        .select_related("submission", "subject", "assignee")
        .annotate(
            effective_due=_effective_due(),
            days_left=DaysUntil(F("target_date"), Value(today, output_field=DateField())),
            legal_days_left=DaysUntil(_effective_due(), Value(today, output_field=DateField())),
            clock_paused=Exists(running_pause),
        )
    )


def cases_overdue(
    queryset: QuerySet[DsrCase] | None = None, *, today: date | None = None
) -> QuerySet[DsrCase]:
    """Open cases whose legal due date (the extended one once extended) has passed."""
    today = today or deadlines.today()
    return cases_open(queryset).filter(
        Q(extended_due_date__isnull=True, due_date__lt=today) | Q(extended_due_date__lt=today)
    )


def cases_past_target(
    queryset: QuerySet[DsrCase] | None = None, *, today: date | None = None
) -> QuerySet[DsrCase]:
    """Open cases late on our own promise: the target date has passed (overdue ones too)."""
    today = today or deadlines.today()
    return cases_open(queryset).filter(target_date__lt=today)


def cases_due_within(
    days: int, queryset: QuerySet[DsrCase] | None = None, *, today: date | None = None
) -> QuerySet[DsrCase]:
    """Open cases legally due between today and `days` days from now (not yet overdue)."""
    today = today or deadlines.today()
    return (
        cases_open(queryset)
        .alias(effective_due_on=_effective_due())
        .filter(effective_due_on__gte=today, effective_due_on__lte=today + timedelta(days=days))
    )


def cases_target_within(
    days: int, queryset: QuerySet[DsrCase] | None = None, *, today: date | None = None
) -> QuerySet[DsrCase]:
    """Open cases whose target date falls between today and `days` days from now."""
    today = today or deadlines.today()
    return cases_open(queryset).filter(
        target_date__gte=today, target_date__lte=today + timedelta(days=days)
    )


def cases_unassigned(queryset: QuerySet[DsrCase] | None = None) -> QuerySet[DsrCase]:
    return cases_open(queryset).filter(assignee__isnull=True)


def cases_assigned_to(user, queryset: QuerySet[DsrCase] | None = None) -> QuerySet[DsrCase]:
    return _cases(queryset).filter(assignee=user)


def email_lookup_hash(term: str) -> str | None:
    """The keyed hash a requester's address is found by (addresses are stored encrypted), or
    None for what is not an address."""
    try:
        return crypto.keyed_hash(normalise_email(term))
    except ValidationError:
        return None


def cases_by_email_hash(
    email_hash: str, queryset: QuerySet[DsrCase] | None = None
) -> QuerySet[DsrCase]:
    """Cases whose requester wrote from the address with this keyed hash (core.crypto)."""
    return _cases(queryset).filter(submission__requester_email_hash=email_hash)


# --- One case's page ------------------------------------------------------------------------


def case_linked(case: DsrCase) -> list[DsrCase]:
    """The other cases of the same submission (one letter, several rights)."""
    return list(
        DsrCase.objects.filter(submission_id=case.submission_id).exclude(pk=case.pk).order_by("pk")
    )


def case_timeline(case: DsrCase) -> QuerySet[CaseEvent]:
    """Every event of the case, oldest first."""
    return CaseEvent.objects.filter(case=case).select_related("actor").order_by("at", "pk")


def case_tasks(case: DsrCase) -> QuerySet[CaseTask]:
    return (
        CaseTask.objects.filter(case=case)
        .select_related("system", "recipient", "completed_by")
        .order_by("pk")
    )


def case_open_task_count(case: DsrCase) -> int:
    return CaseTask.objects.filter(case=case, status__in=sorted(OPEN_TASK_STATUSES)).count()


def case_letters(case: DsrCase) -> QuerySet[Letter]:
    return (
        Letter.objects.filter(case=case)
        .select_related("outbox", "created_by")
        .order_by("created_at", "pk")
    )


def case_running_pause(case: DsrCase) -> CasePause | None:
    return CasePause.objects.filter(case=case, ended_at__isnull=True).first()


def case_exports(case: DsrCase) -> QuerySet[ExportJob]:
    """A case's exports, newest first, with who asked for them and their files (deleted ones
    too: their hashes are the record of what was sent). Two queries however many there are."""
    return (
        ExportJob.objects.filter(case=case)
        .select_related("requested_by")
        .prefetch_related(Prefetch("files", queryset=ExportFile.objects.order_by("kind", "pk")))
        .order_by("-created_at", "-pk")
    )


_FILE_ORDER = {kind: position for position, kind in enumerate(ExportFileKind.values)}


def export_files_in_order(files) -> list[ExportFile]:
    """An export's files as people read them: the report first, then the package, the page."""
    return sorted(files, key=lambda file: (_FILE_ORDER.get(file.kind, len(_FILE_ORDER)), file.pk))


def case_open_duplicate_of(case: DsrCase) -> DsrCase | None:
    """An earlier open, verified case of the same right by the same person, if any."""
    same_person = DsrCase.objects.none()
    if case.subject_id:
        same_person = DsrCase.objects.filter(subject_id=case.subject_id)
    email_hash = case.submission.requester_email_hash
    if email_hash:
        same_person = same_person | DsrCase.objects.filter(
            submission__requester_email_hash=email_hash
        )
    return (
        same_person.filter(
            right=case.right,
            identity_status=IdentityStatus.VERIFIED,
            status__in=[S.IN_PROGRESS, S.AWAITING_REQUESTER],
            received_at__lte=case.received_at,
        )
        .exclude(pk=case.pk)
        .exclude(submission_id=case.submission_id)
        .order_by("received_at", "pk")
        .first()
    )


def cases_unconfirmed_due(now: datetime | None = None):
    """Self-service cases whose confirmation link was never used within the allowed time."""
    now = now or timezone.now()
    return DsrCase.objects.filter(
        status=S.AWAITING_IDENTITY,
        identity_status=IdentityStatus.UNVERIFIED,
        submission__channel=Channel.SELF_SERVICE,
        received_at__lte=now - settings.DSR_UNCONFIRMED_CLOSE_AFTER,
        pauses__isnull=True,
    )


def cases_due_for_pruning(now: datetime | None = None) -> QuerySet[DsrCase]:
    """Cases closed longer ago than DSR_PRUNE_AFTER and not yet reduced to their proof
    (dsr.services.minimisation.case_prune re-checks each under lock)."""
    now = now or timezone.now()
    return DsrCase.objects.filter(
        closed_at__lt=now - settings.DSR_PRUNE_AFTER, pruned_at__isnull=True
    )


def submissions_awaiting_registration(limit: int = 500) -> list[int]:
    """Submissions written down and not yet registered, oldest first (the sweep's work)."""
    return list(
        Submission.objects.exclude(intake="").order_by("pk").values_list("pk", flat=True)[:limit]
    )


def token_hash(token: str) -> str:
    """How a link's token is stored: its SHA-256 (the token itself is only in the email)."""
    return hashlib.sha256(token.encode()).hexdigest()


def status_token_hash(token: str) -> str | None:
    """The stored hash of a status link's token, or None for what cannot be one."""
    if not token or len(token) > 100:
        return None
    return token_hash(token)


def submission_by_status_token(token: str) -> Submission | None:
    """The submission an emailed status link leads to, or None (the page answers 404)."""
    token_hash = status_token_hash(token)
    if token_hash is None:
        return None
    return Submission.objects.filter(status_token_hash=token_hash).first()


def export_latest_ready(case: DsrCase) -> ExportJob | None:
    """The case's newest export that can be downloaded now."""
    return case.exports.filter(status=ExportStatus.READY).order_by("-finished_at").first()


def exports_waiting_ids(*, older_than: timedelta = timedelta(minutes=1)) -> list[int]:
    """Queued exports no worker took (a broker outage at commit), for the sweep."""
    cutoff = timezone.now() - older_than
    return list(
        ExportJob.objects.filter(status=ExportStatus.QUEUED, created_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:100]
    )
