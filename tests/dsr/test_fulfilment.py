"""Fulfilment through the services: tasks per system, runs that claim their work, errors that
stay visible and retryable, webhook callbacks, manual evidence, Art. 19 notices."""

import base64
import io
import json
import time
import zipfile
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.utils import timezone

from core.errors import ApplicationError
from core.models import OutboxEmail
from demo import names
from dsr import files
from dsr.choices import CaseStatus, EventKind, LetterKind, TaskKind, TaskStatus
from dsr.connectors import webhook
from dsr.models import CaseTask, Letter, RetainedData
from dsr.services import fulfilment, intake, transitions
from dsr.services.intake import ReceiptInput, RequestedRight
from dsr.tasks import run_case_task, sweep_pending_case_tasks
from tests.dsr.conftest import ANNA, ANNA_PRIVATE, AWS_CONTACT, platform_count
from tests.dsr.factories import WEBHOOK_SECRET, ManualConnectorFactory, WebhookConnectorFactory
from tests.factories import DsrCaseFactory, SystemFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]


@pytest.fixture(autouse=True)
def _clock(clock_running):
    return clock_running


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run what services defer to after commit (queueing), as a real commit would."""

    def run(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)

    return run


@pytest.fixture
def start(privacy_officer, on_commit):
    """Receive a request from Anna and verify it (the address is the one on her account)."""

    def start(right="erasure", **fields):
        def receive_and_verify():
            submission = intake.submission_receive(
                data=ReceiptInput(
                    channel="email",
                    rights=[RequestedRight(right, **fields)],
                    requester_email=ANNA,
                    requester_name="Anna Berg",
                )
            )
            case = submission.cases.get()
            transitions.case_start(case=case, actor=privacy_officer)
            return case

        return on_commit(receive_and_verify)

    return start


@pytest.fixture
def run_queued(queued, on_commit):
    """Run every queued task as a worker would; returns {system name: outcome}."""

    def run():
        outcomes = {}
        while queued:
            task = CaseTask.objects.select_related("system").get(pk=queued.pop(0))
            try:
                outcomes[task.system.name] = on_commit(fulfilment.task_run, task_id=task.pk)
            except fulfilment.TaskRetryableError:
                outcomes[task.system.name] = "retry"
        return outcomes

    return run


def system_task(case, name) -> CaseTask:
    return case.tasks.get(kind=TaskKind.SYSTEM, system__name=name)


def notices(case) -> dict[str, CaseTask]:
    return {
        t.recipient.name: t
        for t in case.tasks.filter(kind=TaskKind.RECIPIENT_NOTICE).select_related("recipient")
    }


def task_notes(case) -> list[str]:
    return list(case.events.filter(kind=EventKind.TASK).values_list("note", flat=True))


# --- One request through every system -------------------------------------------------------


def test_an_erasure_runs_in_every_system_and_keeps_the_invoices_the_law_requires(
    register, start, run_queued, queued, privacy_officer
):
    case = start("erasure")

    tasks = case.tasks.filter(kind=TaskKind.SYSTEM)
    assert {t.system.name for t in tasks} == {
        names.SYS_DATABASE,
        names.SYS_EVENTS,
        names.SYS_BILLING,
    }
    assert {(t.operation, t.status) for t in tasks} == {("erase", "pending")}
    assert sorted(queued) == sorted(t.pk for t in tasks)

    assert run_queued() == {
        names.SYS_DATABASE: "done",
        names.SYS_EVENTS: "done",
        names.SYS_BILLING: "done",
    }

    url = register.url
    assert platform_count(url, "users", "lower(email) = %(e)s", e=ANNA) == 0
    assert platform_count(url, "events", "lower(user_email) = %(e)s", e=ANNA) == 0
    assert platform_count(url, "invoices", "customer_email = %(e)s AND restricted", e=ANNA) == 12
    [kept] = RetainedData.objects.filter(case=case)
    assert (kept.data_category.name, kept.rows, kept.retained_until) == (
        names.CAT_INVOICES,
        12,
        date(2032, 12, 31),
    )
    assert kept.retention_rule == register.accounting
    billing = system_task(case, names.SYS_BILLING)
    assert billing.result["retained"] == [
        {"category": names.CAT_INVOICES, "rows": 12, "until": "2032-12-31"}
    ]
    assert any(
        note.startswith(f"{names.SYS_BILLING}: done.") and "restricted until 2032-12-31" in note
        for note in task_notes(case)
    )

    # Art. 19: a notice per recipient; emailed where the contact is an address.
    sent = notices(case)
    assert set(sent) == {"Amazon Web Services", "Stripe"}
    aws = sent["Amazon Web Services"]
    assert aws.status == TaskStatus.DONE
    letter = Letter.objects.get(task=aws)
    assert (letter.kind, letter.recipient) == (LetterKind.RECIPIENT_NOTICE, AWS_CONTACT)
    assert ANNA in letter.body and ANNA_PRIVATE in letter.body
    assert OutboxEmail.objects.get(pk=letter.outbox_id).to == AWS_CONTACT
    assert sent["Stripe"].status == TaskStatus.PENDING  # a web form: staff send it

    fulfilment.task_complete_manual(
        task=sent["Stripe"],
        actor=privacy_officer,
        evidence="Sent through Stripe's privacy request form, ticket 4711.",
        done_at=timezone.now(),
    )
    case = transitions.case_complete(
        case=case, actor=privacy_officer, outcome="Your data is erased."
    )

    assert case.status == CaseStatus.PARTIALLY_COMPLETED
    body = Letter.objects.get(case=case, kind=LetterKind.COMPLETION).body
    assert names.CAT_INVOICES in body
    assert "Bokföringslagen" in body and "2032" in body
    assert "Amazon Web Services" in body and "Stripe" in body


def test_running_a_task_twice_does_the_work_once(register, start, queued, on_commit):
    case = start("erasure")
    task = system_task(case, names.SYS_EVENTS)

    assert on_commit(fulfilment.task_run, task_id=task.pk) == "done"
    assert on_commit(fulfilment.task_run, task_id=task.pk) == "not_claimed"
    assert run_case_task(task.pk) == "not_claimed"  # a redelivered message

    task.refresh_from_db()
    assert (task.status, task.attempts) == (TaskStatus.DONE, 1)
    done_notes = [n for n in task_notes(case) if n.startswith(f"{names.SYS_EVENTS}: done")]
    assert len(done_notes) == 1


def test_art_19_notices_are_sent_once_however_often_the_last_task_reports(
    register, start, run_queued, on_commit
):
    case = start("erasure")
    run_queued()
    last = system_task(case, names.SYS_BILLING)
    on_commit(fulfilment.task_run, task_id=last.pk)
    on_commit(fulfilment.after_task_closed, case)

    assert len([e for e in OutboxEmail.objects.all() if e.to == AWS_CONTACT]) == 1
    assert case.tasks.filter(kind=TaskKind.RECIPIENT_NOTICE).count() == 2


def test_an_access_request_exports_rows_to_an_encrypted_file_and_counts_to_the_task(
    register, start, run_queued
):
    case = start("access")
    run_queued()

    task = system_task(case, names.SYS_EVENTS)
    assert task.status == TaskStatus.DONE
    with task.result_file.open("rb") as handle:
        stored = handle.read()
    assert ANNA.encode() not in stored and b"sign_in" not in stored
    exported = json.loads(files.result_file_read(task))
    events = exported[names.CAT_USAGE]["events"]
    assert len(events) == task.result["statements"][0]["rows"] > 0
    assert "@" not in json.dumps(task.result)
    account = json.loads(files.result_file_read(system_task(case, names.SYS_DATABASE)))
    assert [u["email"].lower() for u in account[names.CAT_ACCOUNT]["users"]] == [ANNA]
    assert not case.tasks.filter(kind=TaskKind.RECIPIENT_NOTICE).exists()  # not Art. 19


def test_a_task_of_a_closed_request_is_not_run(register, start, queued, on_commit):
    case = start("erasure")
    transitions.case_withdraw(case=case, note="Changed her mind.")

    # Closing the case closed its tasks; the queued messages find nothing to do.
    assert set(case.tasks.values_list("status", flat=True)) == {TaskStatus.SKIPPED}
    outcomes = [on_commit(fulfilment.task_run, task_id=task_id) for task_id in queued]

    assert outcomes == ["not_claimed"] * 3
    assert platform_count(register.url, "users", "lower(email) = %(e)s", e=ANNA) == 1


# --- A failing system -----------------------------------------------------------------------


@pytest.fixture
def crm(register, webhook_receiver):
    """A fourth system, reached by webhook, holding account data."""
    system = SystemFactory(name="CRM", data_categories=[register.categories[names.CAT_ACCOUNT]])
    WebhookConnectorFactory(system=system, webhook_url=webhook_receiver.url)
    return system


def signed_post(client, task, payload: dict | bytes, *, timestamp=None, secret=WEBHOOK_SECRET):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return client.post(
        f"/dsr/callback/{task.public_id}/",
        data=body,
        content_type="application/json",
        headers={"X-Portal-Signature": webhook.sign(secret, body, timestamp=timestamp)},
    )


def test_a_failing_webhook_keeps_the_case_open_with_a_retryable_error_and_loses_nothing(
    register, crm, webhook_receiver, start, run_queued, queued, on_commit, privacy_officer, client
):
    webhook_receiver.status = 500
    case = start("erasure")

    outcomes = run_queued()

    assert outcomes == {
        names.SYS_DATABASE: "done",
        names.SYS_EVENTS: "done",
        names.SYS_BILLING: "done",
        "CRM": "retry",
    }
    failed = system_task(case, "CRM")
    assert (failed.status, failed.error, failed.attempts) == (
        TaskStatus.FAILED,
        "the system answered HTTP 500",
        1,
    )
    assert any("CRM: attempt 1 failed: the system answered HTTP 500" in n for n in task_notes(case))
    # The others' results are intact.
    for name in (names.SYS_DATABASE, names.SYS_EVENTS, names.SYS_BILLING):
        done = system_task(case, name)
        assert done.status == TaskStatus.DONE and done.result["statements"]
    assert RetainedData.objects.filter(case=case).count() == 1
    # The case stays open and cannot close silently; no notices while a system is unfinished.
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    with pytest.raises(ApplicationError, match="still open"):
        transitions.case_complete(case=case, actor=privacy_officer, outcome="Erased.")
    assert not case.tasks.filter(kind=TaskKind.RECIPIENT_NOTICE).exists()

    # The system is back: staff retry from the admin.
    webhook_receiver.status = 202
    on_commit(fulfilment.task_retry, task=failed, actor=privacy_officer)
    assert queued == [failed.pk]
    assert run_queued() == {"CRM": "waiting"}
    failed.refresh_from_db()
    assert failed.status == TaskStatus.WAITING
    sent = webhook_receiver.json()
    assert sent["task"] == str(failed.public_id) and sent["operation"] == "erase"
    assert sent["callback_url"] == f"http://127.0.0.1:8000/dsr/callback/{failed.public_id}/"

    response = signed_post(client, failed, {"status": "done", "result": {"contacts": 1}})

    assert response.status_code == 200, response.content
    assert response.json() == {"ok": True, "task": str(failed.public_id), "status": "done"}
    failed.refresh_from_db()
    assert failed.status == TaskStatus.DONE
    assert failed.result == {"operation": "erase", "reported": {"contacts": 1}}
    assert set(notices(case)) == {"Amazon Web Services", "Stripe"}


def test_transient_errors_are_retried_by_celery_a_few_times(register, crm, webhook_receiver, start):
    webhook_receiver.status = 503
    case = start("erasure")
    task = system_task(case, "CRM")

    assert run_case_task.acks_late is True
    assert run_case_task.autoretry_for == (fulfilment.TaskRetryableError,)
    assert run_case_task.max_retries == 5
    assert run_case_task.retry_backoff
    # Eager execution retries at once instead of waiting; the attempts are what count.
    run_case_task.apply(args=[task.pk])

    task.refresh_from_db()
    assert (task.status, task.attempts) == (TaskStatus.FAILED, 6)
    assert len(webhook_receiver.requests) == 6
    assert task.error == "the system answered HTTP 503"


def test_a_permanent_error_fails_at_once_and_waits_for_staff(
    register, crm, webhook_receiver, start
):
    webhook_receiver.status = 410
    case = start("erasure")
    task = system_task(case, "CRM")

    assert fulfilment.task_run(task_id=task.pk) == "failed"

    task.refresh_from_db()
    assert (task.status, task.attempts) == (TaskStatus.FAILED, 1)
    assert task.error == "the system refused the request: HTTP 410"
    assert not any("tried again automatically" in n for n in task_notes(case))


# --- Callbacks ------------------------------------------------------------------------------


@pytest.fixture
def waiting_task(crm):
    case = DsrCaseFactory(status=CaseStatus.IN_PROGRESS, right="access")
    return CaseTask.objects.create(
        case=case,
        kind=TaskKind.SYSTEM,
        system=crm,
        operation="export",
        connector_kind="webhook",
        status=TaskStatus.WAITING,
    )


def test_a_callback_may_upload_result_files(client, waiting_task):
    payload = json.dumps({"status": "done", "result": {"contacts": 2}})
    body = encode_multipart(
        BOUNDARY,
        {
            "payload": payload,
            "file": SimpleUploadedFile("contacts.csv", b"email,name\nanna.berg@example.org,Anna\n"),
        },
    )
    # generic(): post() would encode the body again.
    response = client.generic(
        "POST",
        f"/dsr/callback/{waiting_task.public_id}/",
        data=body,
        content_type=MULTIPART_CONTENT,
        headers={"X-Portal-Signature": webhook.sign(WEBHOOK_SECRET, body)},
    )

    assert response.status_code == 200, response.content
    waiting_task.refresh_from_db()
    assert waiting_task.status == TaskStatus.DONE
    assert waiting_task.result_file.name.endswith("contacts.csv.enc")
    assert files.result_file_read(waiting_task).startswith(b"email,name\nanna.berg@")


def test_a_failure_reported_by_callback_is_visible_and_retryable(
    client, waiting_task, privacy_officer, queued, on_commit
):
    response = signed_post(client, waiting_task, {"status": "failed", "error": "CRM is read-only"})

    assert response.status_code == 200
    waiting_task.refresh_from_db()
    assert (waiting_task.status, waiting_task.error) == (TaskStatus.FAILED, "CRM is read-only")
    on_commit(fulfilment.task_retry, task=waiting_task, actor=privacy_officer)
    assert queued == [waiting_task.pk]


def test_a_replayed_callback_is_refused(client, waiting_task):
    body = json.dumps({"status": "done", "result": {}}).encode()
    header = webhook.sign(WEBHOOK_SECRET, body)
    url = f"/dsr/callback/{waiting_task.public_id}/"
    first = client.post(
        url, body, content_type="application/json", headers={"X-Portal-Signature": header}
    )
    replay = client.post(
        url, body, content_type="application/json", headers={"X-Portal-Signature": header}
    )

    assert first.status_code == 200
    assert replay.status_code == 409
    assert replay.json() == {"ok": False, "error": "This task is already done."}


@pytest.mark.parametrize(
    ("case", "status", "message"),
    [
        ("unknown task", 404, "Unknown task."),
        ("no signature", 401, "Invalid signature: missing or malformed signature."),
        ("wrong secret", 401, "Invalid signature: signature does not match."),
        ("stale", 401, "Invalid signature: signature timestamp outside the allowed window."),
        ("not json", 400, "The body is not valid JSON."),
        ("bad status", 400, '"status" must be "done" or "failed".'),
        ("bad result", 400, '"result" must be an object.'),
        ("bad files", 400, '"files" must be a list of {"name", "content" (base64)}.'),
        ("get", 405, None),
    ],
)
def test_bad_callbacks_get_a_clean_4xx(client, waiting_task, case, status, message):
    url = f"/dsr/callback/{waiting_task.public_id}/"
    done = {"status": "done"}
    if case == "unknown task":
        waiting_task.public_id = "00000000-0000-4000-8000-000000000000"
        response = signed_post(client, waiting_task, done)
    elif case == "no signature":
        response = client.post(url, done, content_type="application/json")
    elif case == "wrong secret":
        response = signed_post(client, waiting_task, done, secret="guessed")
    elif case == "stale":
        response = signed_post(client, waiting_task, done, timestamp=int(time.time()) - 301)
    elif case == "not json":
        response = signed_post(client, waiting_task, b"{status: done")
    elif case == "bad status":
        response = signed_post(client, waiting_task, {"status": "finished"})
    elif case == "bad result":
        response = signed_post(client, waiting_task, {"status": "done", "result": [1]})
    elif case == "bad files":
        response = signed_post(client, waiting_task, {"status": "done", "files": ["x"]})
    else:
        response = client.get(url)

    assert response.status_code == status
    if message:
        assert response.json() == {"ok": False, "error": message}
    waiting_task.refresh_from_db()
    assert waiting_task.status == TaskStatus.WAITING


def test_a_callback_file_named_to_leave_its_folder_is_stored_under_a_harmless_name(
    client, waiting_task
):
    content = b"email,name\nanna.berg@example.org,Anna\n"
    response = signed_post(
        client,
        waiting_task,
        {
            "status": "done",
            "files": [{"name": "../x", "content": base64.b64encode(content).decode()}],
        },
    )

    assert response.status_code == 200, response.content
    waiting_task.refresh_from_db()
    assert waiting_task.status == TaskStatus.DONE
    stored = waiting_task.result_file.name
    assert ".." not in stored and stored.startswith("case-results/")
    assert stored.endswith(f"{waiting_task.public_id}-_x.enc")
    assert files.result_file_read(waiting_task) == content


def test_callback_files_in_a_bundle_get_harmless_names_too(client, waiting_task):
    sent = {"../../etc/passwd": b"a", "..\\win.ini": b"b", ".hidden": b"c", "..": b"d"}
    response = signed_post(
        client,
        waiting_task,
        {
            "status": "done",
            "files": [
                {"name": name, "content": base64.b64encode(data).decode()}
                for name, data in sent.items()
            ],
        },
    )

    assert response.status_code == 200, response.content
    waiting_task.refresh_from_db()
    archive = zipfile.ZipFile(io.BytesIO(files.result_file_read(waiting_task)))
    names = archive.namelist()
    assert names == ["_._etc_passwd", "_win.ini", "hidden", "file"]
    assert all(".." not in n and "/" not in n and not n.startswith(".") for n in names)


def test_task_files_that_cannot_be_read_raise_one_application_error(waiting_task):
    files.result_file_store(waiting_task, "contacts.csv", b"email\n")
    files.evidence_file_store(waiting_task, SimpleUploadedFile("proof.png", b"\x89PNG\r\n\x1a\n"))
    waiting_task.save()
    storage = waiting_task.result_file.storage
    storage.delete(waiting_task.result_file.name)  # missing from storage
    with storage.open(waiting_task.evidence_file.name, "wb") as handle:
        handle.write(b"sealed with a key no longer configured")

    with pytest.raises(ApplicationError, match="could not be read"):
        files.result_file_read(waiting_task)
    with pytest.raises(ApplicationError, match="could not be read"):
        files.evidence_file_read(waiting_task)


# --- Manual tasks, skipping and retrying ----------------------------------------------------


@pytest.fixture
def helpdesk(register):
    system = SystemFactory(
        name=names.SYS_HELPDESK, data_categories=[register.categories[names.CAT_ACCOUNT]]
    )
    ManualConnectorFactory(system=system)
    return system


def test_a_manual_task_waits_for_its_owner_and_completes_only_with_evidence(
    helpdesk, start, queued, run_queued, privacy_officer
):
    case = start("erasure")
    task = system_task(case, names.SYS_HELPDESK)
    assert task.pk not in queued and task.status == TaskStatus.PENDING
    run_queued()
    assert fulfilment.task_run(task_id=task.pk) == "not_claimed"
    assert not notices(case)  # the helpdesk is not done yet

    with pytest.raises(ApplicationError, match="evidence"):
        fulfilment.task_complete_manual(
            task=task, actor=privacy_officer, evidence="  ", done_at=timezone.now()
        )
    with pytest.raises(ApplicationError, match="future"):
        fulfilment.task_complete_manual(
            task=task,
            actor=privacy_officer,
            evidence="Deleted.",
            done_at=timezone.now() + timedelta(days=1),
        )
    fulfilment.task_complete_manual(
        task=task,
        actor=privacy_officer,
        evidence="Deleted 3 tickets from the helpdesk; none under an open complaint.",
        done_at=timezone.now() - timedelta(hours=2),
        attachment=SimpleUploadedFile("screenshot.png", b"\x89PNG\r\n\x1a\nimage data"),
    )

    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    assert task.completed_by == privacy_officer
    assert task.completed_at < timezone.now() - timedelta(hours=1)
    assert task.evidence.startswith("Deleted 3 tickets")
    assert task.evidence_file.name.endswith(".png.enc")  # kept encrypted
    data, name, content_type = files.evidence_file_read(task)
    assert data == b"\x89PNG\r\n\x1a\nimage data"
    assert name == f"{case.reference}-evidence.png" and content_type == "image/png"
    assert any("done by hand" in n and "Deleted 3 tickets" in n for n in task_notes(case))
    assert set(notices(case)) == {"Amazon Web Services", "Stripe"}
    with pytest.raises(ApplicationError, match="already done"):
        fulfilment.task_complete_manual(
            task=task, actor=privacy_officer, evidence="Again.", done_at=timezone.now()
        )


def test_a_task_is_skipped_only_with_a_reason(helpdesk, start, run_queued, privacy_officer):
    case = start("erasure")
    run_queued()
    task = system_task(case, names.SYS_HELPDESK)

    with pytest.raises(ApplicationError, match="why"):
        fulfilment.task_skip(task=task, actor=privacy_officer, reason="")
    fulfilment.task_skip(
        task=task,
        actor=privacy_officer,
        reason="She never wrote to support (searched both addresses).",
    )

    task.refresh_from_db()
    assert task.status == TaskStatus.SKIPPED
    assert set(notices(case)) == {"Amazon Web Services", "Stripe"}


def test_retry_is_for_failed_automatic_tasks_and_unsent_notices(
    helpdesk, start, run_queued, privacy_officer, register, on_commit
):
    case = start("erasure")
    run_queued()
    with pytest.raises(ApplicationError, match="manual task"):
        fulfilment.task_retry(task=system_task(case, names.SYS_HELPDESK), actor=privacy_officer)
    with pytest.raises(ApplicationError, match="Only a failed task"):
        fulfilment.task_retry(task=system_task(case, names.SYS_BILLING), actor=privacy_officer)

    fulfilment.task_skip(
        task=system_task(case, names.SYS_HELPDESK), actor=privacy_officer, reason="Nothing there."
    )
    stripe = notices(case)["Stripe"]
    with pytest.raises(ApplicationError, match="no email address"):
        fulfilment.task_retry(task=stripe, actor=privacy_officer)
    register.stripe.privacy_contact = "privacy@stripe.example"
    register.stripe.save()
    on_commit(fulfilment.task_retry, task=stripe, actor=privacy_officer)

    stripe.refresh_from_db()
    assert stripe.status == TaskStatus.DONE
    assert Letter.objects.get(task=stripe).recipient == "privacy@stripe.example"


# --- The sweep ------------------------------------------------------------------------------


def test_the_sweep_queues_automatic_tasks_no_worker_took(
    register, helpdesk, start, queued, clock_running, on_commit
):
    case = start("erasure")
    queued.clear()  # as if the broker had been down at commit
    closed = DsrCaseFactory(status=CaseStatus.WITHDRAWN)
    closed.tasks.create(
        kind=TaskKind.SYSTEM, system=helpdesk, operation="erase", connector_kind="postgresql"
    )

    assert sweep_pending_case_tasks() == 0  # too fresh: a worker may be about to take them
    clock_running.shift(timedelta(minutes=2))
    assert sweep_pending_case_tasks() == 3

    automatic = case.tasks.exclude(connector_kind="manual").values_list("pk", flat=True)
    assert sorted(queued) == sorted(automatic)
    # A worker that died mid-run leaves its task running; after the claim timeout it is taken.
    queued.clear()
    stuck = system_task(case, names.SYS_EVENTS)
    assert on_commit(fulfilment.task_run, task_id=stuck.pk) == "done"
    CaseTask.objects.filter(pk=stuck.pk).update(status=TaskStatus.RUNNING)
    clock_running.shift(timedelta(minutes=11))
    sweep_pending_case_tasks()
    assert stuck.pk in queued
