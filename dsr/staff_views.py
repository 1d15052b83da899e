"""Staff-only documents about requests, served from under /admin/dsr-documents/."""

from django.contrib import admin, messages
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_safe

from core.access_log import access_log_case_staff
from core.choices import AccessAction
from core.downloads import attachment_response
from core.errors import ApplicationError
from core.ratelimit import client_ip
from dsr import files
from dsr.models import CaseTask, ExportFile, Letter
from dsr.permissions import case_or_404
from dsr.services import exports as export_services

LETTER_PERMISSION = "dsr.view_letter"
# Whoever may look at a case may read the files made for it: its exports, a task's evidence.
CASE_FILES_PERMISSION = "dsr.view_dsrcase"


def _letter_pdf(request, pk: int):
    """A letter as PDF, to print and post (requests made without an email address) or to keep
    as a copy of what was emailed. Rendered in the request: one or two pages, well under a
    second."""
    if not request.user.has_perm(LETTER_PERMISSION):
        raise PermissionDenied
    letter = get_object_or_404(
        Letter.objects.select_related("case__submission", "task__recipient"), pk=pk
    )
    case = case_or_404(request.user, letter.case)
    # WeasyPrint takes most of a second to import: load it with the first download.
    from dsr.letter_pdf import letter_pdf_filename, render_letter_pdf

    response = HttpResponse(render_letter_pdf(letter), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, letter_pdf_filename(letter))
    # Personal data: never kept by a browser or proxy cache.
    response["Cache-Control"] = "no-store"
    access_log_case_staff(
        request, case, action=AccessAction.DOWNLOAD, object_type="letter", object_id=str(letter.pk)
    )
    return response


# admin_view: staff only (others go to the admin login), and no-cache like the admin.
letter_pdf = admin.site.admin_view(require_safe(_letter_pdf))


def _export_file(request, pk: int):
    """One file of an export, decrypted, for staff checking what the requester receives.
    Counted and logged like the requester's own downloads."""
    if not request.user.has_perm(CASE_FILES_PERMISSION):
        raise PermissionDenied
    file = get_object_or_404(ExportFile.objects.select_related("job__case"), pk=pk)
    case_or_404(request.user, file.job.case)
    try:
        data = files.export_file_read(file)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect(reverse("admin:dsr_dsrcase_change", args=[quote(file.job.case_id)]))
    export_services.export_file_downloaded(
        file=file, actor=request.user, ip_address=client_ip(request)
    )
    return attachment_response(data, filename=file.name, content_type=file.content_type)


# Not HEAD: every answer carrying the file is a download, and each is logged.
export_file = admin.site.admin_view(require_GET(_export_file))


def _task_evidence(request, pk: int):
    """The attachment a member of staff gave as evidence when completing a task by hand
    (a screenshot, a processor's confirmation), decrypted, as a download."""
    if not request.user.has_perm(CASE_FILES_PERMISSION):
        raise PermissionDenied
    task = get_object_or_404(CaseTask.objects.select_related("case"), pk=pk)
    case = case_or_404(request.user, task.case)
    if not task.evidence_file:
        raise Http404
    try:
        data, filename, content_type = files.evidence_file_read(task)
    except ApplicationError as error:  # missing from storage, or sealed with a key now gone
        messages.error(request, error.message)
        return redirect(reverse("admin:dsr_dsrcase_change", args=[quote(case.pk)]))
    access_log_case_staff(
        request,
        case,
        action=AccessAction.DOWNLOAD,
        object_type="task evidence",
        object_id=str(task.pk),
    )
    return attachment_response(data, filename=filename, content_type=content_type)


task_evidence = admin.site.admin_view(require_GET(_task_evidence))
