"""The managers' digest as an email: subject, text, HTML and its chart, in the subscriber's
language (rendering only; the figures come from dsr.selectors.digests)."""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import override

from accounts.models import DigestSubscription
from core.selectors import admin_url
from dsr import charts
from dsr.models import DsrCase
from dsr.selectors.digests import DigestFigures, DigestPeriod

# --- The email ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestMessage:
    subject: str
    text: str
    html: str
    chart_png: bytes
    chart_cid: str
    chart_alt: str


def _signed(value: float | None, decimals: int) -> str:
    if value is None:
        return ""
    rounded = round(value, decimals)
    text = number_format(abs(rounded), decimals)
    return f"+{text}" if rounded > 0 else (f"-{text}" if rounded < 0 else text)


def _difference(current: float | None, previous: float | None) -> float | None:
    return None if current is None or previous is None else current - previous


def _subject(period: DigestPeriod, preview: bool) -> str:
    if period.first_day == period.last_day:
        subject = _("Privacy digest for %(day)s") % {"day": period.first_day.isoformat()}
    else:
        subject = _("Privacy digest for %(first)s to %(last)s") % {
            "first": period.first_day.isoformat(),
            "last": period.last_day.isoformat(),
        }
    return _("Preview: %(subject)s") % {"subject": subject} if preview else subject


def digest_compose(
    *,
    subscription: DigestSubscription,
    period: DigestPeriod,
    figures: DigestFigures,
    preview: bool = False,
) -> DigestMessage:
    """Render the digest in the subscriber's language: subject, text, HTML and chart."""
    chart_cid = f"trend-{uuid.uuid4().hex}@digest.privacy-portal"
    with override(subscription.language):
        new_label, closed_label = _("New"), _("Closed")
        chart_alt = _("Requests per week from %(first)s: new %(new)s; closed %(closed)s.") % {
            "first": figures.trend[0].first_day.isoformat(),
            "new": ", ".join(str(week.new) for week in figures.trend),
            "closed": ", ".join(str(week.closed) for week in figures.trend),
        }
        context = {
            "language": subscription.language,
            "subscription": subscription,
            "frequency": subscription.get_frequency_display(),
            "period": period,
            "figures": figures,
            "preview": preview,
            "chart_cid": chart_cid,
            "chart_width": charts.WIDTH,
            "chart_height": charts.HEIGHT,
            "chart_alt": chart_alt,
            "median_change": _signed(
                _difference(figures.current.median_days, figures.previous.median_days), 1
            ),
            "on_time_change": _signed(
                _difference(figures.current.on_time_rate, figures.previous.on_time_rate), 0
            ),
            "due_soon_days": settings.DSR_DUE_SOON_DAYS,
            "review_days": settings.REVIEW_REMINDER_DAYS,
            "overdue_url": admin_url(DsrCase, "changelist", query={"deadline": "overdue"}),
            "due_soon_url": admin_url(DsrCase, "changelist", query={"deadline": "due_soon"}),
            "subscription_url": admin_url(DigestSubscription, "change", subscription.pk),
        }
        subject = _subject(period, preview)
        text = render_to_string("emails/dsr/digest.txt", context)
        html = render_to_string("emails/dsr/digest.html", context)
        chart = charts.weekly_bars_png(
            [(week.first_day, week.new, week.closed) for week in figures.trend],
            new_label=new_label,
            closed_label=closed_label,
        )
    return DigestMessage(subject, _tidy(text), html, chart, chart_cid, chart_alt)


def _tidy(text: str) -> str:
    """Template tags leave blank lines behind; keep at most one between paragraphs."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    tidy: list[str] = []
    for line in lines:
        if line or (tidy and tidy[-1]):
            tidy.append(line)
    return "\n".join(tidy) + "\n"
