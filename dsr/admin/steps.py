"""The steps of a case's page (core.admin_steps): each opens its form, names the rule that says
whether it is possible now (dsr.rules) and calls one service.

- CASE_STEPS: the status machine and the case's own fields (a case is the target).
- TASK_STEPS: one fulfilment task (its case loaded on it).
- EXPORT_STEPS: the Exports panel of an access or portability request (an ExportTarget).
"""

from dataclasses import dataclass

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin_steps import Step
from dsr import deadlines, rules
from dsr import forms as dsr_forms
from dsr.admin.display import task_label
from dsr.choices import LetterKind
from dsr.models import DsrCase, ExportJob
from dsr.selectors import cases as case_selectors
from dsr.services import exports as export_services
from dsr.services import fulfilment, transitions


def _said(template, *, letter: str | None = None):
    """The success message of a case step, about the case as it is after the step, and, for a
    step that writes a `letter` (its kind), how that letter reaches the requester."""

    def message(case: DsrCase) -> str:
        text = template % {
            "reference": case.reference,
            "status": case.get_status_display().lower(),
            "date": case.effective_due_date.isoformat(),
        }
        written = (
            case.letters.filter(kind=letter).select_related("outbox").order_by("-pk").first()
            if letter
            else None
        )
        if written is None:
            return text
        if rules.letter_to_print(written):
            delivery = gettext("There is no email address: print it under Letters and post it.")
        else:
            delivery = gettext("It is emailed to the requester.")
        return f"{text} {delivery}"

    return message


def _rule(name: str):
    """The case step's blocker: dsr.rules.CASE_STEP_RULES, as of today."""
    return lambda case: rules.case_step_blocker(name, case, today=deadlines.today())


CASE_STEPS: tuple[Step, ...] = (
    Step(
        name="start",
        label=_("Start (known requester)"),
        form_class=dsr_forms.StartForm,
        run=lambda case, data, user: transitions.case_start(
            case=case, actor=user, note=data["note"]
        ),
        blocker=_rule("start"),
        success=_said(_("%(reference)s: the requester is known; the request is now %(status)s.")),
        description=_(
            "Use when the request came from the address or account we hold, so no further "
            "proof of identity is needed."
        ),
    ),
    Step(
        name="verify-identity",
        label=_("Verify identity"),
        form_class=dsr_forms.VerifyIdentityForm,
        run=lambda case, data, user: transitions.case_verify_identity(
            case=case,
            method=data["method"],
            evidence=data["evidence"],
            actor=user,
            all_linked=data["all_linked"],
        ),
        blocker=_rule("verify-identity"),
        success=_said(_("%(reference)s: identity verified; the request is now %(status)s.")),
    ),
    Step(
        name="request-identity",
        label=_("Request identity"),
        form_class=dsr_forms.RequestIdentityForm,
        run=lambda case, data, user: transitions.case_request_identity(
            case=case,
            actor=user,
            explanation=data["explanation"],
            pause_reason=data["pause_reason"],
        ),
        blocker=_rule("request-identity"),
        success=_said(
            _("%(reference)s: a letter asks the requester to prove their identity."),
            letter=LetterKind.IDENTITY_REQUEST,
        ),
        description=_(
            "Only when there are reasonable doubts about who made the request (Art. 12(6))."
        ),
    ),
    Step(
        name="identity-failed",
        label=_("Identity not established"),
        form_class=dsr_forms.IdentityFailedForm,
        run=lambda case, data, user: transitions.case_identity_failed(
            case=case, actor=user, reasons=data["reasons"]
        ),
        blocker=_rule("identity-failed"),
        success=_said(
            _("%(reference)s: refused, the requester could not be identified; a letter says why."),
            letter=LetterKind.REFUSAL,
        ),
        description=_(
            "Closes the request: we could not identify the requester with what they sent "
            "(Art. 11(2), 12(2)). They are told why."
        ),
        danger=True,
    ),
    Step(
        name="ask-requester",
        label=_("Ask the requester"),
        form_class=dsr_forms.AskRequesterForm,
        run=lambda case, data, user: transitions.case_ask_requester(
            case=case, actor=user, question=data["question"], pause_reason=data["pause_reason"]
        ),
        blocker=_rule("ask-requester"),
        success=_said(
            _("%(reference)s: a letter asks the requester; the request waits for the answer."),
            letter=LetterKind.CLARIFICATION_REQUEST,
        ),
    ),
    Step(
        name="resume",
        label=_("Requester answered"),
        form_class=dsr_forms.ResumeForm,
        run=lambda case, data, user: transitions.case_resume(
            case=case, actor=user, note=data["note"]
        ),
        blocker=_rule("resume"),
        success=_said(_("%(reference)s: back in progress; legally due %(date)s.")),
    ),
    Step(
        name="extend",
        label=_("Extend"),
        form_class=dsr_forms.ExtendForm,
        run=lambda case, data, user: transitions.case_extend(
            case=case, actor=user, reason=data["reason"]
        ),
        blocker=_rule("extend"),
        success=_said(
            _("%(reference)s: extended to %(date)s; a letter tells the requester why."),
            letter=LetterKind.EXTENSION,
        ),
        description=_(
            "Two further months where necessary, given the complexity and number of requests "
            "(Art. 12(3)). Possible once, and only before the first due date."
        ),
    ),
    Step(
        name="complete",
        label=_("Complete"),
        form_class=dsr_forms.CompleteForm,
        run=lambda case, data, user: transitions.case_complete(
            case=case,
            actor=user,
            outcome=data["outcome"],
            partially=data["partially"],
            open_tasks_reason=data.get("open_tasks_reason", ""),
        ),
        blocker=_rule("complete"),
        success=_said(
            _("%(reference)s: %(status)s; the answer is in a letter to the requester."),
            letter=LetterKind.COMPLETION,
        ),
        form_kwargs=lambda case, request: {"open_tasks": case_selectors.case_open_task_count(case)},
    ),
    Step(
        name="refuse",
        label=_("Refuse"),
        form_class=dsr_forms.RefuseForm,
        run=lambda case, data, user: transitions.case_refuse(
            case=case,
            actor=user,
            basis=data["basis"],
            reasons=data["reasons"],
            justification=data["justification"],
        ),
        blocker=_rule("refuse"),
        success=_said(
            _("%(reference)s: refused; a letter tells the requester why and how to complain."),
            letter=LetterKind.REFUSAL,
        ),
        danger=True,
    ),
    Step(
        name="withdraw",
        label=_("Withdraw"),
        form_class=dsr_forms.WithdrawForm,
        run=lambda case, data, user: transitions.case_withdraw(
            case=case, actor=user, note=data["note"], notify=data["notify"]
        ),
        blocker=_rule("withdraw"),
        success=_said(_("%(reference)s: withdrawn."), letter=LetterKind.WITHDRAWAL),
        description=_("Record that the requester withdrew the request."),
        danger=True,
    ),
    Step(
        name="assign",
        label=_("Assign"),
        form_class=dsr_forms.AssignForm,
        run=lambda case, data, user: transitions.cases_assign(
            cases=[case], assignee=data["assignee"], actor=user
        ),
        blocker=_rule("assign"),
        success=_said(_("%(reference)s: assignment saved.")),
        form_kwargs=lambda case, request: {
            "initial": {"assignee": case.assignee_id or request.user.pk}
        },
    ),
    Step(
        name="add-note",
        label=_("Add note"),
        form_class=dsr_forms.NoteForm,
        run=lambda case, data, user: transitions.case_add_note(
            case=case, actor=user, note=data["note"]
        ),
        blocker=_rule("add-note"),
        success=_said(_("%(reference)s: note added to the timeline.")),
    ),
)


# --- A fulfilment task ------------------------------------------------------------------------


def _task_said(template):
    def message(task) -> str:
        return template % {"reference": task.case.reference, "task": task_label(task)}

    return message


TASK_STEPS: tuple[Step, ...] = (
    Step(
        name="retry",
        label=_("Try again"),
        run=lambda task, data, user: fulfilment.task_retry(task=task, actor=user),
        blocker=lambda task: rules.task_retry_blocker(task.case, task),
        success=_task_said(_("%(reference)s: %(task)s is tried again.")),
        description=_(
            "Runs the system's connector again (or emails the notice, if the recipient now has "
            "an email contact)."
        ),
    ),
    Step(
        name="complete",
        label=_("Done by hand"),
        form_class=dsr_forms.TaskCompleteForm,
        run=lambda task, data, user: fulfilment.task_complete_manual(
            task=task,
            actor=user,
            evidence=data["evidence"],
            done_at=data["done_at"],
            attachment=data["attachment"],
        ),
        blocker=lambda task: rules.task_close_blocker(task.case, task),
        success=_task_said(_("%(reference)s: %(task)s is recorded as done.")),
        description=_("Record that the task was done outside the portal, with the proof."),
    ),
    Step(
        name="skip",
        label=_("Not needed"),
        form_class=dsr_forms.TaskSkipForm,
        run=lambda task, data, user: fulfilment.task_skip(
            task=task, actor=user, reason=data["reason"]
        ),
        blocker=lambda task: rules.task_close_blocker(task.case, task),
        success=_task_said(_("%(reference)s: %(task)s is recorded as not needed.")),
        danger=True,
    ),
)


# --- Exports ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportTarget:
    """The Exports panel's button for `job` (None: the panel's own), among the case's exports
    (`jobs`, newest first): buttons sit on the newest export only, older ones are history."""

    case: DsrCase
    job: ExportJob | None
    jobs: list[ExportJob]


def _export_said(template):
    def message(target: ExportTarget) -> str:
        return template % {"reference": target.case.reference}

    return message


# Steps on one export have `job` set; the panel's own (build) has not.
EXPORT_JOB_STEPS = frozenset({"retry", "regenerate"})
EXPORT_STEPS: tuple[Step, ...] = (
    Step(
        name="build",
        label=_("Build export"),
        run=lambda target, data, user: export_services.export_request(case=target.case, actor=user),
        blocker=lambda target: rules.export_build_blocker(target.case, target.jobs),
        success=_export_said(
            _("%(reference)s: the export is queued; a worker builds it in the background.")
        ),
        description=_(
            "A worker builds the files: for an access request the report (PDF), and for both "
            "access and portability the data package (ZIP and web page). Staff can download "
            "them here once built; the requester can, from the status page, once the request "
            "is completed."
        ),
    ),
    Step(
        name="retry",
        label=_("Retry"),
        run=lambda target, data, user: export_services.export_retry(job=target.job, actor=user),
        blocker=lambda target: rules.export_retry_blocker(target.job, target.jobs),
        success=_export_said(_("%(reference)s: the export is queued again.")),
        description=_("Builds the failed export again, once its cause is fixed."),
    ),
    Step(
        name="regenerate",
        label=_("Regenerate"),
        run=lambda target, data, user: export_services.export_request(case=target.case, actor=user),
        blocker=lambda target: rules.export_regenerate_blocker(target.case, target.jobs),
        success=_export_said(
            _("%(reference)s: a new export is queued; a worker builds it in the background.")
        ),
        description=_(
            "Builds a new export from the data as it is now. An earlier export stays "
            "downloadable until it expires."
        ),
    ),
)
