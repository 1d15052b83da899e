"""Staff-only documents about requests, served from under /admin/dsr-documents/."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from dsr.models import Letter

LETTER_PERMISSION = "dsr.view_letter"


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
