"""Public pages of the request flow that the emailed links lead to."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from core import public_cache, ratelimit
from core.downloads import attachment_response
from core.errors import ApplicationError
from dsr import files, rules
from dsr.choices import CaseStatus, Channel, ExportFileKind, ExportStatus, Right
from dsr.models import DsrCase, ExportJob
from dsr.public_forms import DownloadCodeForm, MessageForm, RequestForm
from dsr.selectors import cases as case_selectors
from dsr.selectors import status_page
from dsr.services import exports as export_services
from dsr.services import intake, transitions
from dsr.services.intake import ReceiptInput, RequestedRight, VerificationLinkError
from privacy import policy_diff
from privacy import selectors as privacy_selectors
from privacy import services as privacy_services
from privacy.choices import ConsentAction, ConsentMethod
from processors import selectors as processor_selectors


@never_cache
@require_http_methods(["GET", "POST"])
def verify(request, token: str):
    """GET shows a confirm button (link scanners only GET); POST confirms the request."""
    try:
        intake.verification_check(token=token)
    except VerificationLinkError as error:
        if error.reason == "unknown":
            raise Http404 from error
        return render(
            request,
            "dsr/public/verify_problem.html",
            {"reason": error.reason, "token": token},
            status=410,
        )
    if request.method == "GET":
        return render(request, "dsr/public/verify_confirm.html", {"token": token})
    try:
        submission = intake.verification_confirm(token=token)
    except VerificationLinkError as error:  # used or expired between GET and POST
        return render(
            request,
            "dsr/public/verify_problem.html",
            {"reason": error.reason, "token": token},
            status=410,
        )
    cases = list(submission.cases.order_by("pk"))
    return render(request, "dsr/public/verify_done.html", {"cases": cases})


@never_cache
@require_POST
def verify_resend(request, token: str):
    per_ip = ratelimit.Limit("new-link-ip", settings.DSR_REQUEST_LIMIT_PER_IP, 3600)
    per_link = ratelimit.Limit("new-link", settings.DSR_REQUEST_LIMIT_PER_EMAIL, 3600)
    if not ratelimit.hit(per_ip, ratelimit.client_ip(request)) or not ratelimit.hit(
        per_link, token
    ):
        return _too_many(request)
    try:
        sent = intake.verification_resend(token=token)
    except VerificationLinkError as error:
        raise Http404 from error
    return render(request, "dsr/public/verify_resent.html", {"sent": sent})


# --- Making a request -----------------------------------------------------------------------


def _too_many(request):
    return render(request, "dsr/public/try_later.html", status=429)


@never_cache
@require_http_methods(["GET", "POST"])
def request_form(request):
    """The request form. Every submission becomes a case, known address or not, and the answer
    is the same redirect either way: nobody can learn from it who is a customer."""
    if request.method == "GET":
        return public_cache.shared_page(
            request, "dsr/public/request_form.html", lambda: {"form": RequestForm()}
        )
    per_ip = ratelimit.Limit("request-ip", settings.DSR_REQUEST_LIMIT_PER_IP, 3600)
    if not ratelimit.hit(per_ip, ratelimit.client_ip(request)):
        return _too_many(request)
    form = RequestForm(request.POST)
    if form.is_bot:
        return redirect("dsr_public:request_sent")
    if not form.is_valid():
        return render(request, "dsr/public/request_form.html", {"form": form})
    data = form.cleaned_data
    per_email = ratelimit.Limit("request-email", settings.DSR_REQUEST_LIMIT_PER_EMAIL, 3600)
    if not ratelimit.hit(per_email, data["email"]):
        return _too_many(request)
    rights = []
    for right in data["rights"]:
        details = data["details"]
        if right in (Right.OBJECTION, Right.OBJECTION_MARKETING) and data["objection"]:
            details = "\n\n".join(part for part in (data["objection"], details) if part)
        rights.append(
            RequestedRight(
                right=right,
                details=details,
                rectification_content=data["rectification"] if right == Right.RECTIFICATION else "",
            )
        )
    try:
        intake.submission_intake(
            data=ReceiptInput(
                channel=Channel.SELF_SERVICE,
                rights=rights,
                requester_email=data["email"],
                requester_name=data["name"],
                language=public_cache.language(),
            )
        )
    except ApplicationError as error:
        form.add_error(None, error.message)
        return render(request, "dsr/public/request_form.html", {"form": form})
    return redirect("dsr_public:request_sent")


@never_cache
@require_safe
def request_sent(request):
    return public_cache.shared_page(request, "dsr/public/request_sent.html", dict)


# --- What we do, and the policy -------------------------------------------------------------

PLAIN_BASES = {
    "consent": _("your consent"),
    "contract": _("to fulfil a contract with you or your organisation"),
    "legal_obligation": _("because the law requires it"),
    "vital_interests": _("to protect someone's life"),
    "public_task": _("a task in the public interest"),
    "legitimate_interests": _("our legitimate interests, weighed against yours"),
}


@require_safe
@cache_control(private=True, max_age=300)
def home(request):
    """What the company does with personal data, the rights, and how to use them: the same for
    everyone, cached whole (privacy/public_cache.py)."""
    return public_cache.shared_page(request, "dsr/public/home.html", _home_context)


def _home_context() -> dict:
    activities = [
        {
            "name": activity.name,
            "purpose": activity.purpose,
            "bases": [PLAIN_BASES[basis.value] for basis in activity.legal_bases],
            "categories": [c.name for c in activity.data_categories.all()],
            "retention": activity.retention_rule.period_text if activity.retention_rule else "",
        }
        for activity in privacy_selectors.public_processing_summary()
    ]
    transfers = [
        {
            "country": processor_selectors.country_name(t.destination),
            "importer": t.importer.name,
            "mechanism": t.get_mechanism_display(),
        }
        for t in processor_selectors.transfers_public()
    ]
    policy = privacy_selectors.policy_current(
        public_cache.language()
    ) or privacy_selectors.policy_current("en")
    return {"activities": activities, "transfers": transfers, "policy": policy}


def _policy_or_404(version: str | None):
    language = public_cache.language()
    versions = privacy_selectors.policy_versions_published(language)
    fallback = False
    if not versions.exists():
        versions, fallback = privacy_selectors.policy_versions_published("en"), True
    if version is None:
        policy = privacy_selectors.policy_current(versions.first().language) if versions else None
    else:
        policy = versions.filter(version=version).first()
    if policy is None:
        raise Http404
    return policy, list(versions), fallback


@require_safe
@cache_control(private=True, max_age=300)
def policy(request, version: str | None = None):
    """The policy in force (or an earlier version), with the list of versions."""
    current, versions, fallback = _policy_or_404(version)
    return render(
        request,
        "dsr/public/policy.html",
        {
            "policy": current,
            "versions": versions,
            "fallback": fallback,
            "previous": privacy_selectors.policy_version_previous(current),
        },
    )


@require_safe
@cache_control(private=True, max_age=300)
def policy_changes(request, version: str):
    """What changed in `version` against the one it replaced."""
    current, _versions, fallback = _policy_or_404(version)
    previous = privacy_selectors.policy_version_previous(current)
    if previous is None:
        raise Http404
    return render(
        request,
        "dsr/public/policy_changes.html",
        {
            "policy": current,
            "previous": previous,
            "fallback": fallback,
            "paragraphs": policy_diff.compare(previous.body, current.body),
        },
    )


# --- Following a request --------------------------------------------------------------------

PUBLIC_STEPS = {
    CaseStatus.RECEIVED: _("We have received your request."),
    CaseStatus.AWAITING_IDENTITY: _(
        "We are waiting for you to confirm the request or who you are."
    ),
    CaseStatus.IN_PROGRESS: _("We are working on your request."),
    CaseStatus.AWAITING_REQUESTER: _(
        "We have asked you a question. Please answer so that we can continue."
    ),
    CaseStatus.COMPLETED: _("Completed."),
    CaseStatus.PARTIALLY_COMPLETED: _(
        "Completed in part: some data is kept because the law requires it."
    ),
    CaseStatus.REFUSED: _(
        "We could not act on the request. Our letter explains why and what you can do."
    ),
    CaseStatus.WITHDRAWN: _("Withdrawn."),
}


def _submission_or_404(token: str):
    submission = case_selectors.submission_by_status_token(token)
    if submission is None:
        raise Http404
    return submission


def _status_or_404(token: str):
    """The submission and its cases as the page shows them (dsr.selectors)."""
    token_hash = case_selectors.status_token_hash(token)
    cases = status_page.cases_for_status_page(status_token_hash=token_hash) if token_hash else []
    if cases:
        return cases[0].submission, cases
    return _submission_or_404(token), []


@never_cache
@require_http_methods(["GET", "POST"])
def status(request, token: str):
    """Where a request stands, the letters about it, and what the requester can do."""
    submission, cases = _status_or_404(token)
    message_form = MessageForm(request.POST if request.POST.get("action") == "message" else None)
    if request.method == "POST":
        action = request.POST.get("action")
        case = next((c for c in cases if str(c.public_id) == request.POST.get("case")), None)
        if case is None:
            raise Http404
        case = DsrCase.objects.get(pk=case.pk)  # every field, for the services
        try:
            if action == "withdraw":
                transitions.case_withdraw(case=case, note=_("Withdrawn on the status page."))
                messages.success(
                    request,
                    _("Your request %(reference)s is withdrawn.") % {"reference": case.reference},
                )
                return redirect("dsr_public:status", token=token)
            if action == "message" and message_form.is_valid():
                transitions.case_record_message(
                    case=case, message=message_form.cleaned_data["message"]
                )
                messages.success(request, _("Thank you: we have received your message."))
                return redirect("dsr_public:status", token=token)
        except ApplicationError as error:
            if action != "message":
                messages.error(request, error.message)
                return redirect("dsr_public:status", token=token)
            # The request closed after the page was loaded: a redirect would lose what the
            # requester typed, so the page is shown again as it now stands, with the text.
            message_form.add_error("message", error.message)
            submission, cases = _status_or_404(token)
    posted_to = request.POST.get("case") if message_form.is_bound else None
    rows = [
        {
            "case": case,
            "step": PUBLIC_STEPS[case.status],
            "letters": case.public_letters,
            "messages": case.public_messages,
            "export": _status_export(case),
            # The form as sent stays with the request it was sent for, closed or not.
            "message_form": message_form if str(case.public_id) == posted_to else MessageForm(),
        }
        for case in cases
    ]
    return public_cache.page_in_layout(
        request,
        "dsr/public/status.html",
        {"submission": submission, "rows": rows, "message_form": message_form, "token": token},
        content_key=_status_content_key(request, token, cases, rows),
    )


def _status_content_key(request, token: str, cases: list, rows: list[dict]) -> tuple | None:
    """What the status page's content shows, for its cache (privacy/public_cache.py): the
    rows as stored (texts encrypted), the link (in the download addresses) and whether each
    export can still be downloaded (that changes with time alone). None, to render it afresh:
    after a POST (the form may carry errors) and with a notice to show once."""
    if request.method != "GET" or not cases or messages.get_messages(request):
        return None
    exports = [(row["export"]["job"].pk, row["export"]["state"]) for row in rows if row["export"]]
    return (token, [case.stored_row for case in cases], exports)


# --- Marketing preferences ------------------------------------------------------------------


def _marketing_subject_or_404(token: str):
    subject = privacy_services.subject_from_marketing_token(token)
    if subject is None:
        raise Http404
    return subject


@csrf_exempt  # RFC 8058: mail clients POST the one-click unsubscribe without a session.
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """GET asks (a link scanner unsubscribes nobody); POST unsubscribes, one click or form."""
    subject = _marketing_subject_or_404(token)
    if request.method == "GET":
        return render(request, "dsr/public/unsubscribe.html", {"token": token, "done": False})
    one_click = request.POST.get("List-Unsubscribe") == "One-Click"
    privacy_services.marketing_set(
        subject=subject,
        consent=False,
        method=ConsentMethod.UNSUBSCRIBE_LINK,
        evidence=_("One-click unsubscribe from the email client (RFC 8058).")
        if one_click
        else _("Unsubscribe link in a marketing email."),
    )
    return render(request, "dsr/public/unsubscribe.html", {"token": token, "done": True})


@never_cache
@require_http_methods(["GET", "POST"])
def preferences(request, token: str):
    subject = _marketing_subject_or_404(token)
    saved = False
    if request.method == "POST":
        choice = request.POST.get("marketing")
        if choice not in ("yes", "no"):
            messages.error(request, _("Choose yes or no."))
        else:
            privacy_services.marketing_set(
                subject=subject,
                consent=choice == "yes",
                method=ConsentMethod.WEB_FORM,
                evidence=_("Preferences page: answered '%(choice)s' to marketing emails.")
                % {"choice": choice},
            )
            saved = True
    current = privacy_selectors.consent_state(subject)
    return render(
        request,
        "dsr/public/preferences.html",
        {"token": token, "subscribed": current == ConsentAction.GIVEN, "saved": saved},
    )


# --- Downloading an export ------------------------------------------------------------------
# The status link alone is not enough to download: a one-time code emailed to the requester
# proves the person still holds the mailbox (a forwarded or leaked link is not). A right code
# lets this browser's session download that export for DSR_DOWNLOAD_CODE_TTL.


def _status_export(case):
    """What the status page says about a case's data, only what the exports bear out: the
    newest export offered for download; else one that was offered and has since expired;
    else, while the request is open, one staff have built but not yet offered (it is offered
    once the request is answered, dsr.rules.export_offered_to_requester). Otherwise nothing."""
    if case.right not in rules.EXPORTABLE_RIGHTS:
        return None
    states = [(job, _export_state(job)) for job in case.public_exports]  # newest first
    shown = next(((job, state) for job, state in states if state == "ready"), None)
    shown = shown or next(((job, state) for job, state in states if state is not None), None)
    return {"job": shown[0], "state": shown[1]} if shown else None


def _export_state(job: ExportJob) -> str | None:
    return rules.export_state_for_requester(job, now=timezone.now())


def _export_downloadable(job: ExportJob) -> bool:
    return rules.export_offered_to_requester(job, now=timezone.now())


def _export_or_404(token: str, export_id) -> tuple:
    """The submission and its export; any other export, or an unknown one, is a 404."""
    submission = _submission_or_404(token)
    job = (
        ExportJob.objects.select_related("case__submission")
        .filter(public_id=export_id, case__submission=submission)
        .first()
    )
    if job is None:
        raise Http404
    return submission, job


def _grant_key(job: ExportJob) -> str:
    return f"dsr-download:{job.public_id}"


def _download_granted(request, job: ExportJob) -> bool:
    until = request.session.get(_grant_key(job))
    return isinstance(until, int | float) and until > timezone.now().timestamp()


def _export_unavailable(request, token: str, job: ExportJob, *, problem: str = ""):
    """Why the export cannot be downloaded, from what it is: expired (410: the files are
    deleted for good), built but offered only once the request is answered, not built yet;
    `problem`, a file that could not be read (410). One never offered, and never to be, is
    not found."""
    state = _export_state(job)
    if state is None and job.status in (ExportStatus.READY, ExportStatus.EXPIRED):
        raise Http404
    gone = bool(problem) or state == "expired"
    return render(
        request,
        "dsr/public/download_unavailable.html",
        {
            "job": job,
            "case": job.case,
            "token": token,
            "state": state,
            "problem": problem,
            "expired": state == "expired",
        },
        status=410 if gone else 200,
    )


def _code_requests_allowed(request, submission, token: str) -> bool:
    per_ip = ratelimit.Limit("download-code-ip", settings.DSR_REQUEST_LIMIT_PER_IP, 3600)
    per_requester = ratelimit.Limit("download-code", settings.DSR_REQUEST_LIMIT_PER_EMAIL, 3600)
    # Per address where there is one, so that several links of one person share the limit.
    requester = submission.requester_email_hash or token
    return ratelimit.hit(per_ip, ratelimit.client_ip(request)) and ratelimit.hit(
        per_requester, requester
    )


@never_cache
@require_http_methods(["GET", "POST"])
def download(request, token: str, export_id):
    """GET offers to email a code (link scanners only GET); POST `send` emails one, POST
    `code` checks it. Once checked, the page lists the files with their sizes and hashes."""
    submission, job = _export_or_404(token, export_id)
    if not _export_downloadable(job):
        return _export_unavailable(request, token, job)
    code_form = DownloadCodeForm()
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "send":
            if not _code_requests_allowed(request, submission, token):
                return _too_many(request)
            try:
                export_services.download_code_send(job=job)
            except ApplicationError as error:
                messages.error(request, error.message)
            else:
                minutes = int(settings.DSR_DOWNLOAD_CODE_TTL.total_seconds() // 60)
                messages.success(
                    request,
                    _(
                        "We have emailed a code to the address of your request. It works once, "
                        "for %(minutes)d minutes."
                    )
                    % {"minutes": minutes},
                )
            return redirect("dsr_public:download", token=token, export_id=job.public_id)
        if action == "code":
            per_ip = ratelimit.Limit("download-check-ip", settings.DSR_REQUEST_LIMIT_PER_IP, 3600)
            if not ratelimit.hit(per_ip, ratelimit.client_ip(request)):
                return _too_many(request)
            code_form = DownloadCodeForm(request.POST)
            if code_form.is_valid():
                if export_services.download_code_check(
                    job=job, code=code_form.cleaned_data["code"]
                ):
                    # A new session key: nobody who knew the old one shares the permission.
                    request.session.cycle_key()
                    request.session[_grant_key(job)] = (
                        timezone.now() + settings.DSR_DOWNLOAD_CODE_TTL
                    ).timestamp()
                    return redirect("dsr_public:download", token=token, export_id=job.public_id)
                code_form.add_error(
                    "code",
                    _(
                        "This code is not right, or it has expired or already been used. "
                        "Check the email, or ask for a new code."
                    ),
                )
    granted = _download_granted(request, job)
    return render(
        request,
        "dsr/public/download.html",
        {
            "token": token,
            "job": job,
            "case": job.case,
            "granted": granted,
            "files": case_selectors.export_files_in_order(job.files.all()) if granted else [],
            "code_form": code_form,
            "minutes": int(settings.DSR_DOWNLOAD_CODE_TTL.total_seconds() // 60),
        },
    )


@never_cache
@require_GET  # not HEAD: every answer with the file is a download, counted and logged
def download_file(request, token: str, export_id, kind: str):
    """One file of the export, decrypted, as an attachment; counted and logged."""
    _submission, job = _export_or_404(token, export_id)
    if kind not in ExportFileKind.values:
        raise Http404
    if not _export_downloadable(job):
        return _export_unavailable(request, token, job)
    if not _download_granted(request, job):
        return redirect("dsr_public:download", token=token, export_id=job.public_id)
    file = job.files.filter(kind=kind).first()
    if file is None:
        raise Http404
    try:
        data = files.export_file_read(file)
    except ApplicationError as error:
        return _export_unavailable(request, token, job, problem=error.message)
    export_services.export_file_downloaded(
        file=file, ip_address=ratelimit.client_ip(request), by_requester=True
    )
    return attachment_response(data, filename=file.name, content_type=file.content_type)
