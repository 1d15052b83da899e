"""Letters to requesters and recipients, and the templates they are written from."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.fields import EncryptedTextField
from core.models import TimeStampedModel
from dsr.choices import (
    LetterKind,
)
from dsr.models.cases import DsrCase
from dsr.models.fulfilment import CaseTask
from privacy.choices import Language


class LetterTemplate(TimeStampedModel):
    """The wording of a letter in one language, editable by staff.

    Subject and body use Django's template language over a fixed set of plain values (see
    dsr.letters); required placeholders are checked when a template is saved.
    """

    kind = models.CharField(_("kind"), max_length=32, choices=LetterKind.choices)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("body"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last edited by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("letter template")
        verbose_name_plural = _("letter templates")
        ordering = ["kind", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "language"],
                name="dsr_letter_template_unique",
                violation_error_message=_("This letter already has a template in this language."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.language})"


class Letter(models.Model):
    """A communication sent about a case (Art. 12): what was said, to whom, when."""

    case = models.ForeignKey(
        DsrCase, verbose_name=_("case"), on_delete=models.PROTECT, related_name="letters"
    )
    task = models.ForeignKey(
        CaseTask,
        verbose_name=_("task"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="letters",
    )
    kind = models.CharField(_("kind"), max_length=32, choices=LetterKind.choices)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    recipient = EncryptedTextField(_("to"))
    subject = EncryptedTextField(_("subject"))
    body = EncryptedTextField(_("body"))
    body_sha256 = models.CharField(_("body hash"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("written"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    outbox = models.OneToOneField(
        "core.OutboxEmail",
        verbose_name=_("email"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="letter",
    )

    class Meta:
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.case}: {self.get_kind_display()}"
