from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    """The admin, with the site that requires a verified second factor."""

    default_site = "accounts.admin_site.PortalAdminSite"
