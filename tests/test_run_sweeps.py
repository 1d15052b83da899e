import pytest
from django.core.management import call_command

from tests.factories import ControllerProfileFactory

pytestmark = pytest.mark.django_db


def test_every_sweeper_runs_once(capsys, settings):
    ControllerProfileFactory()
    call_command("run_sweeps", "--inline")
    out = capsys.readouterr().out
    for name in settings.CELERY_BEAT_SCHEDULE:
        assert f"{name}:" in out
    assert f"{len(settings.CELERY_BEAT_SCHEDULE)} sweeper(s) ran." in out


def test_a_subset_can_be_run(capsys):
    call_command("run_sweeps", "--inline", "--only", "outbox-sweep")
    out = capsys.readouterr().out
    assert "outbox-sweep: 0" in out and "1 sweeper(s) ran." in out
