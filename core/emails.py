"""Turning an outbox row into a sent email."""

import smtplib
from email import encoders
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives, get_connection

from core.models import OutboxEmail


class PermanentFailure(Exception):
    """The server refused the message for good (5xx): retrying cannot help."""


class _EmailWithInlineParts(EmailMultiAlternatives):
    """An email whose HTML alternative travels with the images it shows (RFC 2387):

        multipart/alternative
          text/plain
          multipart/related
            text/html          <img src="cid:...">
            image/png          Content-ID, Content-Disposition: inline

    (inside multipart/mixed when there are ordinary attachments too).
    """

    def __init__(self, *args, inline_parts: list[MIMEBase] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.inline_parts = inline_parts or []

    def message(self, *args, **kwargs):
        message = super().message(*args, **kwargs)
        if self.inline_parts:
            _relate_to_html(message, self.inline_parts)
        return message


def _relate_to_html(message, parts: list[MIMEBase]) -> None:
    """Replace the text/html part of `message` by a multipart/related of it and `parts`."""
    for container in message.walk():
        if container.get_content_type() != "multipart/alternative":
            continue
        payload = container.get_payload()
        for index, part in enumerate(payload):
            if part.get_content_type() == "text/html":
                related = MIMEMultipart("related")
                related.attach(part)
                for inline in parts:
                    related.attach(inline)
                payload[index] = related
                return
    raise ValueError("inline parts need an HTML body to refer to them")


def _inline_part(attachment: dict, content: bytes) -> MIMEBase:
    maintype, _slash, subtype = attachment["content_type"].partition("/")
    part = MIMEBase(maintype, subtype or "octet-stream")
    part.set_payload(content)
    encoders.encode_base64(part)
    part.add_header("Content-ID", f"<{attachment['content_id']}>")
    part.add_header("Content-Disposition", "inline", filename=attachment["name"])
    return part


def deliver(email_id: int) -> None:
    """Send one outbox row. Attachments are files in default storage; one with a `content_id`
    (and `inline: true`) is shown inside the HTML, which refers to it as cid:<content_id>."""
    email = OutboxEmail.objects.get(pk=email_id)
    inline_parts, attachments = [], []
    for attachment in email.attachments:
        with default_storage.open(attachment["path"], "rb") as handle:
            content = handle.read()
        if email.body_html and attachment.get("content_id") and attachment.get("inline", True):
            inline_parts.append(_inline_part(attachment, content))
        else:
            attachments.append((attachment["name"], content, attachment["content_type"]))
    message = _EmailWithInlineParts(
        subject=email.subject,
        body=email.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
        headers=email.headers or None,
        connection=get_connection(fail_silently=False),
        attachments=attachments,
        inline_parts=inline_parts,
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        if all(500 <= code < 600 for code in codes):
            raise PermanentFailure(f"recipient refused: {codes}") from error
        raise
    except smtplib.SMTPResponseException as error:
        if 500 <= error.smtp_code < 600:
            raise PermanentFailure(f"{error.smtp_code} {error.smtp_error!r}") from error
        raise
