from django.utils.functional import SimpleLazyObject

from privacy.models import ControllerProfile


def controller(request):
    """The company (name, address, contact) for the public pages' header and footer.

    Lazy: pages that never mention it, such as the admin, run no query for it.
    """
    return {"controller": SimpleLazyObject(lambda: ControllerProfile.objects.first())}
