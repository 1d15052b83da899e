"""Machine endpoints of data subject requests: the signed callback of webhook systems.

Every refusal is a JSON message with a 4xx status; the service decides, the view only parses.
"""

import logging
from io import BytesIO

from django.conf import settings
from django.http import JsonResponse
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from dsr.connectors.webhook import SIGNATURE_HEADER
from dsr.services import callbacks

logger = logging.getLogger(__name__)


def _refuse(status: int, message: str) -> JsonResponse:
    return JsonResponse({"ok": False, "error": str(message)}, status=status)


@csrf_exempt  # authenticated by the HMAC signature, not a session
@require_POST
def webhook_callback(request, task_id):
    """POST /dsr/callback/<task>/ with `X-Portal-Signature` over the raw body.

    JSON body, or multipart with a `payload` field (the JSON) and result files."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _refuse(400, _("Invalid Content-Length."))
    if length > settings.UPLOAD_MAX_BYTES:
        return _refuse(413, _("The body is too large."))
    # Read the raw stream ourselves: the signature covers these exact bytes, and request.body
    # would stop at DATA_UPLOAD_MAX_MEMORY_SIZE, below the upload limit.
    body = request.read(settings.UPLOAD_MAX_BYTES + 1)
    if len(body) > settings.UPLOAD_MAX_BYTES:
        return _refuse(413, _("The body is too large."))
    payload, uploads = None, []
    if request.content_type == "multipart/form-data":
        try:
            fields, files = MultiPartParser(
                request.META, BytesIO(body), request.upload_handlers, request.encoding
            ).parse()
        except (MultiPartParserError, ValueError) as error:
            return _refuse(400, _("Malformed multipart body: %(error)s") % {"error": error})
        payload = (fields.get("payload") or "").encode()
        uploads = [upload for name in files for upload in files.getlist(name)]
    try:
        task = callbacks.webhook_callback(
            task_public_id=task_id,
            body=body,
            signature=request.headers.get(SIGNATURE_HEADER, ""),
            payload=payload,
            uploads=uploads,
        )
    except callbacks.CallbackRejected as rejected:
        logger.info("webhook callback for task %s refused: %s", task_id, rejected.status)
        return _refuse(rejected.status, rejected.message)
    return JsonResponse({"ok": True, "task": str(task.public_id), "status": task.status})
