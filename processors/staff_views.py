"""Staff-only documents built from the register, served from under /admin/register/."""

from pathlib import PurePosixPath

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_safe

from core.access_log import access_log_staff, log_text
from core.choices import AccessAction
from core.downloads import attachment_response
from core.errors import ApplicationError
from core.uploads import content_type
from privacy.models import Organisation
from processors.models import ProcessorAgreement
from processors.ropa import ropa_record

ROPA_PERMISSION = "privacy.view_processingactivity"
AGREEMENT_PERMISSION = "processors.view_processoragreement"
ROPA_FORMATS = {
    "pdf": ("render_ropa_pdf", "application/pdf"),
    "csv": ("render_ropa_csv", "text/csv; charset=utf-8"),
}
ROPA_FILENAMES = {"controller": "record-of-processing", "processor": "processor-record"}


def _ropa_download(request, view: str, fmt: str):
    """The record of processing (Art. 30) as an attachment; `?organisation=<id>` narrows the
    processor's record to one customer.

    Rendered in the request: the demo register (6 activities, 15 pages) takes under two
    seconds and three dozen activities about seven; a register of hundreds would need a task.
    """
    if not request.user.has_perm(ROPA_PERMISSION):
        raise PermissionDenied
    organisation = request.GET.get("organisation", "").strip()
    try:
        record = ropa_record(view, organisation_id=int(organisation) if organisation else None)
    except (ValueError, Organisation.DoesNotExist):
        messages.error(
            request, _("No customer organisation has the id %(id)s.") % {"id": organisation}
        )
        return redirect(_register_page())
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect(_register_page())
    # WeasyPrint takes most of a second to import: load it with the first download, not with
    # the URLconf of every process.
    from processors import documents

    renderer, content_type = ROPA_FORMATS[fmt]
    render = getattr(documents, renderer)
    day = timezone.localdate(record.generated_at).isoformat()
    response = HttpResponse(render(record), content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        True, f"{ROPA_FILENAMES[view]}-{day}.{fmt}"
    )
    # An internal document: never kept by a browser or proxy cache.
    response["Cache-Control"] = "no-store"
    access_log_staff(
        request,
        action=AccessAction.DOWNLOAD,
        object_type="record of processing",
        object_id=f"{view}.{fmt}" + (f" organisation {organisation}" if organisation else ""),
        purpose=log_text(gettext_noop("Record of processing (Art. 30)")),
    )
    return response


def _register_page() -> str:
    try:
        return reverse("admin:privacy_processingactivity_changelist")
    except NoReverseMatch:
        return reverse("admin:index")


# admin_view: staff only (others go to the admin login), CSRF and no-cache like the admin.
ropa_download = admin.site.admin_view(require_safe(_ropa_download))


def _agreement_document(request, pk: int):
    """A signed contract as uploaded (PDF or Word), as a download: see core.downloads."""
    if not request.user.has_perm(AGREEMENT_PERMISSION):
        raise PermissionDenied
    agreement = get_object_or_404(ProcessorAgreement.objects.select_related("processor"), pk=pk)
    if not agreement.document:
        raise Http404
    try:
        with agreement.document.open("rb") as handle:
            data = handle.read()
    except OSError:
        messages.error(request, _("The document file is missing from storage; upload it again."))
        return redirect(reverse("admin:processors_processoragreement_change", args=[pk]))
    access_log_staff(
        request,
        action=AccessAction.DOWNLOAD,
        object_type="processor agreement",
        object_id=str(agreement.pk),
        purpose=log_text(
            gettext_noop("Contract with %(processor)s"), processor=agreement.processor
        ),
    )
    name = PurePosixPath(agreement.document.name).name
    return attachment_response(data, filename=name, content_type=content_type(name))


agreement_document = admin.site.admin_view(require_GET(_agreement_document))
