"""Public pages of the request flow that the emailed links lead to."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from dsr.services import cases as case_services
from dsr.services.cases import VerificationLinkError


@never_cache
@require_http_methods(["GET", "POST"])
def verify(request, token: str):
    """GET shows a confirm button (link scanners only GET); POST confirms the request."""
    try:
        case_services.verification_check(token=token)
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
        submission = case_services.verification_confirm(token=token)
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
    try:
        sent = case_services.verification_resend(token=token)
    except VerificationLinkError as error:
        raise Http404 from error
    return render(request, "dsr/public/verify_resent.html", {"sent": sent})
