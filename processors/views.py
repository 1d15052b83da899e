"""Public pages about recipients: no login and nothing personal, only the register's facts."""

from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from processors import selectors

# Seconds a browser may reuse the list. Private: the page carries the language form's CSRF
# token, which must not be shared between visitors by a proxy.
PUBLIC_LIST_MAX_AGE = 300


@require_safe
@cache_control(private=True, max_age=PUBLIC_LIST_MAX_AGE)
def subprocessor_list(request):
    """The public list of processors and sub-processors, in the visitor's language."""
    rows, last_updated = selectors.public_subprocessor_list(language=get_language() or "en")
    return render(
        request,
        "processors/subprocessors.html",
        {"rows": rows, "last_updated": last_updated},
    )
