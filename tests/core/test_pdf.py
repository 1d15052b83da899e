"""The shared PDF renderer's URL fetcher: never the network, only the project's static files."""

import re
import socket

import pytest
from django.core.management import call_command

from core.pdf import ForbiddenResourceError, StaticFilesFetcher, render_pdf
from tests.pdf import pdf_pages

# --- The shared renderer's URL fetcher ------------------------------------------------------


@pytest.fixture
def listener():
    """A local TCP port that records whether anything connected to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.3)
    yield server
    server.close()


def connected(server: socket.socket) -> bool:
    try:
        connection, _address = server.accept()
    except TimeoutError:
        return False
    connection.close()
    return True


@pytest.fixture
def pdf_template(tmp_path, settings):
    """Write a one-off template extending pdf/base.html; returns its name."""
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]

    def write(body: str) -> str:
        (tmp_path / "probe.html").write_text(
            '{% extends "pdf/base.html" %}{% block content %}' + body + "{% endblock %}"
        )
        return "probe.html"

    return write


@pytest.mark.parametrize(
    "reference",
    [
        '<img src="http://127.0.0.1:{port}/logo.png" alt="">',
        '<link rel="stylesheet" href="http://127.0.0.1:{port}/print.css">',
        '<div style="background: url(http://127.0.0.1:{port}/bg.png)">x</div>',
    ],
)
def test_renderer_never_reaches_the_network(pdf_template, listener, reference):
    port = listener.getsockname()[1]
    template = pdf_template("<p>Hello</p>" + reference.format(port=port))

    with pytest.raises(ForbiddenResourceError):
        render_pdf(template, {"document_title": "Probe"})

    assert not connected(listener)


@pytest.mark.parametrize(
    "reference",
    [
        '<img src="file:///etc/passwd" alt="">',
        '<img src="/static/../../../../etc/passwd" alt="">',
        '<img src="/static/privacy/%2e%2e/%2e%2e/%2e%2e/config/settings/base.py" alt="">',
        '<img src="/static/core/fonts/not-there.png" alt="">',
        '<img src="/media/agreements/contract.pdf" alt="">',
        '<img src="data:image/png;base64,iVBORw0KGgo=" alt="">',
    ],
)
def test_renderer_refuses_files_outside_the_static_files(pdf_template, reference):
    template = pdf_template("<p>Hello</p>" + reference)

    with pytest.raises(ForbiddenResourceError):
        render_pdf(template, {"document_title": "Probe"})


def test_renderer_finds_fonts_under_their_hashed_names_in_production(
    pdf_template, tmp_path, settings, monkeypatch
):
    template = pdf_template("<p>Plain, <strong>bold</strong> and <em>slanted</em>.</p>")
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        # Hashed names as in production (whitenoise adds compression, which only costs time).
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", "--ignore", "admin", verbosity=0)
    served = []
    original = StaticFilesFetcher.fetch

    def spy(self, url, headers=None):
        response = original(self, url, headers)
        served.append(url.rsplit("/", 1)[1])
        return response

    monkeypatch.setattr(StaticFilesFetcher, "fetch", spy)

    pages = pdf_pages(render_pdf(template, {"document_title": "Probe"}))

    assert len(served) == 3
    assert all(re.fullmatch(r"DejaVuSans(-Bold|-Oblique)?\.[0-9a-f]{12}\.ttf", n) for n in served)
    assert "Plain, bold and slanted." in " ".join(pages)


def test_renderer_serves_static_files_by_path(settings):
    fetcher = StaticFilesFetcher("https://portal.example/")

    response = fetcher.fetch("https://portal.example/static/core/fonts/DejaVuSans.ttf")

    assert response.read()[:4] == b"\x00\x01\x00\x00"  # a TrueType font
    with pytest.raises(ForbiddenResourceError):
        fetcher.fetch("https://elsewhere.example/static/core/fonts/DejaVuSans.ttf")
