"""Keeping the portal from becoming the place that keeps what the company promised to erase.

A case closed longer ago than DSR_PRUNE_AFTER is reduced to what proof needs: its reference,
right, dates, status, outcome and refusal basis, the timeline's kinds and times, and the
hashes of every letter and file it produced. Who asked, what they wrote, the evidence, the
letters' text, the requester's status link and any files are removed. The access log is left
as it is: it is the evidence of who looked. Which cases are due: dsr.selectors.cases
(cases_due_for_pruning).
"""

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import OutboxEmail
from dsr.choices import EventKind
from dsr.models import (
    CaseEvent,
    CasePause,
    CaseTask,
    DownloadCode,
    DsrCase,
    ExportFile,
    Letter,
    VerificationToken,
)


def _delete_file(field_file) -> None:
    if field_file:
        default_storage.delete(field_file.name)


@transaction.atomic
def case_prune(*, case_id: int) -> bool:
    """Reduce one closed case to its proof. Idempotent: False if there is nothing to do."""
    from dsr.events import event_record

    case = DsrCase.objects.select_for_update().filter(pk=case_id).first()
    if case is None or case.pruned_at is not None or case.closed_at is None:
        return False
    if case.closed_at >= timezone.now() - settings.DSR_PRUNE_AFTER:
        return False
    submission = case.submission
    # The submission is shared by linked cases: cleared once every one of them is due.
    if (
        not submission.cases.exclude(pk=case.pk)
        .filter(pruned_at__isnull=True)
        .exclude(closed_at__lt=timezone.now() - settings.DSR_PRUNE_AFTER)
        .exists()
    ):
        for field in (
            "requester_name",
            "requester_email",
            "requester_phone",
            "requester_address",
            "message",
            "status_token",
        ):
            setattr(submission, field, "")
        submission.requester_email_hash = ""
        submission.status_token_hash = ""
        submission.save()
        VerificationToken.objects.filter(submission=submission).delete()
    for field in (
        "details",
        "rectification_content",
        "identity_evidence",
        "extension_reason",
        "refusal_reasons",
        "refusal_justification",
        "open_tasks_reason",
    ):
        setattr(case, field, "")
    case.subject = None
    case.pruned_at = timezone.now()
    case.save()
    CaseEvent.objects.filter(case=case).exclude(note="").update(note="")
    CasePause.objects.filter(case=case).update(explanation="")
    Letter.objects.filter(case=case).update(recipient="", subject="", body="")
    for task in CaseTask.objects.filter(case=case):
        _delete_file(task.result_file)
        _delete_file(task.evidence_file)
    CaseTask.objects.filter(case=case).update(evidence="", result_file="", evidence_file="")
    for file in ExportFile.objects.filter(job__case=case, deleted_at__isnull=True):
        if file.storage_name:
            default_storage.delete(file.storage_name)
        file.storage_name = ""
        file.deleted_at = timezone.now()
        file.save(update_fields=["storage_name", "deleted_at"])
    DownloadCode.objects.filter(job__case=case).delete()
    OutboxEmail.objects.filter(reference=case.reference).update(
        to="", subject="", body_text="", body_html="", attachments=[]
    )
    event_record(
        case=case,
        kind=EventKind.NOTE,
        note=_("Pruned %(days)d days after closing: kept the reference, dates, outcome and hashes.")
        % {"days": settings.DSR_PRUNE_AFTER.days},
    )
    return True
