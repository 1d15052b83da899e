"""What a letter says: a template (staff's version from LetterTemplate, else the default file
in templates/letters/dsr/<language>/<kind>.txt) rendered over plain values of the case.

Default files hold the subject on the first line, a blank line, then the body. Rendering is
plain text with Django's template language; the HTML part escapes it. Only strings, dates and
lists of strings reach a template, so an edited template cannot reach into the database.
"""

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.template import Context, Engine, TemplateSyntaxError
from django.utils import formats, translation
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _

from dsr.choices import LetterKind
from dsr.models import DsrCase, LetterTemplate
from privacy.models import ControllerProfile

DEFAULTS_DIR = Path(settings.BASE_DIR) / "templates" / "letters" / "dsr"

# Placeholders an edited template must keep, because the law requires what they say.
REQUIRED_PLACEHOLDERS = {
    LetterKind.REFUSAL: ("reasons", "rights_notice"),
    LetterKind.EXTENSION: ("extended_due_date", "extension_reason"),
    LetterKind.VERIFICATION: ("verification_url",),
    LetterKind.IDENTITY_REQUEST: ("explanation",),
    LetterKind.CLARIFICATION_REQUEST: ("explanation",),
}

_engine = Engine(autoescape=False, string_if_invalid="")


@dataclass(frozen=True)
class RenderedLetter:
    subject: str
    body: str

    @property
    def html(self) -> str:
        paragraphs = linebreaks(escape(self.body))
        return f'<div style="font-family: sans-serif; line-height: 1.5">{paragraphs}</div>'


def default_template(kind: str, language: str) -> tuple[str, str]:
    """The shipped wording of a letter: (subject, body)."""
    path = DEFAULTS_DIR / language / f"{kind}.txt"
    if not path.is_file():
        path = DEFAULTS_DIR / "en" / f"{kind}.txt"
    subject, _blank, body = path.read_text(encoding="utf-8").partition("\n\n")
    return subject.strip(), body


def template_for(kind: str, language: str) -> tuple[str, str]:
    edited = LetterTemplate.objects.filter(kind=kind, language=language).first()
    if edited is not None:
        return edited.subject, edited.body
    return default_template(kind, language)


def validate_template(kind: str, subject: str, body: str) -> list[str]:
    """Problems with an edited template, as messages (empty when it is fine)."""
    problems = []
    for text in (subject, body):
        try:
            _engine.from_string(text)
        except TemplateSyntaxError as error:
            problems.append(_("The template does not parse: %(error)s") % {"error": error})
    for name in REQUIRED_PLACEHOLDERS.get(kind, ()):
        if "{{ " + name + " }}" not in body and "{{" + name + "}}" not in body:
            problems.append(
                _("The body must contain {{ %(name)s }}: the law requires what it says.")
                % {"name": name}
            )
    return problems


def rights_notice() -> str:
    """Art. 12(4), 77-79: where to complain and that courts are open."""
    profile = ControllerProfile.objects.first()
    authority = profile.supervisory_authority if profile else "Integritetsskyddsmyndigheten (IMY)"
    url = profile.supervisory_authority_url if profile else "https://www.imy.se"
    return _(
        "You have the right to lodge a complaint with the supervisory authority, %(authority)s "
        "(%(url)s), or with the supervisory authority of the country where you live or work. "
        "You also have the right to an effective judicial remedy before a court (Articles 77 "
        "to 79 of the GDPR)."
    ) % {"authority": authority, "url": url}


def _date(value) -> str:
    return formats.date_format(value, "DATE_FORMAT") if value else ""


def case_context(case: DsrCase, extra: dict | None = None) -> dict:
    """Plain values a letter about `case` may use."""
    profile = ControllerProfile.objects.first()
    linked = list(case.submission.cases.order_by("pk"))
    context = {
        "reference": case.reference,
        "references": [c.reference for c in linked],
        "right": str(case.get_right_display()),
        "rights": [str(c.get_right_display()) for c in linked],
        "received_date": _date(case.received_at.date()),
        "target_date": _date(case.target_date),
        "due_date": _date(case.due_date),
        "extended_due_date": _date(case.extended_due_date),
        "extension_reason": case.extension_reason,
        "requester_name": case.submission.requester_name,
        "outcome": case.outcome,
        "reasons": case.refusal_reasons,
        "rights_notice": rights_notice(),
        "company": profile.name if profile else "",
        "company_email": profile.email if profile else settings.DEFAULT_FROM_EMAIL,
        "company_address": profile.address if profile else "",
        "supervisory_authority": profile.supervisory_authority if profile else "",
        "supervisory_authority_url": profile.supervisory_authority_url if profile else "",
        "retained": [],
        "explanation": "",
        "verification_url": "",
        "status_url": "",
        "recipients": [],
    }
    context.update(extra or {})
    return context


def render(kind: str, case: DsrCase, extra: dict | None = None) -> RenderedLetter:
    """The letter of `kind` about `case`, in the case's language."""
    with translation.override(case.language):
        subject_template, body_template = template_for(kind, case.language)
        context = Context(case_context(case, extra))
        subject = _engine.from_string(subject_template).render(context)
        body = _engine.from_string(body_template).render(context)
    return RenderedLetter(subject=" ".join(subject.split()), body=body.strip() + "\n")
