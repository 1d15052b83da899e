import pytest
from django.core.management import CommandError, call_command

from accounts.models import User


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_prints_the_staff_login(settings, tmp_path, capsys):
    settings.DEBUG = True
    settings.VAR_DIR = tmp_path

    call_command("seed_demo")
    first = capsys.readouterr().out
    call_command("seed_demo")
    second = capsys.readouterr().out

    password = (tmp_path / "demo-staff-password").read_text().strip()
    assert User.objects.filter(username="demo").count() == 1
    demo = User.objects.get(username="demo")
    assert demo.is_staff and demo.check_password(password)
    assert password in first and password in second
    assert "created" in first and "ready" in second


@pytest.mark.django_db
def test_seed_demo_refuses_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("seed_demo")
    assert not User.objects.exists()
