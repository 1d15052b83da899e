"""Every environment variable the settings read is documented in README.md and .env.example."""

import re

from tests.processes import BASE_DIR

ENV_READ = re.compile(r"""env(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]+)["']""")


def _variables_read_by_settings() -> set[str]:
    names = set()
    for path in (BASE_DIR / "config" / "settings").glob("*.py"):
        names |= set(ENV_READ.findall(path.read_text()))
    return names


def test_settings_read_the_expected_variables():
    # Guards the regular expression itself: it must see the variables the issue names.
    assert {
        "SECRET_KEY",
        "DEBUG",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "EMAIL_URL",
        "DEFAULT_FROM_EMAIL",
        "SITE_URL",
        "TIME_ZONE",
    } <= _variables_read_by_settings()


def test_every_variable_is_documented():
    readme = (BASE_DIR / "README.md").read_text()
    example = (BASE_DIR / ".env.example").read_text()
    for name in sorted(_variables_read_by_settings()):
        assert f"`{name}`" in readme, f"{name} missing from README.md"
        assert re.search(rf"^#?\s*{name}=", example, re.M), f"{name} missing from .env.example"
