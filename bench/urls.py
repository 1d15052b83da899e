"""The portal's URLs plus the bench's constant view (bench/settings.py selects this module)."""

from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as portal_urlpatterns

CONSTANT_PATH = "bench/constant/"


def constant(request):
    """The same middleware as every page, and no work of its own: the throughput ceiling."""
    return HttpResponse(b"OK\n", content_type="text/plain; charset=utf-8")


urlpatterns = [path(CONSTANT_PATH, constant, name="bench-constant"), *portal_urlpatterns]
