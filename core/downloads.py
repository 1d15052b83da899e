"""Files staff download from the admin: always an attachment, never a page of the portal.

Uploaded documents (agreements, evidence) are whatever someone sent us; served from the
portal's origin, an HTML or SVG file would run as the portal's own page. So the answer is a
download whatever the file says it is: an attachment, with the type not sniffed, a sandbox
that forbids scripts should a browser render it anyway, and never kept in a cache.
"""

from django.http import HttpResponse
from django.utils.http import content_disposition_header


def attachment_response(data: bytes, *, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type or "application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "no-store"
    return response
