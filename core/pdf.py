"""The one PDF renderer: a Django template in, PDF bytes out (WeasyPrint).

Every document the portal prints (the Art. 30 record, access reports, letters) goes through
render_pdf(), so all of them share the same guarantees:

- Nothing is fetched from the network or the file system except the project's own static files
  (fonts, stylesheets, logos), found through the staticfiles finders. A document built from
  personal data must not be able to make the server request an address (SSRF) or read a local
  file; any other URL raises and stops the rendering.
- Fonts are embedded from core/static/core/fonts (DejaVu Sans), so the output does not
  depend on the fonts installed on the machine.
- The PDF carries its title, author, creator and language, and is tagged for accessibility
  (PDF/UA-1).
"""

import mimetypes
import os
import posixpath
from urllib.parse import unquote, urljoin, urlsplit

import weasyprint
from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import ImproperlyConfigured, SuspiciousFileOperation
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

# PDF/UA-1 makes WeasyPrint tag the structure (headings, tables, lists) and write the XMP
# metadata that screen readers and archiving tools rely on.
PDF_VARIANT = "pdf/ua-1"
# What the generator says in the PDF's Creator field.
PDF_CREATOR = "Privacy operations portal"


class ForbiddenResourceError(ValueError):
    """A document asked for something other than one of the project's static files."""


def default_base_url() -> str:
    """Relative links in documents resolve against the portal's public address."""
    return settings.SITE_URL.rstrip("/") + "/"


class StaticFilesFetcher(URLFetcher):
    """Serves the project's static files to WeasyPrint and refuses every other URL.

    A static URL is `<base_url><STATIC_URL><path>`, exactly what `{% static %}` produces once
    WeasyPrint resolves it against the document's base URL. The path is looked up with the
    staticfiles finders (the apps' static folders and STATICFILES_DIRS), then in STATIC_ROOT.
    Everything else, `data:` URLs included, raises ForbiddenResourceError.
    """

    def __init__(self, base_url: str):
        # Errors are fatal: a refused resource stops the rendering instead of leaving a
        # silently incomplete document.
        super().__init__(fail_on_errors=True)
        self.static_prefix = urljoin(base_url, settings.STATIC_URL)

    def fetch(self, url, headers=None):
        path = self.static_path(url)
        found = finders.find(path) or _collected_file(path)
        if not found:
            raise ForbiddenResourceError(f"Not one of the project's static files: {url}")
        content_type, _ = mimetypes.guess_type(found)
        with open(found, "rb") as file:
            body = file.read()
        return URLFetcherResponse(
            url, body, headers={"Content-Type": content_type or "application/octet-stream"}
        )

    def static_path(self, url: str) -> str:
        """The static file's relative path, or ForbiddenResourceError."""
        if not url.startswith(self.static_prefix):
            raise ForbiddenResourceError(f"Only the project's static files are served: {url}")
        parts = urlsplit(url[len(self.static_prefix) :])
        if parts.scheme or parts.netloc:
            raise ForbiddenResourceError(f"Only the project's static files are served: {url}")
        path = unquote(parts.path)
        normalised = posixpath.normpath(path)
        if (
            not path
            or path.startswith("/")
            or "\\" in path
            or "\x00" in path
            or normalised.startswith("..")
            or normalised != path
        ):
            raise ForbiddenResourceError(f"Not a static file path: {url}")
        return path


def _collected_file(path: str) -> str | None:
    """A file collected into STATIC_ROOT, where a manifest storage keeps the hashed names that
    `{% static %}` produces in production (the finders know only the original names)."""
    if not settings.STATIC_ROOT:
        return None
    try:
        found = staticfiles_storage.path(path)
    except (NotImplementedError, ImproperlyConfigured, SuspiciousFileOperation):
        return None
    return found if os.path.isfile(found) else None


def render_pdf(template_name: str, context: dict, *, base_url: str | None = None) -> bytes:
    """Render `template_name` with `context` to PDF bytes.

    The template extends pdf/base.html (fonts, page layout, metadata); the context may set
    `document_title`, `document_author` and `generated_at`. Rendering has no side effects.
    """
    base_url = base_url or default_base_url()
    generated_at = context.get("generated_at")
    document = {
        "pdf_creator": PDF_CREATOR,
        "pdf_language": translation.get_language() or settings.LANGUAGE_CODE,
        # The PDF's CreationDate, in the W3C form WeasyPrint reads from <meta>.
        "pdf_created": generated_at.replace(microsecond=0).isoformat() if generated_at else "",
    }
    html = render_to_string(template_name, {**document, **context})
    fetcher = StaticFilesFetcher(base_url)
    try:
        parsed = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher)
        return parsed.write_pdf(pdf_variant=PDF_VARIANT)
    except FatalURLFetchingError as error:
        # WeasyPrint wraps what the fetcher raised in a BaseException; hand callers the cause.
        cause = error.__cause__
        if isinstance(cause, ForbiddenResourceError):
            raise cause from None
        raise ForbiddenResourceError(str(cause or error)) from cause
