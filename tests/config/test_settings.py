"""Production settings refuse unsafe configuration and pass Django's deploy checks."""

import pytest

from tests.processes import database_url, manage, project_env, python

pytestmark = pytest.mark.slow

GOOD_SECRET = "k3J9-ZqW8vN2xR7tY5uP1oL4mA6sD0fG9hE3cB8nV2qT7wX5yU1iO4pK6jH8gF0d"


def production_env(**overrides: str) -> dict[str, str]:
    values = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": GOOD_SECRET,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "privacy.example.com",
        "SITE_URL": "https://privacy.example.com",
        "DATABASE_URL": "postgres://portal@db.internal:5432/portal",
        "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
        "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.com:587",
        "DEFAULT_FROM_EMAIL": "Privacy team <privacy@example.com>",
        "FIELD_ENCRYPTION_KEYS": "uTqO6bA1d5t7mV0h6f2N5Cq3jvK8wYl2sXbZr4pE9Gc=",
        "IDENTIFIER_HASH_KEY": "8f1c0a7d3e5b9c2f6a4d8e0b1c3f5a7d9e2b4c6f8a0d",
    }
    values.update(overrides)
    env = project_env(**values)
    return env


def boot(env):
    return python("import django; django.setup(); print('booted')", env=env)


def test_production_boots_with_a_real_configuration():
    result = boot(production_env())
    assert result.returncode == 0, result.stderr
    assert "booted" in result.stdout


def test_deploy_check_passes_at_warning_level():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": "django-insecure-" + "x" * 60}, "SECRET_KEY"),
        ({"SECRET_KEY": "short-but-random-Zx81"}, "SECRET_KEY"),
        ({"DEBUG": "true"}, "DEBUG"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS"),
        ({"SITE_URL": "http://privacy.example.com"}, "SITE_URL"),
        ({"FIELD_ENCRYPTION_KEYS": ""}, "FIELD_ENCRYPTION_KEYS"),
        ({"IDENTIFIER_HASH_KEY": "short"}, "IDENTIFIER_HASH_KEY"),
        ({"CELERY_BROKER_URL": ""}, "CELERY_BROKER_URL must name the Redis"),
    ],
)
def test_production_refuses_to_start_when_unsafe(overrides, complaint):
    result = boot(production_env(**overrides))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert complaint in result.stderr


def test_production_refuses_to_start_without_secret_key_variable():
    env = production_env()
    del env["SECRET_KEY"]
    result = boot(env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_requires_a_database_url():
    env = production_env()
    del env["DATABASE_URL"]
    result = boot(env)
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr


def test_production_requires_a_broker_url():
    env = production_env()
    del env["CELERY_BROKER_URL"]
    result = boot(env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "CELERY_BROKER_URL must name the Redis the workers consume." in result.stderr


@pytest.mark.parametrize("command", ["seed_demo", "seed_scale"])
def test_production_does_not_install_the_demo_nor_the_bench(command):
    # demo/ and bench/ are installed by the local and test settings only.
    test_env = project_env(DJANGO_SETTINGS_MODULE="config.settings.test")
    known = manage(command, "--help", env=test_env)
    assert known.returncode == 0, known.stderr
    result = manage(command, "--help", env=production_env())
    assert result.returncode != 0
    assert f"Unknown command: '{command}'" in result.stderr


def test_static_files_collect_for_production(tmp_path):
    env = production_env(STATIC_ROOT=str(tmp_path / "static"))
    result = manage("collectstatic", "--noinput", env=env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "static" / "staticfiles.json").is_file()
    assert list((tmp_path / "static" / "admin" / "css").glob("base.*.css"))


def test_production_responses_carry_the_security_headers():
    code = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz', secure=True, HTTP_HOST='privacy.example.com');"
        "print(json.dumps({k: r.get(k) for k in ('Strict-Transport-Security', "
        "'Content-Security-Policy', 'X-Content-Type-Options', 'Referrer-Policy', "
        "'X-Frame-Options', 'Cross-Origin-Opener-Policy')}))"
    )
    env = production_env(
        DATABASE_URL=database_url("postgres"),
        CELERY_BROKER_URL="redis://127.0.0.1:6379/15",
    )
    result = python(code, env=env)
    assert result.returncode == 0, result.stderr
    import json

    headers = json.loads(result.stdout.strip().splitlines()[-1])
    hsts = headers["Strict-Transport-Security"]
    assert int(hsts.split("max-age=")[1].split(";")[0]) >= 31_536_000
    assert "includeSubDomains" in hsts and "preload" in hsts
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_a_named_bucket_moves_files_to_s3_compatible_storage():
    code = (
        "import django, json; django.setup(); from django.conf import settings;"
        "print(json.dumps(settings.STORAGES['default']))"
    )
    default = json_of(python(code, env=production_env()))
    assert default["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    s3 = json_of(python(code, env=production_env(S3_BUCKET="portal-files", S3_REGION="eu-north-1")))
    assert s3["BACKEND"] == "storages.backends.s3.S3Storage"
    assert s3["OPTIONS"]["bucket_name"] == "portal-files"
    assert s3["OPTIONS"]["default_acl"] == "private"


def json_of(result):
    import json

    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])
