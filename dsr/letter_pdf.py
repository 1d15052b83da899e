"""A letter as a printable PDF: the stored text of a Letter on the company's letterhead.

Rendering only: the Letter's subject and body are printed exactly as they were written (the
body hash at the foot lets anyone check that against the record), in the letter's language.
Requests made by post or phone have no email address; their letters are printed from here
and sent in a window envelope, so the addressee block sits where the window is.
"""

from dataclasses import dataclass, field

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from core.pdf import render_pdf
from dsr.choices import LetterKind
from dsr.models import Letter
from privacy.models import ControllerProfile

LETTER_TEMPLATE = "pdf/dsr/letter.html"
# A body line starting with this is an item of a list.
LIST_MARKER = "- "


@dataclass
class Block:
    """A paragraph (lines kept as written) or a list of items."""

    kind: str  # "p" or "ul"
    lines: list[str] = field(default_factory=list)


def body_blocks(body: str) -> list[Block]:
    """Split a letter's plain text into paragraphs (blank-line separated) and lists (lines
    starting with "- "), so the PDF can lay them out as a letter."""
    blocks: list[Block] = []
    for chunk in body.replace("\r\n", "\n").split("\n\n"):
        current: Block | None = None
        for line in chunk.split("\n"):
            line = line.rstrip()
            if not line.strip():
                continue
            kind = "ul" if line.startswith(LIST_MARKER) else "p"
            text = line[len(LIST_MARKER) :] if kind == "ul" else line
            if current is None or current.kind != kind:
                current = Block(kind)
                blocks.append(current)
            current.lines.append(text)
    return blocks


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace("\r\n", "\n").split("\n") if line.strip()]


def letter_addressee(letter: Letter) -> list[str]:
    """The lines of the address field: who the letter is for and, when known, where."""
    if letter.kind == LetterKind.RECIPIENT_NOTICE and letter.task and letter.task.recipient:
        recipient = letter.task.recipient
        return [recipient.legal_entity or recipient.name]
    submission = letter.case.submission
    lines = _lines(submission.requester_name)[:1] + _lines(submission.requester_address)
    return lines or [letter.recipient]


def letter_pdf_filename(letter: Letter) -> str:
    day = timezone.localdate(letter.created_at).isoformat()
    return f"{letter.case.reference}-{letter.kind}-{day}.pdf"


def render_letter_pdf(letter: Letter) -> bytes:
    """The letter as PDF bytes. Reads the controller profile; no side effects."""
    profile = ControllerProfile.objects.first()
    with translation.override(letter.language):
        sent_by_email = bool(letter.outbox_id)
        context = {
            "letter": letter,
            "profile": profile,
            "company_lines": _lines(profile.address) if profile else [],
            "addressee": letter_addressee(letter),
            "date": formats.date_format(timezone.localdate(letter.created_at), "DATE_FORMAT"),
            "reference": letter.case.reference,
            "sent_by_email": sent_by_email,
            "blocks": body_blocks(letter.body),
            "hash_line": _("SHA-256 of the text: %(hash)s") % {"hash": letter.body_sha256},
            "document_title": letter.subject,
            "document_author": profile.name if profile else "",
            "document_description": f"{letter.case.reference}: {letter.get_kind_display()}",
            "generated_at": letter.created_at,
        }
        return render_pdf(LETTER_TEMPLATE, context)
