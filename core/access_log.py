"""Recording and verifying the access log (core.models.AccessLogEntry).

The chain: row_hash = SHA-256 over the row's fields and the previous row's hash. Appends are
serialised (a transaction-scoped advisory lock), so two requests logging at once cannot both
chain onto the same row.
"""

import hashlib
import json
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from core.choices import AccessAction
from core.models import AccessLogEntry
from core.ratelimit import client_ip

GENESIS = "0" * 64
# An arbitrary, fixed key for pg_advisory_xact_lock: "the access log".
_LOCK_KEY = 7_405_511_173


def _canonical(entry: AccessLogEntry) -> bytes:
    fields = {
        "at": entry.at.isoformat(),
        "actor": entry.actor_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "subject_id": entry.subject_id,
        "case_reference": entry.case_reference,
        "purpose": entry.purpose,
        "query": hashlib.sha256(entry.query.encode()).hexdigest() if entry.query else "",
        "ip_address": entry.ip_address,
        "previous_hash": entry.previous_hash,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def compute_hash(entry: AccessLogEntry) -> str:
    return hashlib.sha256(_canonical(entry)).hexdigest()


@transaction.atomic
def access_log_record(
    *,
    actor,
    action: str,
    object_type: str,
    object_id: str = "",
    subject_id: int | None = None,
    case_reference: str = "",
    purpose: str = "",
    query: str = "",
    ip_address: str = "",
) -> AccessLogEntry:
    """Append one entry to the chain."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    previous = AccessLogEntry.objects.order_by("-pk").values_list("row_hash", flat=True).first()
    entry = AccessLogEntry(
        at=timezone.now(),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:64],
        subject_id=subject_id,
        case_reference=case_reference[:32],
        purpose=purpose[:300],
        query=query,
        ip_address=ip_address[:64],
        previous_hash=previous or GENESIS,
    )
    entry.row_hash = compute_hash(entry)
    entry.save()
    return entry


def log_text(message: str, **params) -> str:
    """`message` (marked with gettext_noop) in the portal's own language, so the log reads
    the same whichever language a member of staff uses the admin in."""
    if not message:
        return ""
    with translation.override(settings.LANGUAGE_CODE):
        text = gettext(message)
        return text % {name: str(value) for name, value in params.items()} if params else text


def case_purpose(reference: str) -> str:
    return log_text(gettext_noop("Handling %(reference)s"), reference=reference)


def access_log_staff(
    request,
    *,
    action: str,
    object_type: str,
    purpose: str,
    object_id: str = "",
    subject_id: int | None = None,
    case_reference: str = "",
    query: str = "",
) -> AccessLogEntry:
    """Record what the member of staff making `request` looked at, searched or downloaded,
    from their address."""
    return access_log_record(
        actor=request.user,
        action=action,
        object_type=object_type,
        object_id=object_id,
        subject_id=subject_id,
        case_reference=case_reference,
        purpose=purpose,
        query=query,
        ip_address=client_ip(request),
    )


def access_log_case_staff(
    request, case, *, action: str, object_type: str, object_id: str
) -> AccessLogEntry:
    """Staff's access to something of one request (`case`: a dsr DsrCase), for its handling."""
    return access_log_staff(
        request,
        action=action,
        object_type=object_type,
        object_id=object_id,
        subject_id=case.subject_id,
        case_reference=case.reference,
        purpose=case_purpose(case.reference),
    )


def access_log_search(request, *, object_type: str, term: str, list_name) -> AccessLogEntry:
    """A search of a staff list: the term itself is kept (encrypted at rest)."""
    return access_log_staff(
        request,
        action=AccessAction.SEARCH,
        object_type=object_type,
        purpose=log_text(gettext_noop("Search in %(list)s"), list=list_name),
        query=term,
    )


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_broken_id: int | None
    problem: str = ""

    @property
    def intact(self) -> bool:
        return self.first_broken_id is None


def verify_chain(*, chunk_size: int = 5000) -> ChainReport:
    """Walk the log in order; report the first row whose hash or link does not hold."""
    previous = GENESIS
    checked = 0
    last_pk = 0
    while True:
        rows = list(AccessLogEntry.objects.filter(pk__gt=last_pk).order_by("pk")[:chunk_size])
        if not rows:
            return ChainReport(checked=checked, first_broken_id=None)
        for entry in rows:
            if entry.previous_hash != previous:
                return ChainReport(
                    checked, entry.pk, "does not follow the row before it (one was removed?)"
                )
            if compute_hash(entry) != entry.row_hash:
                return ChainReport(checked, entry.pk, "its content does not match its hash")
            previous = entry.row_hash
            checked += 1
            last_pk = entry.pk
