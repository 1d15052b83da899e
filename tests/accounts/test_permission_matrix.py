"""Who may see or do what: every role against every admin page, action and staff download.

The expectations are written out by hand from the rules of the roles (accounts.roles says
them in code; this table says them again, independently):

- privacy officer: everything, deletes only register rows and settings, never proof;
- support agent: handles requests (registers them, acts on cases, builds exports), reads the
  register, records a consent withdrawal; nothing on staff accounts or the access log;
- manager: reads everything but the access log, sign-in logs and second factors; their own
  digests (the row built here is a colleague's);
- auditor: reads everything, the access log and sign-in logs included;
- staff without a role: the admin's index, and nothing else.

Allowed: the page answers 200 (or the action runs, the row is deleted). Denied: 403, or for
a row outside the user's own (another manager's digest) the admin's "not found".
"""

from datetime import date

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from accounts.roles import Role
from core import crypto
from core.access_log import access_log_record
from core.models import OutboxEmail, SentNotice, WorkerCheck
from dsr.choices import CaseStatus, ExportStatus, LetterKind, TaskKind, TaskStatus
from dsr.models import CaseTask, ExportJob, Letter, LetterTemplate, RetentionRun
from dsr.services import exports as export_services
from dsr.services import transitions
from dsr.services.letters import letter_template_save
from privacy.models import PolicyNotice
from privacy.services import policy_version_publish
from processors.models import SubprocessorChange
from tests.factories import (
    ConsentRecordFactory,
    ControllerProfileFactory,
    DataCategoryFactory,
    DataSubjectFactory,
    DigestSubscriptionFactory,
    DsrCaseFactory,
    OrganisationFactory,
    PolicyVersionFactory,
    ProcessingActivityFactory,
    ProcessorAgreementFactory,
    ProcessorFactory,
    ProcessorWithAgreementFactory,
    RetentionRuleFactory,
    SystemFactory,
    TransferFactory,
    UserFactory,
    country,
)

pytestmark = pytest.mark.django_db

ROLES = ("privacy_officer", "support_agent", "manager", "auditor", "no_role")
OFFICER, AGENT, MANAGER, AUDITOR, NO_ROLE = ROLES
EVERY_ROLE = frozenset(ROLES)
STAFF_ROLES = frozenset({OFFICER, AGENT, MANAGER, AUDITOR})

# --- The expected matrix --------------------------------------------------------------------
# Per registered model, per role (officer, agent, manager, auditor, no role) what is allowed:
#   l  the list opens          v  one row's page opens      a  the add page opens
#   e  the row's page offers Save                           d  the row is deleted (page + POST)

PAGES: dict[str, tuple[str, str, str, str, str]] = {
    # Staff: the privacy officer keeps the accounts; groups are the roles, read-only.
    "accounts.user": ("lvae", "", "lv", "lv", ""),
    "accounts.digestsubscription": ("lvaed", "", "la", "lv", ""),
    "auth.group": ("lv", "", "lv", "lv", ""),
    # Sign-in: a lost phone's device is removed, a lock-out lifted, by the privacy officer.
    "otp_totp.totpdevice": ("lvd", "", "", "", ""),
    "otp_static.staticdevice": ("lvd", "", "", "", ""),
    "django_otp_webauthn.webauthncredential": ("lvd", "", "", "", ""),
    "axes.accessattempt": ("lvd", "", "", "lv", ""),
    "axes.accesslog": ("lv", "", "", "lv", ""),
    "axes.accessfailurelog": ("lv", "", "", "lv", ""),
    # The register. One controller profile exists, so nobody adds a second.
    "privacy.controllerprofile": ("lve", "lv", "lv", "lv", ""),
    "privacy.organisation": ("lvaed", "lv", "lv", "lv", ""),
    "privacy.retentionrule": ("lvaed", "lv", "lv", "lv", ""),
    "privacy.datacategory": ("lvaed", "lv", "lv", "lv", ""),
    "privacy.processingactivity": ("lvaed", "lv", "lv", "lv", ""),
    "privacy.system": ("lvaed", "lv", "lv", "lv", ""),
    "privacy.datasubject": ("lvae", "lv", "lv", "lv", ""),
    # Addresses are edited on their subject's page only.
    "privacy.subjectemail": ("lv", "lv", "lv", "lv", ""),
    "privacy.policyversion": ("lvaed", "lv", "lv", "lv", ""),  # a draft
    "privacy.consentrecord": ("lva", "lva", "lv", "lv", ""),
    # What the portal did: read-only for everyone; the access log not for agents or managers.
    "core.accesslogentry": ("lv", "", "", "lv", ""),
    "privacy.policynotice": ("lv", "", "lv", "lv", ""),
    "core.sentnotice": ("lv", "", "lv", "lv", ""),
    "core.outboxemail": ("lv", "", "lv", "lv", ""),
    "core.workercheck": ("lv", "", "lv", "lv", ""),
    # Recipients and transfers. Countries are never deleted (transfers point at them).
    "processors.country": ("lvae", "lv", "lv", "lv", ""),
    "processors.processor": ("lvaed", "lv", "lv", "lv", ""),
    "processors.processoragreement": ("lvaed", "lv", "lv", "lv", ""),
    "processors.subprocessorchange": ("lvaed", "lv", "lv", "lv", ""),  # pending
    "processors.transfer": ("lvaed", "lv", "lv", "lv", ""),
    # Requests (an unassigned one here): never deleted; submissions, exports and letters are
    # the record of what arrived, what was built and what was said.
    "dsr.dsrcase": ("lvae", "lvae", "lv", "lv", ""),
    "dsr.submission": ("lv", "lv", "lv", "lv", ""),
    "dsr.exportjob": ("lv", "lv", "lv", "lv", ""),
    "dsr.letter": ("lv", "lv", "lv", "lv", ""),
    "dsr.lettertemplate": ("lvaed", "lv", "lv", "lv", ""),
    "dsr.retentionrun": ("lv", "", "lv", "lv", ""),
}

# Every admin action, by the roles that may run it. "delete_selected" follows "d" above,
# except where deleting goes one row at a time through a service.
ACTIONS: dict[tuple[str, str], frozenset[str]] = {
    ("axes.accessattempt", "cleanup_expired_attempts"): frozenset({OFFICER}),
    ("privacy.retentionrule", "dry_run"): frozenset({OFFICER}),
    ("privacy.retentionrule", "run_now"): frozenset({OFFICER}),
    ("privacy.retentionrule", "enable_sweep"): frozenset({OFFICER}),
    ("privacy.retentionrule", "disable_sweep"): frozenset({OFFICER}),
    ("privacy.policyversion", "publish"): frozenset({OFFICER}),
    ("core.outboxemail", "send_again"): frozenset({OFFICER}),
    ("processors.subprocessorchange", "accept"): frozenset({OFFICER}),
    ("processors.subprocessorchange", "object_to"): frozenset({OFFICER}),
    ("dsr.dsrcase", "assign_to_me"): frozenset({OFFICER, AGENT}),
    ("dsr.dsrcase", "assign_to"): frozenset({OFFICER, AGENT}),
}
NO_BULK_DELETE = {"processors.processoragreement"}

# Pages outside the model admins, by the roles that may use them.
OTHER_PAGES: dict[str, frozenset[str]] = {
    "admin index": EVERY_ROLE,
    "app index: accounts": frozenset({OFFICER, MANAGER, AUDITOR}),
    "app index: auth": frozenset({OFFICER, MANAGER, AUDITOR}),
    "app index: axes": frozenset({OFFICER, AUDITOR}),
    "app index: otp_totp": frozenset({OFFICER}),
    "app index: privacy": STAFF_ROLES,
    "app index: processors": STAFF_ROLES,
    "app index: dsr": STAFF_ROLES,
    "request: add a note": frozenset({OFFICER, AGENT}),
    "request: build the export": frozenset({OFFICER, AGENT}),
    "letter template: reset to default": frozenset({OFFICER}),
    "system status: send a test task": frozenset({OFFICER}),
    "download: record of processing (PDF)": STAFF_ROLES,
    "download: record of processing (CSV)": STAFF_ROLES,
    "download: letter (PDF)": STAFF_ROLES,
    "download: export file": STAFF_ROLES,
    "download: task evidence": STAFF_ROLES,
    "download: agreement document": STAFF_ROLES,
    "two-factor: new backup codes": EVERY_ROLE,
    "two-factor: set-up page (already enrolled)": EVERY_ROLE,
}


# --- Users and rows -------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _setup(time_machine, settings, tmp_path):
    time_machine.move_to("2026-03-05T10:00:00+01:00", tick=False)
    settings.MEDIA_ROOT = tmp_path / "media"
    ControllerProfileFactory()


@pytest.fixture
def no_role(db):
    return UserFactory(username="norole")


@pytest.fixture
def user(request):
    return request.getfixturevalue(request.param)


def colleague():
    return UserFactory(username="colleague")


def _letter():
    actor = colleague()
    case = DsrCaseFactory(status=CaseStatus.IN_PROGRESS, right="erasure")
    transitions.case_refuse(case=case, actor=actor, basis="erasure_exception", reasons="Kept.")
    return Letter.objects.get(case=case, kind=LetterKind.REFUSAL)


def _published_notice():
    version = policy_version_publish(version=PolicyVersionFactory(), published_by=colleague())
    return PolicyNotice.objects.create(policy_version=version)


def _login_row(model, **fields):
    return model.objects.create(
        username="colleague",
        ip_address="192.0.2.10",
        user_agent="Firefox",
        http_accept="*/*",
        path_info="/admin/login/",
        **fields,
    )


ROWS = {
    "accounts.user": colleague,
    "accounts.digestsubscription": lambda: DigestSubscriptionFactory(
        user=UserFactory(username="other-manager", roles=[Role.MANAGER])
    ),
    "auth.group": lambda: Group.objects.create(name="Matrix"),
    "otp_totp.totpdevice": lambda: TOTPDevice.objects.create(user=colleague(), name="Phone"),
    "otp_static.staticdevice": lambda: StaticDevice.objects.create(user=colleague(), name="Codes"),
    "django_otp_webauthn.webauthncredential": lambda: WebAuthnCredential.objects.create(
        user=colleague(),
        name="Laptop",
        credential_id=b"matrix-credential",
        public_key=b"key",
        sign_count=0,
    ),
    "axes.accessattempt": lambda: _login_row(
        AccessAttempt, get_data="", post_data="", failures_since_start=3
    ),
    "axes.accesslog": lambda: _login_row(AccessLog),
    "axes.accessfailurelog": lambda: _login_row(AccessFailureLog),
    "privacy.controllerprofile": ControllerProfileFactory,
    "privacy.organisation": OrganisationFactory,
    "privacy.retentionrule": RetentionRuleFactory,
    "privacy.datacategory": DataCategoryFactory,
    "privacy.processingactivity": ProcessingActivityFactory,
    "privacy.system": SystemFactory,
    "privacy.datasubject": DataSubjectFactory,
    "privacy.subjectemail": lambda: DataSubjectFactory().emails.get(),
    "privacy.policyversion": PolicyVersionFactory,
    "privacy.consentrecord": ConsentRecordFactory,
    "core.accesslogentry": lambda: access_log_record(
        actor=colleague(), action="view", object_type="data subject", object_id="1"
    ),
    "privacy.policynotice": _published_notice,
    "core.sentnotice": lambda: SentNotice.objects.create(key="matrix:1", category="reminder"),
    "core.outboxemail": lambda: OutboxEmail.objects.create(
        to="anna@example.org", subject="Hello", body_text="Hello.", status="failed"
    ),
    "core.workercheck": lambda: WorkerCheck.objects.create(origin="web"),
    "processors.country": lambda: country("JP"),
    "processors.processor": ProcessorFactory,
    "processors.processoragreement": ProcessorAgreementFactory,
    "processors.subprocessorchange": lambda: SubprocessorChange.objects.create(
        processor=ProcessorWithAgreementFactory(),
        subprocessor_name="Sub Ltd",
        change_type="addition",
        announced_on=date(2026, 3, 1),
        objection_deadline=date(2026, 3, 31),
    ),
    "processors.transfer": TransferFactory,
    "dsr.dsrcase": lambda: DsrCaseFactory(status=CaseStatus.IN_PROGRESS, right="access"),
    "dsr.submission": lambda: DsrCaseFactory().submission,
    "dsr.exportjob": lambda: ExportJob.objects.create(
        case=DsrCaseFactory(status=CaseStatus.IN_PROGRESS, right="access"),
        status=ExportStatus.FAILED,
    ),
    "dsr.letter": _letter,
    "dsr.lettertemplate": lambda: letter_template_save(
        kind="withdrawal", language="sv", subject="Återkallad", body="Ett.\n", actor=colleague()
    ),
    "dsr.retentionrun": lambda: RetentionRun.objects.create(
        rule=RetentionRuleFactory(), dry_run=True, cutoff=date(2026, 1, 1)
    ),
}


def registered() -> dict[str, type]:
    return {model._meta.label_lower: model for model in admin.site._registry}


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


# --- Observing what a user may do -----------------------------------------------------------


class Observed:
    def __init__(self):
        self.allowed: set[str] = set()
        self.problems: list[str] = []

    def record(self, op: str, response, *, allow=(200,), deny=(403,)) -> bool | None:
        status = response.status_code
        if status in allow:
            self.allowed.add(op)
            return True
        if status in deny:
            return False
        self.problems.append(f"{op}: unexpected {status} {response.get('Location', '')}")
        return None


def _not_found_redirect(response) -> bool:
    """The admin's answer for a row outside the user's own: back to the index with a
    "doesn't exist" message."""
    return response.status_code == 302 and response["Location"] == reverse("admin:index")


def observe_pages(client, model, row) -> Observed:
    seen = Observed()
    seen.record("l", client.get(url(model, "changelist")))
    seen.record("a", client.get(url(model, "add")))
    page = client.get(url(model, "change", row.pk))
    if _not_found_redirect(page):
        page.status_code = 404  # the same denial as a 404, for this table
    if seen.record("v", page, deny=(403, 404)) and 'name="_save"' in page.content.decode():
        seen.allowed.add("e")
    delete_page = seen.record("d", client.get(url(model, "delete", row.pk)))
    deleted = client.post(url(model, "delete", row.pk), {"post": "yes"})
    gone = not type(row).objects.filter(pk=row.pk).exists()
    if delete_page and not (deleted.status_code == 302 and gone):
        seen.problems.append(f"d: the page opened but POST gave {deleted.status_code}")
    if delete_page is False and (deleted.status_code != 403 or gone):
        seen.problems.append(f"d: refused, yet POST gave {deleted.status_code}, deleted={gone}")
    return seen


def action_ran(client, model, row, action: str) -> bool:
    response = client.post(
        url(model, "changelist"), {"action": action, "_selected_action": [row.pk], "index": "0"}
    )
    if response.status_code == 403:
        return False
    if any(str(m) == "No action selected." for m in get_messages(response.wsgi_request)):
        return False  # not among this user's actions
    templates = [t.name for t in getattr(response, "templates", []) if t.name]
    if response.status_code == 200 and any(t.endswith("change_list.html") for t in templates):
        return False  # the user has no actions at all: the list is shown again
    assert response.status_code in (200, 302), (action, response.status_code)
    return True


# --- The matrix -----------------------------------------------------------------------------


def test_the_table_covers_every_registered_admin():
    assert sorted(registered()) == sorted(PAGES)
    assert sorted(ROWS) == sorted(PAGES)


def test_the_table_names_every_action():
    defined = {
        # Every action the admin offers, those another app adds (ExtensibleAdmin) included,
        # but Django's bulk delete, which the table covers as a permission of its own.
        (label, name)
        for label, model in registered().items()
        for _func, name, _description in admin.site.get_model_admin(model)._get_base_actions()
        if name != "delete_selected"
    }
    assert defined == set(ACTIONS)


@pytest.mark.parametrize("user", ROLES, indirect=True)
@pytest.mark.parametrize("label", sorted(PAGES))
def test_pages(client, user, label, request):
    role = request.node.callspec.params["user"]
    model = registered()[label]
    row = ROWS[label]()
    client.force_login(user)

    seen = observe_pages(client, model, row)

    expected = set(PAGES[label][ROLES.index(role)])
    assert (sorted(seen.allowed), seen.problems) == (sorted(expected), []), (role, label)


def _action_cells():
    cells = dict(ACTIONS)
    for label, row in PAGES.items():
        if label not in NO_BULK_DELETE:
            roles = {role for role, ops in zip(ROLES, row, strict=True) if "d" in ops}
            cells[label, "delete_selected"] = frozenset(roles)
    return [
        pytest.param(label, action, roles, id=f"{label}-{action}")
        for (label, action), roles in sorted(cells.items())
    ]


@pytest.mark.parametrize("user", ROLES, indirect=True)
@pytest.mark.parametrize(("label", "action", "roles"), _action_cells())
def test_actions(client, user, label, action, roles, request):
    role = request.node.callspec.params["user"]
    model = registered()[label]
    row = ROWS[label]()
    client.force_login(user)

    assert action_ran(client, model, row, action) == (role in roles), (role, label, action)


# --- Pages outside the model admins ---------------------------------------------------------


def _add_note(client):
    case = DsrCaseFactory(status=CaseStatus.IN_PROGRESS)
    form = reverse("admin:dsr_dsrcase_add_note", args=[case.pk])
    shown = client.get(form).status_code
    posted = client.post(form, {"note": "Called the requester."})
    if shown == 200 and posted.status_code == 302:
        return True
    assert (shown, posted.status_code) == (403, 403)
    return False


def _build_export(client):
    case = DsrCaseFactory(status=CaseStatus.IN_PROGRESS, right="access")
    response = client.post(reverse("admin:dsr_dsrcase_export_build", args=[case.pk]))
    built = ExportJob.objects.filter(case=case).exists()
    assert response.status_code in (302, 403) and built == (response.status_code == 302)
    return built


def _reset_template(client):
    template = ROWS["dsr.lettertemplate"]()
    response = client.post(reverse("admin:dsr_lettertemplate_reset", args=[template.pk]))
    reset = not LetterTemplate.objects.filter(pk=template.pk).exists()
    assert response.status_code in (302, 403) and reset == (response.status_code == 302)
    return reset


def _send_check(client):
    response = client.post(reverse("admin:core_workercheck_send"))
    sent = WorkerCheck.objects.exists()
    assert response.status_code in (302, 403) and sent == (response.status_code == 302)
    return sent


def _download(path: str, content_type: str):
    def fetch(client):
        response = client.get(path() if callable(path) else path)
        assert response.status_code in (200, 403), response.status_code
        if response.status_code == 200:
            assert response["Content-Type"].startswith(content_type)
        return response.status_code == 200

    return fetch


def _letter_pdf_url():
    return reverse("dsr_staff:letter_pdf", args=[_letter().pk])


def _export_file_url():
    job = ExportJob.objects.create(
        case=DsrCaseFactory(status=CaseStatus.IN_PROGRESS, right="access"),
        status=ExportStatus.READY,
    )
    file = export_services.export_store_file(
        job=job, kind="report", name="report.pdf", content_type="application/pdf", data=b"%PDF"
    )
    return reverse("dsr_staff:export_file", args=[file.pk])


def _evidence_url():
    task = CaseTask.objects.create(
        case=DsrCaseFactory(status=CaseStatus.IN_PROGRESS),
        kind=TaskKind.SYSTEM,
        system=SystemFactory(),
        status=TaskStatus.DONE,
    )
    task.evidence_file.save(
        f"{task.public_id}-evidence.png.enc", ContentFile(crypto.encrypt_bytes(b"\x89PNG\r\n"))
    )
    return reverse("dsr_staff:task_evidence", args=[task.pk])


def _agreement_url():
    agreement = ProcessorAgreementFactory(
        document=SimpleUploadedFile("dpa.pdf", b"%PDF-1.7\n signed")
    )
    return reverse("register:agreement_document", args=[agreement.pk])


def _status(path: str, method: str = "get", allowed=(200,), denied=(403, 404)):
    def fetch(client):
        response = getattr(client, method)(path)
        assert response.status_code in (*allowed, *denied), (path, response.status_code)
        return response.status_code in allowed

    return fetch


OTHER_CHECKS = {
    "admin index": _status("/admin/"),
    **{
        f"app index: {app}": _status(f"/admin/{app}/")
        for app in ("accounts", "auth", "axes", "otp_totp", "privacy", "processors", "dsr")
    },
    "request: add a note": _add_note,
    "request: build the export": _build_export,
    "letter template: reset to default": _reset_template,
    "system status: send a test task": _send_check,
    "download: record of processing (PDF)": _download(
        "/admin/register/record-of-processing/controller.pdf", "application/pdf"
    ),
    "download: record of processing (CSV)": _download(
        "/admin/register/record-of-processing/controller.csv", "text/csv"
    ),
    "download: letter (PDF)": _download(_letter_pdf_url, "application/pdf"),
    "download: export file": _download(_export_file_url, "application/pdf"),
    "download: task evidence": _download(_evidence_url, "image/png"),
    "download: agreement document": _download(_agreement_url, "application/pdf"),
    "two-factor: new backup codes": _status("/admin/two-factor/backup-codes/", "post"),
    "two-factor: set-up page (already enrolled)": _status(
        "/admin/two-factor/setup/", allowed=(302,)
    ),
}


def test_every_other_page_has_a_check():
    assert sorted(OTHER_CHECKS) == sorted(OTHER_PAGES)


@pytest.mark.parametrize("user", ROLES, indirect=True)
@pytest.mark.parametrize("page", sorted(OTHER_PAGES))
def test_other_pages(client, user, page, request):
    role = request.node.callspec.params["user"]
    ProcessingActivityFactory()  # the record of processing has a row
    client.force_login(user)

    assert OTHER_CHECKS[page](client) == (role in OTHER_PAGES[page]), (role, page)


def test_the_index_tells_staff_without_a_role_they_see_nothing(client, no_role):
    client.force_login(no_role)

    response = client.get("/admin/")

    assert "have permission to view or edit anything" in response.content.decode()


def test_the_admin_pages_open_for_no_one_unverified_or_not_staff(client, privacy_officer):
    from tests.helpers import force_login_without_second_factor

    force_login_without_second_factor(client, privacy_officer)
    assert client.get("/admin/").status_code == 302
    client.force_login(UserFactory(username="subject", is_staff=False))
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
