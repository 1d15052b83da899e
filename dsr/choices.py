from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Right(models.TextChoices):
    ACCESS = "access", _("Access (Art. 15)")
    RECTIFICATION = "rectification", _("Rectification (Art. 16)")
    ERASURE = "erasure", _("Erasure (Art. 17)")
    RESTRICTION = "restriction", _("Restriction (Art. 18)")
    PORTABILITY = "portability", _("Portability (Art. 20)")
    OBJECTION = "objection", _("Objection (Art. 21(1))")
    OBJECTION_MARKETING = "objection_marketing", _("Objection to direct marketing (Art. 21(2))")


# Rights after which recipients are told (Art. 19).
RIGHTS_NOTIFIED_TO_RECIPIENTS = frozenset({Right.RECTIFICATION, Right.ERASURE, Right.RESTRICTION})


class Channel(models.TextChoices):
    SELF_SERVICE = "self_service", _("Self-service form")
    EMAIL = "email", _("Email")
    POST = "post", _("Post")
    PHONE = "phone", _("Phone")
    STAFF = "staff", _("Entered by staff")


class CaseStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    AWAITING_IDENTITY = "awaiting_identity", _("Awaiting identity")
    IN_PROGRESS = "in_progress", _("In progress")
    AWAITING_REQUESTER = "awaiting_requester", _("Awaiting requester")
    COMPLETED = "completed", _("Completed")
    PARTIALLY_COMPLETED = "partially_completed", _("Partially completed")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", pgettext_lazy("request status", "Withdrawn")


FINAL_STATUSES = frozenset(
    {
        CaseStatus.COMPLETED,
        CaseStatus.PARTIALLY_COMPLETED,
        CaseStatus.REFUSED,
        CaseStatus.WITHDRAWN,
    }
)
OPEN_STATUSES = frozenset(set(CaseStatus) - FINAL_STATUSES)


class IdentityStatus(models.TextChoices):
    UNVERIFIED = "unverified", _("Not yet verified")
    VERIFIED = "verified", _("Verified")
    FAILED = "failed", _("Could not be established")


class IdentityMethod(models.TextChoices):
    EMAIL_LINK = "email_link", _("Emailed confirmation link")
    KNOWN_ACCOUNT = "known_account", _("Request from the address we hold")
    ID_DOCUMENT = "id_document", _("Identity document")
    PHONE_CALLBACK = "phone_callback", _("Call back on a known number")
    OTHER = "other", _("Other (described in the evidence)")


class PauseReason(models.TextChoices):
    """Why the clock stops (domain.md section 2: only when staff record it)."""

    IDENTITY = "identity", _("Reasonable doubts about identity (Art. 12(6))")
    CLARIFICATION = "clarification", _("Clarification of the request")


class RefusalBasis(models.TextChoices):
    MANIFESTLY_UNFOUNDED = "manifestly_unfounded", _("Manifestly unfounded (Art. 12(5))")
    EXCESSIVE = "excessive", _("Excessive, in particular repetitive (Art. 12(5))")
    IDENTITY_NOT_ESTABLISHED = (
        "identity_not_established",
        _("Identity could not be established (Art. 11(2), 12(2))"),
    )
    NOT_CONFIRMED = "not_confirmed", _("The request was never confirmed")
    ERASURE_EXCEPTION = "erasure_exception", _("An exception to erasure applies (Art. 17(3))")
    PORTABILITY_NOT_APPLICABLE = (
        "portability_not_applicable",
        _("Portability does not apply (Art. 20(1))"),
    )
    COMPELLING_GROUNDS = (
        "compelling_grounds",
        _("Compelling legitimate grounds override the objection (Art. 21(1))"),
    )
    OTHER = "other", _("Other")


# Art. 12(5): the controller bears the burden of proof, so these need a written justification.
REFUSAL_BASES_NEEDING_JUSTIFICATION = frozenset(
    {RefusalBasis.MANIFESTLY_UNFOUNDED, RefusalBasis.EXCESSIVE}
)


class EventKind(models.TextChoices):
    CREATED = "created", _("Received")
    STATUS = "status", _("Status changed")
    IDENTITY = "identity", _("Identity")
    PAUSE = "pause", _("Clock paused")
    RESUME = "resume", _("Clock resumed")
    EXTENSION = "extension", _("Extended")
    ASSIGNMENT = "assignment", _("Assigned")
    SUBJECT = "subject", _("Data subject matched")
    TASK = "task", _("Fulfilment")
    LETTER = "letter", _("Letter")
    MESSAGE = "message", _("Message from the requester")
    NOTE = "note", _("Note")
    DUPLICATE = "duplicate", _("Duplicate")


class Operation(models.TextChoices):
    """What a connector does in a system for a case."""

    FIND = "find", _("Find")
    EXPORT = "export", _("Export")
    ERASE = "erase", _("Erase")
    ANONYMISE = "anonymise", _("Anonymise")
    RECTIFY = "rectify", _("Rectify")
    RESTRICT = "restrict", _("Restrict")
    # Not for a case: the retention sweep's batch of rows past their period.
    RETENTION = "retention", _("Remove what has passed its retention period")


class TaskKind(models.TextChoices):
    SYSTEM = "system", _("Fulfilment in a system")
    RECIPIENT_NOTICE = "recipient_notice", _("Notice to a recipient (Art. 19)")


class TaskStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("task status", "Pending")
    RUNNING = "running", _("Running")
    WAITING = "waiting", _("Waiting for the system")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Not needed")


OPEN_TASK_STATUSES = frozenset(
    {TaskStatus.PENDING, TaskStatus.RUNNING, TaskStatus.WAITING, TaskStatus.FAILED}
)


class ConnectorKind(models.TextChoices):
    POSTGRESQL = "postgresql", _("SQL database (PostgreSQL)")
    WEBHOOK = "webhook", _("Webhook (signed HTTP)")
    MANUAL = "manual", _("Manual task for a named owner")


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    BUILDING = "building", _("Building")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired and deleted")


class ExportFileKind(models.TextChoices):
    REPORT = "report", _("Access report (PDF)")
    PACKAGE = "package", _("Data package (ZIP: JSON and CSV)")
    HTML = "html", _("Data package (web page)")


class LetterKind(models.TextChoices):
    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement")
    VERIFICATION = "verification", _("Confirm your request")
    IDENTITY_REQUEST = "identity_request", _("Identity request")
    CLARIFICATION_REQUEST = "clarification_request", _("Clarification request")
    EXTENSION = "extension", _("Extension notice")
    REFUSAL = "refusal", _("Refusal")
    COMPLETION = "completion", _("Completion")
    WITHDRAWAL = "withdrawal", _("Withdrawal confirmation")
    DUPLICATE = "duplicate", _("Already being handled")
    RECIPIENT_NOTICE = "recipient_notice", _("Notice to a recipient (Art. 19)")
