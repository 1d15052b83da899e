import json

import pytest
from celery import current_app

from core.choices import WorkerCheckOrigin
from core.models import WorkerCheck
from tests.processes import database_url, project_env, python

SECRETS = ("redis://", "postgres", "127.0.0.1", "6379", "5432", "password", "Traceback")


def _assert_no_leak(response):
    body = response.content.decode()
    for secret in SECRETS:
        assert secret not in body


@pytest.mark.django_db
def test_healthz_reports_ok_when_database_and_broker_answer(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "ok",
        "worker_last_seen_seconds": None,
    }
    assert "no-cache" in response["Cache-Control"]
    _assert_no_leak(response)


@pytest.mark.django_db
def test_healthz_reports_when_a_worker_was_last_seen(client, time_machine):
    time_machine.move_to("2026-11-29T10:00:00Z", tick=False)
    WorkerCheck.objects.create(origin=WorkerCheckOrigin.BEAT, completed_at="2026-11-29T09:58:00Z")

    assert client.get("/healthz").json()["worker_last_seen_seconds"] == 120


@pytest.mark.django_db
def test_healthz_is_503_when_the_broker_is_down(client, monkeypatch):
    # Nothing listens on port 1: a real refused connection, not a mock. Celery reads the
    # environment variable before its configuration, so that goes too.
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.setitem(current_app.conf, "broker_url", "redis://127.0.0.1:1/0")

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["broker"] == "unavailable"
    assert response.json()["database"] == "ok"
    _assert_no_leak(response)


@pytest.mark.slow
def test_healthz_is_503_when_the_database_is_down():
    # A separate process, because this one's connection is the test database's.
    code = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz');"
        "print(json.dumps({'status': r.status_code, 'body': r.content.decode()}))"
    )
    env = project_env(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL="postgres://postgres:hunter2-password@127.0.0.1:1/portal",
    )
    result = python(code, env=env)

    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["status"] == 503
    body = json.loads(outcome["body"])
    assert body == {"status": "unavailable", "database": "unavailable", "broker": "ok"}
    for secret in SECRETS:
        assert secret not in outcome["body"]


def test_healthz_refuses_writes(client, db):
    assert client.post("/healthz").status_code == 405


@pytest.mark.slow
def test_healthz_is_503_when_the_database_is_not_migrated():
    code = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz');"
        "print(json.dumps({'status': r.status_code, 'body': r.json()}))"
    )
    env = project_env(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=database_url("postgres"),  # reachable, no tables
    )
    result = python(code, env=env)
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome == {
        "status": 503,
        "body": {"status": "unavailable", "database": "unavailable", "broker": "ok"},
    }
