"""What every public page's layout shows: the company and the banner of a policy change."""

from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from core import public_cache
from privacy.models import ControllerProfile
from privacy.policy_notices import banner_version

_LAYOUT_ATTR = "_public_layout"


def _build_layout(language: str) -> dict:
    return {"controller": ControllerProfile.objects.first(), "banner": banner_version(language)}


def layout(request: HttpRequest | None = None) -> dict:
    """The controller and the policy banner of the active language, read once per request and
    kept in the public pages' cache (core/public_cache.py)."""
    found = getattr(request, _LAYOUT_ATTR, None) if request is not None else None
    if found is None:
        language = public_cache.language()
        today = timezone.localdate().isoformat()
        found = public_cache.cached(
            f"public:layout:{language}:{today}", lambda: _build_layout(language)
        )
        if request is not None:
            setattr(request, _LAYOUT_ATTR, found)
    return found


def policy_banner(request):
    """The recent material change of the policy, for the public pages' banner. Lazy."""
    return {"policy_banner": SimpleLazyObject(lambda: layout(request)["banner"])}


def controller(request):
    """The company (name, address, contact) for the public pages' header and footer.

    Lazy: pages that never mention it, such as the admin, do not read it.
    """
    return {"controller": SimpleLazyObject(lambda: layout(request)["controller"])}
