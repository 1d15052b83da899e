"""Retention in the admin: dry run, the switch, and the read-only log."""

import pytest

from dsr.models import RetentionRun
from privacy.models import RetentionRule
from tests.factories import RetentionRuleFactory

pytestmark = pytest.mark.django_db


def action(client, name, rule):
    return client.post(
        "/admin/privacy/retentionrule/",
        {"action": name, "_selected_action": [rule.pk]},
        follow=True,
    )


def test_switching_on_needs_a_dry_run_first(admin_client):
    rule = RetentionRuleFactory()
    page = action(admin_client, "enable_sweep", rule).content.decode()
    assert "Run a dry run" in page
    assert not RetentionRule.objects.get(pk=rule.pk).sweep_enabled

    page = action(admin_client, "dry_run", rule).content.decode()
    assert "would remove 0 row(s)" in page
    assert RetentionRun.objects.filter(rule=rule, dry_run=True).exists()
    page = action(admin_client, "enable_sweep", rule).content.decode()
    assert "No system has a retention statement" in page  # nothing to sweep with, said clearly


def test_the_rule_page_shows_recent_runs_and_the_log_is_read_only(admin_client):
    rule = RetentionRuleFactory()
    action(admin_client, "dry_run", rule)
    page = admin_client.get(f"/admin/privacy/retentionrule/{rule.pk}/change/").content.decode()
    assert "recent runs" in page.lower() and "All runs" in page
    run = RetentionRun.objects.get()
    assert admin_client.get("/admin/dsr/retentionrun/").status_code == 200
    assert admin_client.get(f"/admin/dsr/retentionrun/{run.pk}/change/").status_code == 200
    assert admin_client.post(f"/admin/dsr/retentionrun/{run.pk}/delete/").status_code == 403
