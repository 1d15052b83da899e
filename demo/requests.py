"""Demo requests for `seed_demo`: a queue with work in every state, made through the services
so every case has its dates, timeline, letters and tasks. In `make run` the worker then runs
the tasks against the demo platform database (demo/platform.py).

Idempotent: nothing is added once any request exists.
"""

from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from demo.staff import DEMO_USERNAME
from dsr.choices import Channel
from dsr.models import DsrCase
from dsr.services import intake, transitions
from dsr.services.intake import ReceiptInput, RequestedRight
from privacy.models import DataSubject


def _receive(subject, rights, *, days_ago, channel=Channel.EMAIL, hours_ago=0, **fields):
    email = subject.emails.filter(is_primary=True).first().email if subject else ""
    data = ReceiptInput(
        channel=channel,
        rights=[RequestedRight(right, **extra) for right, extra in rights],
        requester_email=fields.pop("email", email),
        requester_name=subject.name if subject else fields.pop("name", ""),
        language=subject.language if subject else "en",
        received_at=timezone.now() - timedelta(days=days_ago, hours=hours_ago),
        **fields,
    )
    return list(intake.submission_receive(data=data).cases.order_by("pk"))


def seed(stdout) -> None:
    if DsrCase.objects.exists():
        stdout.write(f"Requests: {DsrCase.objects.count()} (0 new).")
        return
    officer = User.objects.get(username=DEMO_USERNAME)
    people = list(
        DataSubject.objects.filter(category__in=["platform_user", "organisation_admin"])
        .exclude(emails__isnull=True)
        .order_by("pk")[:12]
    )
    if len(people) < 10:
        stdout.write("Requests: skipped (the demo register has too few platform users).")
        return

    # Waiting for the emailed confirmation, one recent and one about to be closed unconfirmed.
    _receive(people[0], [("access", {})], days_ago=0, hours_ago=2, channel=Channel.SELF_SERVICE)
    _receive(people[1], [("erasure", {})], days_ago=15, channel=Channel.SELF_SERVICE)

    # In progress: tasks are opened in the systems and run by the worker.
    [access] = _receive(people[2], [("access", {})], days_ago=5)
    transitions.case_start(case=access, actor=officer)
    transitions.cases_assign(cases=[access], assignee=officer, actor=officer)

    [erasure] = _receive(
        people[3], [("erasure", {"details": "Please delete my account."})], days_ago=27
    )
    transitions.case_start(case=erasure, actor=officer)

    [overdue] = _receive(people[4], [("portability", {})], days_ago=45)
    transitions.case_start(case=overdue, actor=officer)

    # A posted letter holding two rights, verified by ID and then extended.
    letter_cases = _receive(
        people[5],
        [
            ("access", {}),
            ("rectification", {"rectification_content": '{"name": "Corrected Name"}'}),
        ],
        days_ago=20,
        channel=Channel.POST,
        email="",
        requester_address="Storgatan 1\n111 22 Stockholm",
        message="Scanned letter asking for a copy of all data and to correct the name.",
    )
    for case in letter_cases:  # no email: staff matched the letter to the person by name
        transitions.case_match_subject(case=case, subject=people[5], actor=officer)
    transitions.case_verify_identity(
        case=letter_cases[0],
        method="id_document",
        evidence="Copy of passport enclosed with the letter; name and address match.",
        actor=officer,
    )
    transitions.case_extend(
        case=letter_cases[0],
        actor=officer,
        reason="Your data is held in several systems and the letter covers two requests.",
    )

    # Waiting for the requester, with the clock stopped for a recorded reason.
    [objection] = _receive(
        people[6],
        [("objection", {})],
        days_ago=10,
        channel=Channel.PHONE,
        message="Caller objects to usage analytics.",
    )
    transitions.case_start(case=objection, actor=officer, note="Called from the number on file.")
    transitions.case_ask_requester(
        case=objection,
        actor=officer,
        question="Which use of your data do you object to: usage analytics, or newsletters?",
        pause_reason="The objection cannot be assessed until we know what it concerns.",
    )

    # Closed ones, for the proof they leave.
    [answered] = _receive(people[7], [("access", {})], days_ago=60)
    transitions.case_start(case=answered, actor=officer)
    transitions.case_complete(
        case=answered,
        actor=officer,
        outcome="A copy of your data was sent to you by secure download.",
        open_tasks_reason="Demo data: the export was delivered before the connectors existed.",
    )
    [repeated] = _receive(people[8], [("access", {})], days_ago=35)
    transitions.case_refuse(
        case=repeated,
        actor=officer,
        basis="excessive",
        reasons="This is the fifth identical request this month; the data has not changed "
        "since our answer of last week.",
        justification="Four identical requests answered in the last 30 days (see linked cases).",
    )
    [withdrawn] = _receive(people[9], [("restriction", {})], days_ago=12)
    transitions.case_withdraw(case=withdrawn, note="The requester wrote that the matter is solved.")

    stdout.write(f"Requests: {DsrCase.objects.count()} ({DsrCase.objects.count()} new).")
