from functools import cache
from zoneinfo import available_timezones

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A member of staff: privacy officer, support agent, manager or auditor.

    Data subjects never have accounts; they reach the portal through emailed links.
    """

    email = models.EmailField(_("email address"))

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            # Reminders and digests go to this address; two staff sharing one would be ambiguous.
            models.UniqueConstraint(
                Lower("email"),
                name="accounts_user_email_ci_unique",
                condition=~models.Q(email=""),
            ),
        ]


@cache
def _time_zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def validate_time_zone(value: str) -> None:
    """An IANA time zone name this machine knows (zoneinfo), such as Europe/Stockholm."""
    if value not in _time_zone_names():
        raise ValidationError(
            _("“%(value)s” is not a time zone name; use one such as Europe/Stockholm."),
            code="invalid_time_zone",
            params={"value": value},
        )


class DigestFrequency(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class DigestSubscription(models.Model):
    """A manager's digest: how often, when in their own time zone, and in which language.

    Each period's digest is sent once (claimed as a core.SentNotice); see dsr.services.digests
    for the periods and the figures.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        on_delete=models.CASCADE,
        related_name="digest_subscriptions",
    )
    frequency = models.CharField(
        _("frequency"),
        max_length=16,
        choices=DigestFrequency.choices,
        default=DigestFrequency.WEEKLY,
    )
    weekday = models.PositiveSmallIntegerField(
        _("weekday"),
        choices=sorted(WEEKDAYS.items()),
        default=0,
        help_text=_("Weekly digests: the day they arrive, covering the 7 days before it."),
    )
    hour = models.PositiveSmallIntegerField(
        _("hour"),
        choices=[(hour, f"{hour:02d}:00") for hour in range(24)],
        default=7,
        validators=[MaxValueValidator(23)],
        help_text=_("The digest is sent after this hour, in the time zone below."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="Europe/Stockholm",
        validators=[validate_time_zone],
        help_text=_("An IANA name, such as Europe/Stockholm or America/New_York."),
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("digest subscription")
        verbose_name_plural = _("digest subscriptions")
        ordering = ["user__username", "frequency"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "frequency"],
                name="accounts_digest_once_per_frequency",
                violation_error_message=_("This manager already has a digest this often."),
            ),
            models.CheckConstraint(
                condition=Q(hour__lte=23) & Q(weekday__lte=6),
                name="accounts_digest_hour_and_weekday",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_frequency_display()}"
