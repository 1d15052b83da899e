from django.db import models
from django.utils.translation import gettext_lazy as _


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    SWEDISH = "sv", _("Swedish")


class SubjectCategory(models.TextChoices):
    PLATFORM_USER = "platform_user", _("Platform user")
    ORGANISATION_ADMIN = "organisation_admin", _("Organisation administrator")
    NEWSLETTER_SUBSCRIBER = "newsletter_subscriber", _("Newsletter subscriber")
    JOB_APPLICANT = "job_applicant", _("Job applicant")
    WEBSITE_VISITOR = "website_visitor", _("Website visitor")
    SUPPLIER_CONTACT = "supplier_contact", _("Supplier contact")


class SubjectSource(models.TextChoices):
    SUBJECT = "subject", _("The data subject")
    ORGANISATION = "organisation", _("Their organisation")
    PUBLIC = "public", _("Public sources")
    REQUEST = "request", _("Their privacy request")
    IMPORT = "import", _("Import")


class LegalBasis(models.TextChoices):
    """Art. 6(1) GDPR; each is a boolean column on ProcessingActivity."""

    CONSENT = "consent", _("Consent, Art. 6(1)(a)")
    CONTRACT = "contract", _("Contract, Art. 6(1)(b)")
    LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation, Art. 6(1)(c)")
    VITAL_INTERESTS = "vital_interests", _("Vital interests, Art. 6(1)(d)")
    PUBLIC_TASK = "public_task", _("Public task, Art. 6(1)(e)")
    LEGITIMATE_INTERESTS = "legitimate_interests", _("Legitimate interests, Art. 6(1)(f)")


class ActivityRole(models.TextChoices):
    CONTROLLER = "controller", _("As controller, Art. 30(1)")
    PROCESSOR = "processor", _("As processor for customers, Art. 30(2)")


class RetentionTrigger(models.TextChoices):
    COLLECTION = "collection", _("from collection")
    LAST_ACTIVITY = "last_activity", _("from the last activity")
    RELATIONSHIP_END = "relationship_end", _("from the end of the contract or account")
    PURPOSE_END = "purpose_end", _("from the end of the purpose (e.g. recruitment closed)")
    # Swedish Accounting Act, 7 kap. 2 §: counted in whole calendar years after the year in
    # which the financial year ended.
    FINANCIAL_YEAR_END = "financial_year_end", _("after the end of the financial year")


class PeriodUnit(models.TextChoices):
    DAYS = "days", _("days")
    MONTHS = "months", _("months")
    YEARS = "years", _("years")


class RetentionAction(models.TextChoices):
    DELETE = "delete", _("Delete")
    ANONYMISE = "anonymise", _("Anonymise")


class ConsentTopic(models.TextChoices):
    MARKETING_EMAIL = "marketing_email", _("Marketing newsletters by email")


class ConsentAction(models.TextChoices):
    GIVEN = "given", _("Given")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ConsentMethod(models.TextChoices):
    WEB_FORM = "web_form", _("Preferences page")
    SIGNUP = "signup", _("Sign-up form")
    UNSUBSCRIBE_LINK = "unsubscribe_link", _("Unsubscribe link")
    EMAIL = "email", _("Email to the privacy team")
    REQUEST = "request", _("Data subject request")
    STAFF = "staff", _("Recorded by staff")
    IMPORT = "import", _("Import")
