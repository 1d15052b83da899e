"""How the requests' admin pages show a case, a task, a person and a moment."""

from django.conf import settings
from django.contrib.admin.utils import quote
from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from dsr import rules
from dsr.models import CaseTask, DsrCase, Letter


def days_left_html(case: DsrCase):
    """Days to the target date, coloured: red once late, amber within DSR_QUEUE_AMBER_DAYS.

    Needs the annotations of case_selectors.cases_queue(). "Overdue" means the legal due date (the
    extended one once extended) has passed; "past target" that only our promise has.
    """
    if not case.is_open:
        return "-"
    days, legal_days = case.days_left, case.legal_days_left
    if legal_days < 0:
        css = "overdue"
        text = ngettext("Overdue by %(days)d day", "Overdue by %(days)d days", -legal_days) % {
            "days": -legal_days
        }
    elif days < 0:
        css = "late"
        text = ngettext("%(days)d day past target", "%(days)d days past target", -days) % {
            "days": -days
        }
    elif days == 0:
        css, text = "soon", _("Target today")
    else:
        css = "soon" if days <= settings.DSR_QUEUE_AMBER_DAYS else "ok"
        text = ngettext("%(days)d day", "%(days)d days", days) % {"days": days}
    paused = format_html(' <span class="dsr-paused">{}</span>', _("(clock stopped)"))
    return format_html(
        '<span class="dsr-days dsr-days--{}">{}</span>{}',
        css,
        text,
        paused if case.clock_paused else "",
    )


def local_stamp(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def text_block(text: str):
    """Free text as typed, escaped, its line breaks kept."""
    return linebreaksbr(text, autoescape=True) if text else "-"


def task_label(task: CaseTask) -> str:
    target = task.system or task.recipient
    if task.operation:
        return f"{target} ({task.get_operation_display().lower()})"
    return str(target)


def user_name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def case_link(case: DsrCase):
    url = reverse("admin:dsr_dsrcase_change", args=[quote(case.pk)])
    return format_html(
        '<a href="{}">{}</a> ({}, {})',
        url,
        case.reference,
        case.get_right_display(),
        case.get_status_display().lower(),
    )


def letter_delivery(letter: Letter) -> str:
    """How the letter reaches the requester, in words for staff."""
    if letter.outbox_id is None:
        return gettext("By post: print and send")
    if rules.letter_to_print(letter):
        return gettext("Email failed: print and send by post")
    return gettext("Email: %(status)s") % {"status": letter.outbox.get_status_display()}
