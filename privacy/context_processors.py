from django.utils.functional import SimpleLazyObject

from privacy import public_cache


def policy_banner(request):
    """The recent material change of the policy, for the public pages' banner. Lazy, and read
    from the cache (privacy/public_cache.py) with the controller."""
    return {"policy_banner": SimpleLazyObject(lambda: public_cache.layout(request)["banner"])}


def controller(request):
    """The company (name, address, contact) for the public pages' header and footer.

    Lazy: pages that never mention it, such as the admin, do not read it.
    """
    return {"controller": SimpleLazyObject(lambda: public_cache.layout(request)["controller"])}
