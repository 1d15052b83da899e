"""Writing a letter about a case: rendered, recorded with its hash, and put in the outbox in
the same transaction as the change that caused it."""

import hashlib

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from core.services import outbox_enqueue
from dsr import letters
from dsr.choices import EventKind, LetterKind
from dsr.models import CaseEvent, CaseTask, DsrCase, Letter, LetterTemplate
from privacy.choices import Language


@transaction.atomic
def letter_send(
    *,
    case: DsrCase,
    kind: str,
    actor=None,
    extra: dict | None = None,
    linked: list[DsrCase] | None = None,
    to: str = "",
    task: CaseTask | None = None,
) -> Letter | None:
    """Render the letter of `kind` and queue it by email.

    Requests made without an email address (post, phone) get the letter recorded on the case
    for staff to print (as PDF) and send; the timeline says so. `linked` cases share the
    letter (one letter answering several rights) and each gets a timeline entry.
    """
    rendered = letters.render(kind, case, extra)
    address = to or case.submission.requester_email
    outbox = None
    if address:
        outbox = outbox_enqueue(
            to=address,
            subject=rendered.subject,
            body_text=rendered.body,
            body_html=rendered.html,
            reference=case.reference,
        )
    letter = Letter.objects.create(
        case=case,
        task=task,
        kind=kind,
        language=case.language,
        recipient=address,
        subject=rendered.subject,
        body=rendered.body,
        body_sha256=hashlib.sha256(rendered.body.encode()).hexdigest(),
        created_by=actor,
        outbox=outbox,
    )
    note = (
        _("%(kind)s sent by email.") if address else _("%(kind)s written; send it by post.")
    ) % {"kind": LetterKind(kind).label}
    for target in linked or [case]:
        CaseEvent.objects.create(
            case=target, kind=EventKind.LETTER, actor=actor, note=note, at=letter.created_at
        )
    return letter


def letter_require_template_ok(
    *, kind: str, subject: str, body: str, language: str | None = None
) -> None:
    problems = letters.validate_template(kind, subject, body, language=language)
    if problems:
        raise ApplicationError(" ".join(problems))


@transaction.atomic
def letter_template_save(
    *, kind: str, language: str, subject: str, body: str, actor=None
) -> LetterTemplate:
    """Store staff's wording of a letter in one language (replacing an earlier edit), used for
    every letter of that kind from now on. Letters already written keep their text.

    Raises ApplicationError for an unknown kind or language, or a template that does not parse
    or does not show a placeholder the law requires (dsr.letters.validate_template).
    """
    if kind not in LetterKind.values:
        raise ApplicationError(_("Unknown kind of letter: %(kind)s") % {"kind": kind})
    if language not in Language.values:
        raise ApplicationError(_("Unknown language: %(language)s") % {"language": language})
    subject = " ".join(subject.split())
    body = body.replace("\r\n", "\n").strip() + "\n"
    if not subject or not body.strip():
        raise ApplicationError(_("A letter needs a subject and a body."))
    letter_require_template_ok(kind=kind, subject=subject, body=body, language=language)
    template, _created = LetterTemplate.objects.update_or_create(
        kind=kind,
        language=language,
        defaults={"subject": subject, "body": body, "updated_by": actor},
    )
    return template


@transaction.atomic
def letter_template_reset(*, template: LetterTemplate) -> None:
    """Drop staff's wording, so the shipped default file applies again."""
    LetterTemplate.objects.filter(pk=template.pk).delete()
