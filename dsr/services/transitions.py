"""The status machine: identity, pauses, extension, assignment, notes and closing.

Which step a case may take is decided by dsr.rules, which every service here asks before it
writes; every change writes exactly one CaseEvent for the transition (plus events for what it
caused, such as a letter), under the case's row lock, and the dates come from dsr.deadlines.
"""

from collections.abc import Iterable
from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, require
from dsr import deadlines, rules
from dsr.choices import (
    FINAL_STATUSES,
    OPEN_TASK_STATUSES,
    REFUSAL_BASES_NEEDING_JUSTIFICATION,
    CaseStatus,
    EventKind,
    IdentityMethod,
    IdentityStatus,
    LetterKind,
    PauseReason,
    RefusalBasis,
    TaskStatus,
)
from dsr.events import case_lock, event_record
from dsr.models import CaseEvent, CasePause, DsrCase
from dsr.selectors import cases as case_selectors
from dsr.selectors import fulfilment as fulfilment_selectors
from dsr.services import fulfilment
from dsr.services.letters import letter_send

S = CaseStatus


def _lock(case: DsrCase) -> DsrCase:
    return case_lock(case.pk)


# --- Transitions ----------------------------------------------------------------------------


def _transition(case: DsrCase, to: str, *, actor=None, note: str = "", **fields) -> DsrCase:
    """Move `case` (already locked) to `to`, or raise ApplicationError with a clear message."""
    require(rules.transition_blocker(case, to))
    from_status = case.status
    case.status = to
    for name, value in fields.items():
        setattr(case, name, value)
    if to in FINAL_STATUSES:
        case.closed_at = timezone.now()
        _end_pause(case, actor=actor)
        _close_open_tasks(case, actor=actor)
    case.save()
    event_record(
        case=case,
        kind=EventKind.STATUS,
        actor=actor,
        note=note,
        from_status=from_status,
        to_status=to,
    )
    return case


def _close_open_tasks(case: DsrCase, *, actor) -> None:
    """A closed case needs nothing more from its systems: open tasks become "not needed"
    (case_complete has already required a recorded reason for them)."""
    still_open = list(case.tasks.filter(status__in=sorted(OPEN_TASK_STATUSES)))
    if not still_open:
        return
    case.tasks.filter(pk__in=[t.pk for t in still_open]).update(
        status=TaskStatus.SKIPPED, updated_at=timezone.now()
    )
    event_record(
        case=case,
        kind=EventKind.TASK,
        actor=actor,
        note=_("Closed with the case, not needed: %(tasks)s.")
        % {"tasks": ", ".join(str(t.system or t.recipient) for t in still_open)},
    )


# --- Identity -------------------------------------------------------------------------------


def verify(case: DsrCase, *, method: str, evidence: str, actor) -> DsrCase:
    """Identity established for `case` (locked by the caller): in progress, its tasks opened,
    or closed as a duplicate of an earlier open request of the same person."""
    case.identity_status = IdentityStatus.VERIFIED
    case.identity_method = method
    case.identity_verified_at = timezone.now()
    case.identity_evidence = evidence
    _end_pause(case, actor=actor)
    case = _transition(
        case,
        S.IN_PROGRESS,
        actor=actor,
        note=_("Identity verified: %(method)s.") % {"method": IdentityMethod(method).label},
    )
    duplicate_of = case_selectors.case_open_duplicate_of(case)
    if duplicate_of is not None:
        return _close_as_duplicate(case, original=duplicate_of, actor=actor)
    _after_verification(case, actor=actor)
    return case


def _after_verification(case: DsrCase, *, actor) -> None:
    fulfilment.case_plan_tasks(case=case, actor=actor)


@transaction.atomic
def case_verify_identity(
    *, case: DsrCase, method: str, evidence: str, actor, all_linked: bool = True
) -> list[DsrCase]:
    """Staff record how they verified the requester (Art. 12(6)); the linked cases of the same
    submission are verified with it."""
    if method not in IdentityMethod.values or method == IdentityMethod.EMAIL_LINK:
        raise ApplicationError(_("Choose how the identity was verified."))
    if not evidence.strip():
        raise ApplicationError(_("Describe the evidence: what was checked, and how."))
    targets = [case]
    if all_linked:
        targets = list(case.submission.cases.order_by("pk"))
    done = []
    for target in targets:
        target = _lock(target)
        blocker = rules.verify_identity_blocker(target)
        if blocker is not None:
            if target.pk == case.pk:
                raise ApplicationError(blocker)
            continue
        done.append(verify(target, method=method, evidence=evidence.strip(), actor=actor))
    return done


@transaction.atomic
def case_start(*, case: DsrCase, actor, note: str = "") -> DsrCase:
    """Start work on a received case whose requester is already known to be who they say
    (e.g. the request came from the address on the account): identity by known account."""
    case = _lock(case)
    require(rules.start_blocker(case))
    return verify(
        case,
        method=IdentityMethod.KNOWN_ACCOUNT,
        evidence=note or _("Sent from the address we hold."),
        actor=actor,
    )


@transaction.atomic
def case_request_identity(
    *, case: DsrCase, actor, explanation: str, pause_reason: str = ""
) -> DsrCase:
    """Ask the requester for what is needed to confirm identity (only on reasonable doubts,
    Art. 12(6)). The clock stops only if staff give `pause_reason`."""
    if not explanation.strip():
        raise ApplicationError(_("Say what the requester must send, and why it is needed."))
    case = _lock(case)
    case = _transition(case, S.AWAITING_IDENTITY, actor=actor, note=explanation.strip())
    if pause_reason.strip():
        _start_pause(case, reason=PauseReason.IDENTITY, explanation=pause_reason, actor=actor)
    letter_send(
        case=case,
        kind=LetterKind.IDENTITY_REQUEST,
        actor=actor,
        extra={"explanation": explanation.strip()},
    )
    return case


@transaction.atomic
def case_identity_failed(*, case: DsrCase, actor, reasons: str) -> DsrCase:
    """Close a request whose requester could not be identified (Art. 11(2), 12(2)): only one
    waiting for the requester's identity (case_refuse checks)."""
    return case_refuse(
        case=case, actor=actor, basis=RefusalBasis.IDENTITY_NOT_ESTABLISHED, reasons=reasons
    )


# --- Pauses ---------------------------------------------------------------------------------


def _start_pause(case: DsrCase, *, reason: str, explanation: str, actor) -> CasePause:
    if case.pauses.filter(ended_at__isnull=True).exists():
        raise ApplicationError(_("The clock is already paused."))
    pause = CasePause.objects.create(
        case=case, reason=reason, explanation=explanation.strip(), started_at=timezone.now()
    )
    event_record(
        case=case,
        kind=EventKind.PAUSE,
        actor=actor,
        note=f"{PauseReason(reason).label}: {explanation.strip()}",
    )
    return pause


def _end_pause(case: DsrCase, *, actor) -> None:
    """End a running pause: the whole local days it lasted push every date back."""
    pause = case.pauses.filter(ended_at__isnull=True).first()
    if pause is None:
        return
    now = timezone.now()
    days = deadlines.local_received_date(now) - deadlines.local_received_date(pause.started_at)
    pause.ended_at = now
    pause.days = days.days
    pause.save(update_fields=["ended_at", "days"])
    case.paused_days += pause.days
    dates = deadlines.case_dates(
        case.received_at, paused_days=case.paused_days, extended=bool(case.extended_due_date)
    )
    case.target_date, case.due_date = dates.target, dates.due
    case.extended_due_date = dates.extended_due
    case.save()
    event_record(
        case=case,
        kind=EventKind.RESUME,
        actor=actor,
        note=_("Clock resumed after %(days)d day(s); due %(due)s.")
        % {"days": pause.days, "due": case.effective_due_date.isoformat()},
    )


@transaction.atomic
def case_ask_requester(*, case: DsrCase, actor, question: str, pause_reason: str = "") -> DsrCase:
    """Ask the requester to clarify. The clock stops only if staff give `pause_reason`."""
    if not question.strip():
        raise ApplicationError(_("Write the question to the requester."))
    case = _lock(case)
    case = _transition(case, S.AWAITING_REQUESTER, actor=actor, note=question.strip())
    if pause_reason.strip():
        _start_pause(case, reason=PauseReason.CLARIFICATION, explanation=pause_reason, actor=actor)
    letter_send(
        case=case,
        kind=LetterKind.CLARIFICATION_REQUEST,
        actor=actor,
        extra={"explanation": question.strip()},
    )
    return case


@transaction.atomic
def case_resume(*, case: DsrCase, actor, note: str = "") -> DsrCase:
    """The requester answered: back to work, and the clock runs again."""
    case = _lock(case)
    require(rules.resume_blocker(case))
    _end_pause(case, actor=actor)
    return _transition(case, S.IN_PROGRESS, actor=actor, note=note.strip())


# --- Extension, assignment, notes -----------------------------------------------------------


@transaction.atomic
def case_extend(*, case: DsrCase, actor, reason: str) -> DsrCase:
    """Extend by two further months (Art. 12(3)): only with a reason, and only while the
    requester can still be told before the first due date; the notice goes out now."""
    case = _lock(case)
    require(rules.extend_blocker(case, today=deadlines.today()))
    if not reason.strip():
        raise ApplicationError(_("An extension needs its reason; the requester is told it."))
    dates = deadlines.case_dates(case.received_at, paused_days=case.paused_days, extended=True)
    case.target_date, case.extended_due_date = dates.target, dates.extended_due
    case.extension_reason = reason.strip()
    case.extension_notified_at = timezone.now()
    case.save()
    event_record(
        case=case,
        kind=EventKind.EXTENSION,
        actor=actor,
        note=_("Extended to %(date)s: %(reason)s")
        % {"date": case.extended_due_date.isoformat(), "reason": case.extension_reason},
    )
    letter_send(case=case, kind=LetterKind.EXTENSION, actor=actor)
    return case


@transaction.atomic
def cases_assign(*, cases: Iterable[DsrCase], assignee, actor) -> int:
    """Assign open cases to `assignee` (None unassigns); cases the rules keep as they are
    (closed ones) are left alone, and so are those already so assigned. How many changed."""
    changed = 0
    for case in cases:
        case = _lock(case)
        if rules.assign_blocker(case) or case.assignee_id == (assignee.pk if assignee else None):
            continue
        case.assignee = assignee
        case.save(update_fields=["assignee", "updated_at"])
        event_record(
            case=case,
            kind=EventKind.ASSIGNMENT,
            actor=actor,
            note=(_("Assigned to %(name)s.") % {"name": assignee.get_username()})
            if assignee
            else _("Unassigned."),
        )
        changed += 1
    return changed


@transaction.atomic
def case_match_subject(*, case: DsrCase, subject, actor) -> DsrCase:
    """Link the case to the data subject it is about, or unlink it (subject None)."""
    case = _lock(case)
    if case.subject_id == (subject.pk if subject else None):
        return case
    case.subject = subject
    case.save(update_fields=["subject", "updated_at"])
    event_record(
        case=case,
        kind=EventKind.SUBJECT,
        actor=actor,
        note=(_("Matched to data subject #%(pk)s.") % {"pk": subject.pk})
        if subject
        else _("No longer matched to a data subject."),
    )
    return case


@transaction.atomic
def case_update_request(
    *, case: DsrCase, actor, details: str, rectification_content: str, language: str
) -> DsrCase:
    """Staff correct what the requester asked (a misread letter, a call's notes); the timeline
    records that it changed. Closed cases keep what they were answered on."""
    case = _lock(case)
    require(rules.update_request_blocker(case))
    changed = [
        str(label)
        for label, old, new in (
            (_("details"), case.details, details),
            (_("what to correct"), case.rectification_content, rectification_content),
            (_("language"), case.language, language),
        )
        if old != new
    ]
    if not changed:
        return case
    case.details = details
    case.rectification_content = rectification_content
    case.language = language
    case.save(update_fields=["details", "rectification_content", "language", "updated_at"])
    event_record(
        case=case,
        kind=EventKind.NOTE,
        actor=actor,
        note=_("Request edited: %(fields)s.") % {"fields": ", ".join(changed)},
    )
    return case


@transaction.atomic
def case_add_note(*, case: DsrCase, actor, note: str) -> CaseEvent:
    if not note.strip():
        raise ApplicationError(_("Write the note."))
    return event_record(case=case, kind=EventKind.NOTE, actor=actor, note=note.strip())


@transaction.atomic
def case_record_message(*, case: DsrCase, message: str) -> CaseEvent:
    """The requester adds information (from the status page or a reply)."""
    if not message.strip():
        raise ApplicationError(_("Write your message."))
    require(rules.requester_message_blocker(_lock(case)))
    return event_record(case=case, kind=EventKind.MESSAGE, note=message.strip())


# --- Closing --------------------------------------------------------------------------------


@transaction.atomic
def case_complete(
    *,
    case: DsrCase,
    actor,
    outcome: str,
    partially: bool = False,
    open_tasks_reason: str = "",
) -> DsrCase:
    """Close a case as answered. It becomes partially completed when data was kept under a
    legal hold or staff say so; it cannot close with open tasks unless staff record why.
    The completion letter lists what was kept, why and until when."""
    case = _lock(case)
    require(rules.transition_blocker(case, S.COMPLETED))
    if not outcome.strip():
        raise ApplicationError(_("Describe the outcome; the requester is told it."))
    open_tasks = list(case.tasks.filter(status__in=sorted(OPEN_TASK_STATUSES)))
    if open_tasks and not open_tasks_reason.strip():
        raise ApplicationError(
            _(
                "%(count)d fulfilment task(s) are still open; finish them or record why the "
                "request can be answered without them."
            )
            % {"count": len(open_tasks)}
        )
    retained = fulfilment_selectors.case_retained_summary(case)
    final = S.PARTIALLY_COMPLETED if (partially or retained) else S.COMPLETED
    case = _transition(
        case,
        final,
        actor=actor,
        note=outcome.strip(),
        outcome=outcome.strip(),
        open_tasks_reason=open_tasks_reason.strip(),
    )
    letter_send(
        case=case,
        kind=LetterKind.COMPLETION,
        actor=actor,
        extra={
            "retained": retained,
            "recipients": fulfilment_selectors.case_notified_recipients(case),
            "download_until": _download_until(case),
        },
    )
    return case


def _download_until(case: DsrCase) -> date | None:
    """The last day the requester can download the export that answers `case`, if any (a
    local date; the letter writes it in its language)."""
    job = case_selectors.export_latest_ready(case)
    if job is None or job.expires_at is None:
        return None
    return timezone.localtime(job.expires_at).date()


@transaction.atomic
def case_refuse(
    *, case: DsrCase, actor, basis: str, reasons: str, justification: str = ""
) -> DsrCase:
    """Refuse, stating the reasons, the right to complain to IMY and to a judicial remedy
    (the refusal letter always carries both). An Art. 12(5) refusal needs a written
    justification: the controller bears the burden of proof."""
    if basis not in RefusalBasis.values:
        raise ApplicationError(_("Choose the basis of the refusal."))
    if not reasons.strip():
        raise ApplicationError(_("State the reasons for the refusal; the requester is told them."))
    if basis in REFUSAL_BASES_NEEDING_JUSTIFICATION and not justification.strip():
        raise ApplicationError(
            _(
                "A request refused as manifestly unfounded or excessive needs a written "
                "justification (Art. 12(5))."
            )
        )
    case = _lock(case)
    require(rules.transition_blocker(case, S.REFUSED))
    if basis == RefusalBasis.IDENTITY_NOT_ESTABLISHED:
        require(rules.identity_failed_blocker(case))
    case = _transition(
        case,
        S.REFUSED,
        actor=actor,
        note=reasons.strip(),
        refusal_basis=basis,
        refusal_reasons=reasons.strip(),
        refusal_justification=justification.strip(),
        identity_status=(
            IdentityStatus.FAILED
            if basis == RefusalBasis.IDENTITY_NOT_ESTABLISHED
            else case.identity_status
        ),
    )
    letter_send(case=case, kind=LetterKind.REFUSAL, actor=actor)
    return case


@transaction.atomic
def case_withdraw(*, case: DsrCase, actor=None, note: str = "", notify: bool = True) -> DsrCase:
    """The requester withdrew the request (or staff record that they did)."""
    case = _lock(case)
    case = _transition(
        case, S.WITHDRAWN, actor=actor, note=note.strip() or _("Withdrawn by the requester.")
    )
    if notify:
        letter_send(case=case, kind=LetterKind.WITHDRAWAL, actor=actor)
    return case


# --- Duplicates and unconfirmed requests ----------------------------------------------------


def _close_as_duplicate(case: DsrCase, *, original: DsrCase, actor) -> DsrCase:
    case.duplicate_of = original
    event_record(
        case=case,
        kind=EventKind.DUPLICATE,
        actor=actor,
        note=_("Same request as %(reference)s, which is open; answered there.")
        % {"reference": original.reference},
    )
    event_record(
        case=original,
        kind=EventKind.DUPLICATE,
        actor=actor,
        note=_("The requester sent it again as %(reference)s.") % {"reference": case.reference},
    )
    case = _transition(
        case,
        S.WITHDRAWN,
        actor=actor,
        note=_("Duplicate of %(reference)s.") % {"reference": original.reference},
    )
    letter_send(
        case=case,
        kind=LetterKind.DUPLICATE,
        actor=actor,
        extra={"original_reference": original.reference},
    )
    return case


@transaction.atomic
def case_close_unconfirmed(*, case: DsrCase) -> DsrCase | None:
    """Close one never-confirmed request with a logged reason and a notice. Idempotent: a case
    that was confirmed or closed meanwhile is left alone (returns None)."""
    case = _lock(case)
    if case.status != S.AWAITING_IDENTITY or case.identity_status != IdentityStatus.UNVERIFIED:
        return None
    days = settings.DSR_UNCONFIRMED_CLOSE_AFTER.days
    return case_refuse(
        case=case,
        actor=None,
        basis=RefusalBasis.NOT_CONFIRMED,
        reasons=_(
            "The request was not confirmed with the link we emailed, within %(days)d days. "
            "Without confirmation we cannot be sure the request came from the person whose "
            "data it concerns. You are welcome to make the request again."
        )
        % {"days": days},
    )
