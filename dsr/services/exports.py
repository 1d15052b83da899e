"""Exports for access and portability requests: built by a worker, stored encrypted, offered
to staff and to the requester, deleted when they expire while their hashes stay on the case.

The content itself (what the report and the package say) is decided in dsr.exports.
"""

import hashlib
import logging
import secrets

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from core.access_log import access_log_record
from core.choices import AccessAction
from core.errors import ApplicationError, require
from core.queue import enqueue_on_commit
from core.services import outbox_enqueue
from dsr import rules
from dsr.choices import EventKind, ExportStatus
from dsr.events import event_record
from dsr.files import export_file_store
from dsr.models import DownloadCode, DsrCase, ExportFile, ExportJob

logger = logging.getLogger(__name__)


def _event(case: DsrCase, note: str, actor=None) -> None:
    event_record(case=case, kind=EventKind.TASK, actor=actor, note=note)


def _queue(job_id: int) -> None:
    from dsr.tasks import build_export

    # The export sweep builds what the broker could not take.
    enqueue_on_commit(build_export, job_id)


# --- Requesting and building ----------------------------------------------------------------


@transaction.atomic
def export_request(*, case: DsrCase, actor=None) -> ExportJob:
    """Queue the report and package of an access or portability request (built by a worker,
    never in the request): the first, or a new one once the newest has finished. An export
    already queued or building is returned as it is (a second click asks for nothing more)."""
    require(rules.export_request_blocker(case))
    jobs = list(ExportJob.objects.select_for_update().filter(case=case))
    if rules.export_on_its_way(jobs):
        return next(job for job in jobs if job.status in rules.EXPORT_RUNNING)
    require(rules.export_new_blocker(case, jobs))
    job = ExportJob.objects.create(case=case, requested_by=actor)
    _event(case, _("Export requested."), actor)
    _queue(job.pk)
    return job


def export_claim(*, job_id: int) -> ExportJob | None:
    """Take a queued (or failed, or abandoned) export for building; only one worker wins."""
    now = timezone.now()
    stale = now - settings.DSR_EXPORT_BUILD_TIMEOUT
    claimed = (
        ExportJob.objects.filter(pk=job_id)
        .filter(
            Q(status__in=[ExportStatus.QUEUED, ExportStatus.FAILED])
            | Q(status=ExportStatus.BUILDING, started_at__lt=stale)
        )
        .update(
            status=ExportStatus.BUILDING,
            started_at=now,
            attempts=F("attempts") + 1,
            error="",
            updated_at=now,
        )
    )
    return ExportJob.objects.select_related("case").get(pk=job_id) if claimed else None


def export_build(*, job_id: int) -> str:
    """Build an export: report, package and web view, stored encrypted. Idempotent: a job
    another worker holds, or one already built, is left alone. A failure is recorded on the
    job and the case, where staff can retry it."""
    from dsr import exports

    job = export_claim(job_id=job_id)
    if job is None:
        return "not_claimed"
    try:
        with override(job.case.language):
            built = exports.build(job.case)
        with transaction.atomic():
            for item in built.files:
                export_store_file(
                    job=job,
                    kind=item.kind,
                    name=item.name,
                    content_type=item.content_type,
                    data=item.data,
                )
            now = timezone.now()
            ExportJob.objects.filter(pk=job.pk).update(
                status=ExportStatus.READY,
                finished_at=now,
                expires_at=now + settings.DSR_EXPORT_TTL,
                stats=built.stats,
                updated_at=now,
            )
            _event(
                job.case,
                _("Export ready: %(files)s.")
                % {
                    "files": ", ".join(
                        f"{item.name} (SHA-256 {hashlib.sha256(item.data).hexdigest()[:12]}…)"
                        for item in built.files
                    )
                },
            )
    except Exception as error:
        logger.exception("export %s failed", job_id)
        message = f"{type(error).__name__}: {error}"[:2000]
        with transaction.atomic():
            ExportJob.objects.filter(pk=job.pk).update(
                status=ExportStatus.FAILED, error=message, finished_at=timezone.now()
            )
            _event(job.case, _("Export failed: %(error)s") % {"error": message})
        return "failed"
    return "ready"


@transaction.atomic
def export_retry(*, job: ExportJob, actor=None) -> ExportJob:
    """Build a failed export again (after fixing its cause)."""
    require(rules.export_retry_blocker(job, list(ExportJob.objects.filter(case_id=job.case_id))))
    ExportJob.objects.filter(pk=job.pk, status=ExportStatus.FAILED).update(
        status=ExportStatus.QUEUED, updated_at=timezone.now()
    )
    _event(job.case, _("Export queued again."), actor)
    _queue(job.pk)
    job.refresh_from_db()
    return job


# --- Files ----------------------------------------------------------------------------------


def export_store_file(
    *, job: ExportJob, kind: str, name: str, content_type: str, data: bytes
) -> ExportFile:
    """Store one file encrypted; its SHA-256 is of the plain content the requester receives."""
    stored = export_file_store(job, kind, data)
    return ExportFile.objects.create(
        job=job,
        kind=kind,
        name=name,
        content_type=content_type,
        storage_name=stored,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


@transaction.atomic
def export_file_downloaded(
    *, file: ExportFile, actor=None, ip_address: str = "", by_requester: bool = False
) -> None:
    """Count a download and log it (who, when, which case, from where)."""
    ExportFile.objects.filter(pk=file.pk).update(download_count=F("download_count") + 1)
    case = file.job.case
    access_log_record(
        actor=actor,
        action=AccessAction.DOWNLOAD,
        object_type="export file",
        object_id=str(file.pk),
        subject_id=case.subject_id,
        case_reference=case.reference,
        purpose=_("Downloaded by the requester") if by_requester else _("Handling the request"),
        ip_address=ip_address,
    )


def exports_expire_due(*, now=None) -> int:
    """Delete the files of exports past their expiry; the rows and hashes stay. Each export
    is expired in its own transaction, re-checked, so a rerun deletes nothing twice."""
    now = now or timezone.now()
    expired = 0
    for job_id in ExportJob.objects.filter(
        status=ExportStatus.READY, expires_at__lte=now
    ).values_list("pk", flat=True):
        with transaction.atomic():
            job = (
                ExportJob.objects.select_for_update()
                .filter(pk=job_id, status=ExportStatus.READY)
                .first()
            )
            if job is None:
                continue
            for file in job.files.filter(deleted_at__isnull=True):
                if file.storage_name:
                    default_storage.delete(file.storage_name)
                file.storage_name = ""
                file.deleted_at = now
                file.save(update_fields=["storage_name", "deleted_at"])
            job.status = ExportStatus.EXPIRED
            job.save(update_fields=["status", "updated_at"])
            _event(job.case, _("Export expired; its files were deleted (their hashes are kept)."))
            expired += 1
    return expired


# --- The requester's download ---------------------------------------------------------------


def _code_hash(job: ExportJob, code: str) -> str:
    return hashlib.sha256(f"{job.public_id}:{code}".encode()).hexdigest()


@transaction.atomic
def download_code_send(*, job: ExportJob) -> str:
    """Email a fresh six-digit code for downloading `job` (valid 10 minutes, once)."""
    if not rules.export_offered_to_requester(job, now=timezone.now()):
        raise ApplicationError(_("This export is not available."))
    case = job.case
    address = case.submission.requester_email
    if not address:
        raise ApplicationError(_("There is no email address to send a code to."))
    code = f"{secrets.randbelow(10**6):06d}"
    DownloadCode.objects.filter(job=job, used_at__isnull=True).update(used_at=timezone.now())
    DownloadCode.objects.create(
        job=job,
        code_hash=_code_hash(job, code),
        expires_at=timezone.now() + settings.DSR_DOWNLOAD_CODE_TTL,
    )
    with override(case.language):
        minutes = int(settings.DSR_DOWNLOAD_CODE_TTL.total_seconds() // 60)
        outbox_enqueue(
            to=address,
            subject=_("Your download code for %(reference)s") % {"reference": case.reference},
            body_text=_(
                "Your code for downloading your data is: %(code)s\n\n"
                "It works once, for %(minutes)d minutes. If you did not ask for it, you can "
                "ignore this email."
            )
            % {"code": code, "minutes": minutes},
            reference=case.reference,
        )
    return code


@transaction.atomic
def download_code_check(*, job: ExportJob, code: str) -> bool:
    """True once for the right, unexpired, unused code; a few wrong tries void the code."""
    record = (
        DownloadCode.objects.select_for_update()
        .filter(job=job, used_at__isnull=True, expires_at__gt=timezone.now())
        .order_by("-created_at")
        .first()
    )
    if record is None:
        return False
    candidate = _code_hash(job, "".join(str(code).split()))
    if not secrets.compare_digest(candidate, record.code_hash):
        record.failed_attempts += 1
        if record.failed_attempts >= settings.DSR_DOWNLOAD_CODE_MAX_ATTEMPTS:
            record.used_at = timezone.now()
        record.save(update_fields=["failed_attempts", "used_at"])
        return False
    record.used_at = timezone.now()
    record.save(update_fields=["used_at"])
    return True
