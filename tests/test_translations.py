"""Swedish is complete and its compiled catalogue is the one committed."""

import shutil
import subprocess

import pytest

from tests.processes import BASE_DIR

PO = BASE_DIR / "locale" / "sv" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")

needs_msgfmt = pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext not installed")


@needs_msgfmt
def test_every_swedish_message_is_translated():
    result = subprocess.run(
        ["msgfmt", "--check-format", "--statistics", "-o", "/dev/null", str(PO)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr


@needs_msgfmt
def test_committed_catalogue_is_compiled_from_the_po_file(tmp_path):
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(fresh), str(PO)], check=True)
    assert fresh.read_bytes() == MO.read_bytes(), "run `make messages` and commit locale/"


@pytest.mark.django_db
def test_the_admin_speaks_swedish_to_a_swedish_browser(client):
    response = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="sv-SE,sv;q=0.9,en;q=0.5")
    assert "Portal för dataskyddsarbete" in response.content.decode()
    assert response["Content-Language"] == "sv"
