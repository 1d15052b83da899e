from django.utils.functional import SimpleLazyObject

from privacy.models import ControllerProfile


def policy_banner(request):
    """The recent material change of the policy, for the public pages' banner. Lazy."""
    from django.utils.translation import get_language

    from privacy.policy_notices import banner_version

    return {"policy_banner": SimpleLazyObject(lambda: banner_version((get_language() or "en")[:2]))}


def controller(request):
    """The company (name, address, contact) for the public pages' header and footer.

    Lazy: pages that never mention it, such as the admin, run no query for it.
    """
    return {"controller": SimpleLazyObject(lambda: ControllerProfile.objects.first())}
