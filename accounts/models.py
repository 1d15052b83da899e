from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
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
