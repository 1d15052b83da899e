"""The staff roles, as Django groups.

One place names them; the permissions each role holds are granted where the roles are created.
Group names are stored in the database, so they are plain (untranslated) strings.
"""

from django.db import models


class Role(models.TextChoices):
    PRIVACY_OFFICER = "privacy_officer", "Privacy officer"
    SUPPORT_AGENT = "support_agent", "Support agent"
    MANAGER = "manager", "Manager"
    AUDITOR = "auditor", "Auditor"

    @property
    def group_name(self) -> str:
        return self.label
