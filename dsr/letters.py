"""What a letter says: a template (staff's version from LetterTemplate, else the default file
in templates/letters/dsr/<language>/<kind>.txt) rendered over plain values of the case.

Default files hold the subject on the first line, a blank line, then the body. Rendering is
plain text with Django's template language; the HTML part escapes it. Only strings, numbers and
lists of them reach a template, so an edited template cannot reach into the database; dates are
written out first, in the letter's language (_date), whoever's language the request came in.
"""

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from django.conf import settings
from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import Node, Variable, VariableNode
from django.template.defaulttags import DebugNode, ForNode, WithNode
from django.template.loader_tags import ExtendsNode, IncludeNode
from django.utils import formats, timezone, translation
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dsr import deadlines
from dsr.choices import LetterKind, Right
from dsr.models import DsrCase, LetterTemplate
from privacy.models import ControllerProfile

logger = logging.getLogger(__name__)

DEFAULTS_DIR = Path(settings.BASE_DIR) / "templates" / "letters" / "dsr"

# Placeholders an edited template must keep, because the law requires what they say.
REQUIRED_PLACEHOLDERS = {
    LetterKind.REFUSAL: ("reasons", "rights_notice"),
    LetterKind.EXTENSION: ("extended_due_date", "extension_reason"),
    LetterKind.VERIFICATION: ("verification_url",),
    LetterKind.IDENTITY_REQUEST: ("explanation",),
    LetterKind.CLARIFICATION_REQUEST: ("explanation",),
}

# Every value a letter template can show, with what it means (the admin lists them for staff).
PLACEHOLDERS = {
    "reference": gettext_lazy("The reference of the request, e.g. DSR-2026-000123."),
    "references": gettext_lazy(
        'Every reference of the same submission (a list: {{ references|join:", " }}).'
    ),
    "right": gettext_lazy("The right exercised, e.g. Access (Art. 15)."),
    "right_code": gettext_lazy(
        "The right as a code, for conditions: access, rectification, erasure, restriction, "
        "portability, objection or objection_marketing."
    ),
    "rights": gettext_lazy("Every right of the same submission (a list)."),
    "requests": gettext_lazy(
        "One item per right of the submission, each with .right and .reference (a list, "
        "for a loop)."
    ),
    "received_date": gettext_lazy("The date the request was received."),
    "target_date": gettext_lazy("The date we aim to answer by (never after the due date)."),
    "due_date": gettext_lazy("The legal due date: one month from receipt (Art. 12(3))."),
    "extended_due_date": gettext_lazy("The due date after an extension (Art. 12(3))."),
    "extension_reason": gettext_lazy("Why the request was extended, as staff wrote it."),
    "requester_name": gettext_lazy("The requester's name, when known."),
    "outcome": gettext_lazy("What was done, as staff wrote it when completing the request."),
    "reasons": gettext_lazy("The reasons for a refusal, as staff wrote them (Art. 12(4))."),
    "rights_notice": gettext_lazy(
        "The right to complain to the supervisory authority and to a judicial remedy "
        "(Art. 12(4), 77-79)."
    ),
    "company": gettext_lazy("Our company name (controller profile)."),
    "company_email": gettext_lazy("Our privacy contact email."),
    "company_address": gettext_lazy("Our postal address."),
    "supervisory_authority": gettext_lazy("The supervisory authority, e.g. IMY."),
    "supervisory_authority_url": gettext_lazy("The supervisory authority's website."),
    "retained": gettext_lazy(
        "Data kept after an erasure (Art. 17(3)), each item with .category, .reason and "
        ".until (a list, for a loop)."
    ),
    "explanation": gettext_lazy(
        "What staff wrote: what the requester must send (identity, clarification), or what "
        "was done (Art. 19 notice)."
    ),
    "verification_url": gettext_lazy("The link that confirms a self-service request."),
    "verification_valid_hours": gettext_lazy("How many hours the confirmation link works."),
    "status_url": gettext_lazy(
        "The requester's status page, when there is one: show it only under a condition on "
        "status_url."
    ),
    "recipients": gettext_lazy("Recipients told under Art. 19 (a list of names)."),
    "download_until": gettext_lazy(
        "When an export answers the request: the last day it can be downloaded from the "
        "status page (empty otherwise)."
    ),
    "original_reference": gettext_lazy(
        "For a duplicate: the reference of the request already being handled."
    ),
}

_engine = Engine(autoescape=False, string_if_invalid="")

# Tags an edited template may not use: the engine has no templates to include or extend (the
# letter would fail when sent), and {% debug %} prints the context and the loaded modules.
FORBIDDEN_TAGS = {IncludeNode: "include", ExtendsNode: "extends", DebugNode: "debug"}


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


def validate_template(
    kind: str, subject: str, body: str, *, language: str | None = None
) -> list[str]:
    """Problems with an edited template, as messages (empty when it is fine).

    Besides parsing, the template is rendered over sample values: a required placeholder must
    show in the output (not sit in a comment or a condition that hides it), and a template
    that cannot render is refused now rather than when a letter is due.
    """
    problems = []
    parsed = []
    for text in (subject, body):
        try:
            parsed.append(_engine.from_string(text))
        except TemplateSyntaxError as error:
            problems.append(_("The template does not parse: %(error)s") % {"error": error})
    for template in parsed:
        nodes = template.nodelist.get_nodes_by_type(Node)
        for node in nodes:
            tag = FORBIDDEN_TAGS.get(type(node))
            if tag:
                problems.append(_("Letters cannot use {%% %(tag)s %%}.") % {"tag": tag})
        for name in _unknown_names(nodes):
            problems.append(
                _("There is no placeholder {{ %(name)s }}; the list below shows those there are.")
                % {"name": name}
            )
    required = REQUIRED_PLACEHOLDERS.get(kind, ())
    for name in required:
        if "{{ " + name + " }}" not in body and "{{" + name + "}}" not in body:
            problems.append(
                _("The body must contain {{ %(name)s }}: the law requires what it says.")
                % {"name": name}
            )
    if problems:
        return list(dict.fromkeys(problems))
    # Sample values are rendered in the letter's language; the messages stay in the reader's.
    try:
        with translation.override(language or translation.get_language()):
            context = sample_context(kind)
            context.update({name: _sentinel(name) for name in required})
            rendered = render_text(subject, body, context)
    except Exception as error:  # any failure of a staff-written template is a form error
        return [_("The template cannot be rendered: %(error)s") % {"error": error}]
    for name in required:
        if _sentinel(name) not in rendered.body:
            problems.append(
                _(
                    "The body must always show {{ %(name)s }}: not inside a comment or a "
                    "condition that can hide it."
                )
                % {"name": name}
            )
    return problems


def _unknown_names(nodes: list[Node]) -> list[str]:
    """Names shown with {{ }} that are neither placeholders nor set by {% for %}/{% with %}:
    a typo would otherwise print nothing."""
    known = set(PLACEHOLDERS) | {"forloop"}
    for node in nodes:
        if isinstance(node, ForNode):
            known.update(node.loopvars)
        elif isinstance(node, WithNode):
            known.update(node.extra_context)
    unknown = []
    for node in nodes:
        if isinstance(node, VariableNode) and isinstance(node.filter_expression.var, Variable):
            variable = node.filter_expression.var
            name = variable.lookups[0] if variable.lookups else None
            if name and name not in known and name not in unknown:
                unknown.append(name)
    return unknown


def _sentinel(name: str) -> str:
    return f"[[required {name}]]"


def rights_notice() -> str:
    """Art. 12(4), 77-79: where to complain and that courts are open."""
    profile = ControllerProfile.objects.first()
    authority = profile.supervisory_authority if profile else "Integritetsskyddsmyndigheten (IMY)"
    url = profile.supervisory_authority_url if profile else "https://www.imy.se"
    return _(
        "You have the right to lodge a complaint with the supervisory authority, %(authority)s, "
        "at %(url)s, or with the supervisory authority in the EU or EEA country where you live "
        "or work, or where you think the infringement took place. You also have the right to "
        "an effective judicial remedy before a court (Articles 77 to 79 of the GDPR)."
    ) % {"authority": authority, "url": url}


def _date(value) -> str:
    """A date as the active language writes it ("31 december 2034" in Swedish); call it in the
    letter's language."""
    return formats.date_format(value, "DATE_FORMAT") if value else ""


def _written(value):
    """`value` with every date in it (in lists and dicts too) written out by _date, so a
    caller passes dates and the letter writes them in its own language."""
    if isinstance(value, datetime):
        return _date(timezone.localtime(value).date())
    if isinstance(value, date):
        return _date(value)
    if isinstance(value, list | tuple):
        return [_written(item) for item in value]
    if isinstance(value, dict):
        return {key: _written(item) for key, item in value.items()}
    return value


def _company(profile: ControllerProfile | None) -> dict:
    return {
        "company": profile.name if profile else "",
        "company_email": profile.email if profile else settings.DEFAULT_FROM_EMAIL,
        "company_address": profile.address if profile else "",
        "supervisory_authority": profile.supervisory_authority if profile else "",
        "supervisory_authority_url": profile.supervisory_authority_url if profile else "",
    }


def _link_hours() -> int:
    return int(settings.DSR_VERIFICATION_LINK_TTL.total_seconds() // 3600)


def case_context(case: DsrCase, extra: dict | None = None) -> dict:
    """Plain values a letter about `case` may use, in the active language (render calls it in
    the case's); dates in `extra` are written out here."""
    profile = ControllerProfile.objects.first()
    linked = list(case.submission.cases.order_by("pk"))
    context = {
        "reference": case.reference,
        "references": [c.reference for c in linked],
        "right": str(case.get_right_display()),
        "right_code": case.right,
        "rights": [str(c.get_right_display()) for c in linked],
        # One line per right of the submission: {{ item.right }}, {{ item.reference }}.
        "requests": [
            {"reference": c.reference, "right": str(c.get_right_display())} for c in linked
        ],
        "received_date": _date(deadlines.local_received_date(case.received_at)),
        "target_date": _date(case.target_date),
        "due_date": _date(case.due_date),
        "extended_due_date": _date(case.extended_due_date),
        "extension_reason": case.extension_reason,
        "requester_name": case.submission.requester_name,
        "outcome": case.outcome,
        "reasons": case.refusal_reasons,
        "rights_notice": rights_notice(),
        **_company(profile),
        "retained": [],
        "explanation": "",
        "verification_url": "",
        "verification_valid_hours": _link_hours(),
        "status_url": case.submission.status_url,
        "download_until": "",
        "recipients": [],
        "original_reference": "",
    }
    context.update({name: _written(value) for name, value in (extra or {}).items()})
    return context


def sample_context(kind: str) -> dict:
    """Made-up values of every placeholder, for previews and for checking edited templates;
    reads the controller profile, creates nothing. Call it in the letter's language."""
    # Dated by the deadline rules, as if received now, so a preview never shows a date the
    # rules would not give.
    now = timezone.now()
    today = deadlines.local_received_date(now)
    access, erasure = str(Right.ACCESS.label), str(Right.ERASURE.label)
    base = settings.SITE_URL
    return {
        "reference": "DSR-2026-000123",
        "references": ["DSR-2026-000123", "DSR-2026-000124"],
        "right": erasure if kind == LetterKind.RECIPIENT_NOTICE else access,
        "right_code": Right.ERASURE if kind == LetterKind.RECIPIENT_NOTICE else Right.ACCESS,
        "rights": [access, erasure],
        "requests": [
            {"reference": "DSR-2026-000123", "right": access},
            {"reference": "DSR-2026-000124", "right": erasure},
        ],
        "received_date": _date(today),
        "target_date": _date(deadlines.target_date(now)),
        "due_date": _date(deadlines.due_date(now)),
        "extended_due_date": _date(deadlines.extended_due_date(now)),
        "extension_reason": _(
            "Your request concerns data in many of our systems, and we have received an "
            "unusually high number of requests this month."
        ),
        "requester_name": "Anna Berg",
        "outcome": _("We have attached a copy of the personal data we hold about you."),
        "reasons": _(
            "We must keep invoices for seven years under the Swedish Accounting Act "
            "(bokföringslagen, chapter 7, section 2)."
        ),
        "rights_notice": rights_notice(),
        **_company(ControllerProfile.objects.first()),
        "retained": [
            {
                "category": _("Invoices and payments"),
                "system": "Billing",
                "rows": 12,
                "reason": "Bokföringslagen (1999:1078) 7 kap. 2 §",
                "until": _date(today.replace(year=today.year + 8, month=12, day=31)),
            }
        ],
        "explanation": _("Please send us the last four digits of the card you pay with."),
        "verification_url": f"{base}/privacy/verify/sample-link/",
        "verification_valid_hours": _link_hours(),
        "status_url": f"{base}/privacy/status/sample/",
        "recipients": ["Amazon Web Services EMEA SARL", "Stripe Payments Europe Ltd"],
        "original_reference": "DSR-2026-000101",
        "download_until": _date(today + settings.DSR_EXPORT_TTL),
    }


def _tidy(text: str) -> str:
    """Trailing spaces off every line, at most one blank line in a row: what a template's
    conditions leave behind does not show in the letter."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def render_text(subject_template: str, body_template: str, context: dict) -> RenderedLetter:
    """Render a subject and body template over `context` (in the active language)."""
    # Plain text: a Context escapes HTML unless told not to (the engine's setting is not used
    # when a Template is rendered directly), which would print O&#x27;Brien.
    values = Context(context, autoescape=False)
    subject = _engine.from_string(subject_template).render(values)
    body = _engine.from_string(body_template).render(values)
    return RenderedLetter(subject=" ".join(subject.split()), body=_tidy(body) + "\n")


def _missing_required(kind: str, body: str, context: dict) -> list[str]:
    """Required values (non-empty in `context`) that the rendered `body` does not show."""
    missing = []
    for name in REQUIRED_PLACEHOLDERS.get(kind, ()):
        value = _tidy(str(context.get(name) or ""))
        if value and value not in body:
            missing.append(name)
    return missing


def render(kind: str, case: DsrCase, extra: dict | None = None) -> RenderedLetter:
    """The letter of `kind` about `case`, in the case's language.

    Staff's edited wording is used when there is one; should it fail to render, or not show a
    value the law requires (the reasons of a refusal, the rights notice), the shipped default
    is used instead, so a letter never goes out without what it must say.
    """
    with translation.override(case.language):
        context = case_context(case, extra)
        edited = LetterTemplate.objects.filter(kind=kind, language=case.language).first()
        if edited is not None:
            try:
                rendered = render_text(edited.subject, edited.body, context)
            except Exception:  # staff's text must never stop a letter the law requires
                logger.exception("Letter template %s failed; using the default", edited.pk)
            else:
                missing = _missing_required(kind, rendered.body, context)
                if not missing:
                    return rendered
                logger.warning(
                    "Letter template %s does not show %s; using the default",
                    edited.pk,
                    ", ".join(missing),
                )
        subject_template, body_template = default_template(kind, case.language)
        return render_text(subject_template, body_template, context)
