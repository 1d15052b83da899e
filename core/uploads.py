"""Uploaded documents: checked by size, extension and content before they are kept.

A file is accepted only when its first bytes are what its extension says (a ".pdf" that is
HTML is refused), and it is only ever served back as a download (Content-Disposition:
attachment, nosniff, a sandboxing Content-Security-Policy), never from the app's origin as a
page a browser would run.
"""

from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# extension -> (content type, how the content starts; None: text, checked as UTF-8 text)
KINDS = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (b"PK\x03\x04",),
    ),
    "odt": ("application/vnd.oasis.opendocument.text", (b"PK\x03\x04",)),
    "txt": ("text/plain; charset=utf-8", None),
    "eml": ("message/rfc822", None),
}
DOCUMENTS = ("pdf", "docx", "odt")
EVIDENCE = ("pdf", "png", "jpg", "jpeg", "docx", "odt", "txt", "eml")


def extension(name: str) -> str:
    return PurePath(name or "").suffix.lower().lstrip(".")


def content_type(name: str) -> str:
    return KINDS.get(extension(name), ("application/octet-stream", None))[0]


def check(file, allowed=EVIDENCE) -> None:
    """Raise ValidationError unless `file` is an allowed kind, within the size limit, and its
    content matches its extension."""
    if file.size > settings.UPLOAD_MAX_BYTES:
        raise ValidationError(
            _("The file is %(size)d MB; the limit is %(limit)d MB.")
            % {"size": file.size // 2**20, "limit": settings.UPLOAD_MAX_BYTES // 2**20}
        )
    kind = extension(file.name)
    if kind not in allowed:
        raise ValidationError(
            _("Files of this kind are not accepted. Accepted: %(kinds)s.")
            % {"kinds": ", ".join(allowed)}
        )
    position = file.tell() if hasattr(file, "tell") else 0
    file.seek(0)
    head = file.read(2048)
    file.seek(position)
    signatures = KINDS[kind][1]
    if signatures is None:
        text = _utf8(head, cut=len(head) == 2048)
        if text is None or "\x00" in text or "<html" in text.lower() or "<script" in text.lower():
            raise ValidationError(_("The file's content is not plain text."))
        return
    if not any(head.startswith(signature) for signature in signatures):
        raise ValidationError(
            _("The file's content does not match its name (.%(kind)s).") % {"kind": kind}
        )


def _utf8(data: bytes, *, cut: bool) -> str | None:
    """The text, or None if it is not UTF-8 (a character cut by the 2 kB read is allowed)."""
    for trim in range(4 if cut else 1):
        try:
            return data[: len(data) - trim].decode("utf-8")
        except UnicodeDecodeError:
            continue
    return None


def document(file) -> None:
    """Field validator for contracts and similar documents."""
    check(file, DOCUMENTS)
