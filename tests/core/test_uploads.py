"""Uploads are checked by size, extension and content."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from core import uploads


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("contract.pdf", b"%PDF-1.7\n..."),
        ("contract.docx", b"PK\x03\x04..."),
        ("note.txt", "Samtal med Åsa kl. 14".encode()),
        ("photo.jpg", b"\xff\xd8\xff\xe0..."),
    ],
)
def test_documents_that_are_what_they_say_are_accepted(name, content):
    uploads.check(SimpleUploadedFile(name, content))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("contract.pdf", b"<html><script>alert(1)</script></html>", "does not match"),
        ("note.txt", b"<html><body>hi</body></html>", "not plain text"),
        ("note.txt", b"\x00\x01\x02binary", "not plain text"),
        ("page.html", b"<html></html>", "not accepted"),
        ("run.exe", b"MZ...", "not accepted"),
        ("noextension", b"%PDF-1.7", "not accepted"),
    ],
)
def test_anything_else_is_refused_with_a_reason(name, content, message):
    with pytest.raises(ValidationError, match=message):
        uploads.check(SimpleUploadedFile(name, content))


def test_size_is_limited(settings):
    settings.UPLOAD_MAX_BYTES = 10
    with pytest.raises(ValidationError, match="the limit is"):
        uploads.check(SimpleUploadedFile("a.pdf", b"%PDF-" + b"x" * 20))


def test_contracts_are_documents_only():
    with pytest.raises(ValidationError, match="not accepted"):
        uploads.document(SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n"))
