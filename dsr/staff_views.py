"""Staff-only documents about requests, served from under /admin/dsr-documents/."""

from django.contrib import admin, messages
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_safe

from dsr.models import ExportFile, Letter
from dsr.services import exports as export_services
from privacy.errors import ApplicationError
from privacy.ratelimit import client_ip

LETTER_PERMISSION = "dsr.view_letter"
# Whoever may look at a case may read the export made for it.
EXPORT_PERMISSION = "dsr.view_dsrcase"


def _letter_pdf(request, pk: int):
    """A letter as PDF, to print and post (requests made without an email address) or to keep
    as a copy of what was emailed. Rendered in the request: one or two pages, well under a
    second."""
    if not request.user.has_perm(LETTER_PERMISSION):
        raise PermissionDenied
    letter = get_object_or_404(
        Letter.objects.select_related("case__submission", "task__recipient"), pk=pk
    )
    # WeasyPrint takes most of a second to import: load it with the first download.
    from dsr.letter_pdf import letter_pdf_filename, render_letter_pdf

    response = HttpResponse(render_letter_pdf(letter), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, letter_pdf_filename(letter))
    # Personal data: never kept by a browser or proxy cache.
    response["Cache-Control"] = "no-store"
    return response


# admin_view: staff only (others go to the admin login), and no-cache like the admin.
letter_pdf = admin.site.admin_view(require_safe(_letter_pdf))


def _export_file(request, pk: int):
    """One file of an export, decrypted, for staff checking what the requester receives.
    Counted and logged like the requester's own downloads."""
    if not request.user.has_perm(EXPORT_PERMISSION):
        raise PermissionDenied
    file = get_object_or_404(ExportFile.objects.select_related("job__case"), pk=pk)
    try:
        data = export_services.export_file_read(file)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect(reverse("admin:dsr_dsrcase_change", args=[quote(file.job.case_id)]))
    export_services.export_file_downloaded(
        file=file, actor=request.user, ip_address=client_ip(request)
    )
    response = HttpResponse(data, content_type=file.content_type)
    response["Content-Disposition"] = content_disposition_header(True, file.name)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# Not HEAD: every answer carrying the file is a download, and each is logged.
export_file = admin.site.admin_view(require_GET(_export_file))
