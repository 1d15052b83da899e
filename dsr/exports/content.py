"""What an access or portability export says, read from the database as plain data.

Everything here is derived from the register and the case's fulfilment tasks, never typed by
hand: the purposes are the processing activities that concern the person, the recipients are
named from the processors register, the retention periods are the rules' own words, and the
data is what each system's connector exported (dsr.services.fulfilment.result_file_read).

Which activities concern the person: those processing their category of data subject (when the
request is matched to a subject), and, for any category of data found about them that those
activities do not explain, every activity processing that category. So every category found
has at least one purpose. Recipients are those named on these activities, those receiving a
category found about the person, those hosting a system where it was found, and the
sub-processors of these receiving a category that concerns the person. Transfers are those of
these activities, or to one of these recipients of a category that concerns the person.

Reading has no side effects. Labels are translated as the content is built: build it in the
language of the documents.
"""

import json
import re
from collections import OrderedDict
from pathlib import PurePosixPath

from django.db.models import Prefetch, Q
from django.utils import formats, timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from core.choices import AccessAction
from core.models import AccessLogEntry
from dsr.choices import Operation, TaskKind, TaskStatus
from dsr.exports.pieces import (
    ACCESS_LOG_FILE,
    APPENDIX_FOLDER,
    PORTABLE_FOLDER,
    SYSTEM_JSON_FILE,
    CategoryData,
    CategoryEntry,
    ExportContent,
    PurposeEntry,
    ReceivedFile,
    RecipientEntry,
    RetentionEntry,
    SystemData,
    Table,
    TransferEntry,
)
from dsr.files import result_file_read
from dsr.models import CaseTask, DsrCase
from dsr.selectors.fulfilment import case_emails
from privacy.choices import (
    ActivityRole,
    LegalBasis,
    RetentionAction,
    SubjectCategory,
    SubjectSource,
)
from privacy.models import ControllerProfile, DataCategory, ProcessingActivity
from processors.choices import Derogation, ProcessorRole, SccModule, TransferMechanism
from processors.models import Processor, Transfer

# --- Building it ----------------------------------------------------------------------------


def export_content(case: DsrCase) -> ExportContent:
    """Read what the export of `case` says. A fixed number of queries plus one file read per
    system task with exported data."""
    case = DsrCase.objects.select_related("submission", "subject").get(pk=case.pk)
    profile = ControllerProfile.objects.first()
    categories = {
        c.name: c for c in DataCategory.objects.select_related("retention_rule").order_by("name")
    }
    systems = _systems(case, categories)
    found = {c.name for s in systems for c in s.categories if c.row_count}
    found_systems = {s.name for s in systems if s.row_count or s.files}

    activities = _concerning_activities(case, found)
    controller_activities = [a for a in activities if a.role == ActivityRole.CONTROLLER]
    concerning = set(found)
    for activity in controller_activities:
        concerning.update(c.name for c in activity.data_categories.all())
    recipients = _recipients(controller_activities, found, found_systems, concerning)
    transfers = _transfers(controller_activities, recipients, concerning)

    subject = case.subject
    person = (subject.name if subject else "") or case.submission.requester_name
    return ExportContent(
        reference=case.reference,
        right=case.right,
        generated_at=timezone.now(),
        person_name=person,
        emails=case_emails(case),
        received_on=formats.date_format(timezone.localtime(case.received_at), "DATE_FORMAT"),
        controller_name=profile.name if profile else "",
        controller_email=profile.email if profile else "",
        controller_address=profile.address if profile else "",
        dpo=", ".join(p for p in (profile.dpo_name, profile.dpo_email) if p) if profile else "",
        authority=profile.supervisory_authority
        if profile
        else "Integritetsskyddsmyndigheten (IMY)",
        authority_url=profile.supervisory_authority_url if profile else "https://www.imy.se",
        subject_source=str(SubjectSource(subject.source).label) if subject else "",
        purposes=[_purpose_entry(a) for a in controller_activities],
        processor_purposes=[
            a.name for a in activities if a.role == ActivityRole.PROCESSOR and a.name
        ],
        categories=_category_entries(concerning, categories, systems),
        recipients=[_recipient_entry(p, concerning) for p in recipients],
        transfers=[_transfer_entry(t) for t in transfers],
        sources=_sources(subject, controller_activities),
        automated_decisions=[
            (a.name, a.automated_decision_making)
            for a in controller_activities
            if a.automated_decision_making.strip()
        ],
        access_log=_access_log(case),
        systems=systems,
    )


def _slug(text: str, fallback: str) -> str:
    return slugify(text)[:60].strip("-") or fallback


def _unique(name: str, taken: set[str]) -> str:
    candidate, number = name, 2
    while candidate in taken:
        candidate = f"{name}-{number}"
        number += 1
    taken.add(candidate)
    return candidate


def _safe_file_name(name: str, taken: set[str]) -> str:
    """A file name a system sent, reduced to one harmless path component."""
    base = PurePosixPath(name.replace("\\", "/")).name
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = _slug(stem, "file")
    suffix = re.sub(r"[^A-Za-z0-9]", "", suffix)[:10].lower()
    return _unique(f"{stem}.{suffix}" if suffix else stem, taken)


def _task_outcome(case: DsrCase, task: CaseTask) -> tuple[str, bool]:
    """What came of searching one system, in words, and whether it is finished: only what the
    task records. A skipped task says why: the reason staff gave (dsr.services.fulfilment
    .task_skip), or, with none, that the request closed before the search was done (the task
    never ran, or was still open when the request closed); the portal has no mark of its own
    for "this system holds nothing about the person", so it never claims that by itself."""
    when = (
        formats.date_format(timezone.localtime(task.completed_at), "DATE_FORMAT")
        if task.completed_at
        else ""
    )
    if task.status == TaskStatus.DONE:
        if task.result_file:
            return _("Searched on %(date)s.") % {"date": when}, True
        return _("Searched on %(date)s; no data was exported from this system.") % {
            "date": when
        }, True
    if task.status == TaskStatus.SKIPPED:
        reason = (task.evidence or "").strip()
        if reason:
            return _("Not searched. The reason we recorded: %(reason)s") % {"reason": reason}, True
        if not case.is_open:
            return _(
                "Not searched: the request was closed before the search in this system was done."
            ), True
        return _("Not searched."), True
    if task.status == TaskStatus.FAILED:
        return _("The search in this system failed and was not completed."), False
    return _("Not finished yet: the search in this system is still under way."), False


def _rows_table(label: str, rows) -> tuple[list[str], list[list]]:
    """Columns (every key, in the order first seen) and rows aligned to them."""
    columns: OrderedDict[str, None] = OrderedDict()
    dict_rows = []
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict):
            row = {label or "value": row}
        dict_rows.append(row)
        for key in row:
            columns.setdefault(str(key), None)
    names = list(columns)
    return names, [[row.get(name) for name in names] for row in dict_rows]


def _parse_result(data: bytes) -> dict | None:
    """The connector's JSON ({category: {label: [rows]}}), or None for any other file."""
    try:
        parsed = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(parsed, dict):
        return None
    if not all(
        isinstance(labelled, dict) and all(isinstance(rows, list) for rows in labelled.values())
        for labelled in parsed.values()
    ):
        return None
    return parsed


def _systems(case: DsrCase, categories: dict[str, DataCategory]) -> list[SystemData]:
    tasks = (
        case.tasks.filter(kind=TaskKind.SYSTEM, operation=Operation.EXPORT)
        .select_related("system")
        .prefetch_related("system__data_categories")
        .order_by("system__name", "pk")
    )
    taken: set[str] = set()
    systems = []
    for task in tasks:
        system = task.system
        outcome, complete = _task_outcome(case, task)
        held = list(system.data_categories.all())
        data = SystemData(
            name=system.name,
            slug=_unique(_slug(system.name, "system"), taken),
            description=system.description,
            location=system.location,
            outcome=outcome,
            complete=complete,
            searched=task.status == TaskStatus.DONE,
            all_categories_provided=bool(held) and all(c.provided_by_subject for c in held),
        )
        if task.status == TaskStatus.DONE and task.result_file:
            _read_task_data(task, data, categories)
        systems.append(data)
    return systems


def _read_task_data(task: CaseTask, system: SystemData, categories) -> None:
    raw = result_file_read(task)
    parsed = _parse_result(raw)
    # The system's folder in the package also holds its JSON file.
    names: set[str] = {SYSTEM_JSON_FILE}
    if parsed is None:
        stored = PurePosixPath(task.result_file.name).name.removesuffix(".enc")
        sent_name = stored.removeprefix(f"{task.public_id}-")
        safe = _safe_file_name(sent_name, names)
        # Which categories such a file holds is unknown: it is portable data only when every
        # category the system holds was provided by the person.
        portable = system.all_categories_provided
        folder = PORTABLE_FOLDER if portable else APPENDIX_FOLDER
        system.files.append(
            ReceivedFile(
                name=safe, data=raw, path=f"{folder}/{system.slug}/{safe}", portable=portable
            )
        )
        return
    del raw
    for category_name, labelled in parsed.items():
        category = categories.get(category_name)
        data = CategoryData(
            name=category_name,
            description=category.description if category else "",
            # A category missing from the register cannot be shown to be provided (Art. 20).
            provided=bool(category and category.provided_by_subject),
        )
        for label, rows in labelled.items():
            columns, aligned = _rows_table(label, rows)
            if not aligned:
                continue
            file_name = _unique(_slug(label, "table"), names)
            folder = PORTABLE_FOLDER if data.provided else APPENDIX_FOLDER
            data.tables.append(
                Table(
                    key=f"{system.slug}/{file_name}",
                    title=label,
                    columns=columns,
                    rows=aligned,
                    system=system.name,
                    category=category_name,
                    label=label,
                    provided=data.provided,
                    path=f"{folder}/{system.slug}/{file_name}.csv",
                )
            )
        system.categories.append(data)


def _concerning_activities(case: DsrCase, found: set[str]) -> list[ProcessingActivity]:
    activities = list(
        ProcessingActivity.objects.filter(is_active=True)
        .select_related("retention_rule")
        .prefetch_related(
            Prefetch(
                "data_categories",
                queryset=DataCategory.objects.select_related("retention_rule").order_by("name"),
            )
        )
        .order_by("name")
    )
    category = case.subject.category if case.subject_id else None
    chosen = {a.pk for a in activities if category and category in a.subject_categories}
    explained = {c.name for a in activities if a.pk in chosen for c in a.data_categories.all()}
    for name in found - explained:
        chosen.update(a.pk for a in activities if name in {c.name for c in a.data_categories.all()})
    return [a for a in activities if a.pk in chosen]


def _ids(queryset):
    return queryset.values("pk")


def _recipients(activities, found, found_systems, concerning) -> list[Processor]:
    # Each condition is its own subquery: OR-ing joins over three many-to-many relations
    # multiplies their rows (a second and more on the demo register).
    activity_ids = [a.pk for a in activities]
    processors = Processor.objects.filter(is_active=True)
    direct = list(
        processors.exclude(role=ProcessorRole.SUB_PROCESSOR)
        .filter(
            Q(pk__in=_ids(processors.filter(processing_activities__in=activity_ids)))
            | Q(pk__in=_ids(processors.filter(data_categories__name__in=sorted(found))))
            | Q(pk__in=_ids(processors.filter(hosted_systems__name__in=sorted(found_systems))))
        )
        .select_related("country", "parent")
        .prefetch_related("data_categories")
    )
    # Sub-processors receive what their processor passes on: those named on these activities
    # or engaged by these recipients, for a category that concerns the person.
    subprocessors = list(
        processors.filter(role=ProcessorRole.SUB_PROCESSOR)
        .filter(
            Q(pk__in=_ids(processors.filter(processing_activities__in=activity_ids)))
            | Q(
                parent__in=[p.pk for p in direct],
                pk__in=_ids(processors.filter(data_categories__name__in=sorted(concerning))),
            )
        )
        .select_related("country", "parent")
        .prefetch_related("data_categories")
    )
    return sorted(direct + subprocessors, key=lambda p: p.name.lower())


def _transfers(activities, recipients, concerning) -> list[Transfer]:
    transfers = Transfer.objects.filter(is_active=True)
    return list(
        transfers.filter(
            Q(pk__in=_ids(transfers.filter(processing_activities__in=[a.pk for a in activities])))
            | Q(
                importer__in=[p.pk for p in recipients],
                pk__in=_ids(transfers.filter(data_categories__name__in=sorted(concerning))),
            )
        )
        .select_related("importer", "exporter", "destination")
        .prefetch_related(Prefetch("data_categories", DataCategory.objects.order_by("name")))
        .order_by("destination__name", "importer__name", "pk")
    )


# --- Entries --------------------------------------------------------------------------------


def _basis_in_words(activity: ProcessingActivity) -> tuple[str, ...]:
    words = {
        LegalBasis.CONSENT: _(
            "Your consent (Art. 6(1)(a)). You may withdraw it at any time; that does not "
            "affect what was done before."
        ),
        LegalBasis.CONTRACT: _(
            "It is necessary for a contract with you, or for steps you asked for before one "
            "(Art. 6(1)(b))."
        ),
        LegalBasis.LEGAL_OBLIGATION: _("The law requires it (Art. 6(1)(c))."),
        LegalBasis.VITAL_INTERESTS: _(
            "It is necessary to protect someone's life or health (Art. 6(1)(d))."
        ),
        LegalBasis.PUBLIC_TASK: _(
            "It is necessary for a task in the public interest (Art. 6(1)(e))."
        ),
        LegalBasis.LEGITIMATE_INTERESTS: _(
            "Our legitimate interests, which we have weighed against your interests and rights "
            "(Art. 6(1)(f)). You may object to it."
        ),
    }
    bases = []
    for basis in activity.legal_bases:
        text = str(words[basis])
        if basis == LegalBasis.LEGAL_OBLIGATION and activity.legal_obligation_reference:
            text += " " + _("The law: %(law)s.") % {
                "law": activity.legal_obligation_reference.rstrip(".")
            }
        bases.append(text)
    return tuple(bases)


def _retention_entry(rule) -> RetentionEntry | None:
    if rule is None:
        return None
    return RetentionEntry(
        period=rule.period_text,
        action=str(RetentionAction(rule.action).label),
        legal_reference=rule.legal_reference,
        legal_obligation=rule.legal_obligation,
        description=rule.description,
    )


def _purpose_entry(activity: ProcessingActivity) -> PurposeEntry:
    return PurposeEntry(
        name=activity.name,
        purpose=activity.purpose,
        legal_bases=_basis_in_words(activity),
        categories=tuple(c.name for c in activity.data_categories.all()),
        recipient_categories=activity.recipient_categories,
        retention=_retention_entry(activity.retention_rule),
        retention_notes=activity.retention_notes,
        data_source=activity.data_source,
        automated_decision_making=activity.automated_decision_making,
    )


def _category_entries(concerning, categories, systems) -> list[CategoryEntry]:
    rows: dict[str, int] = {}
    where: dict[str, list[str]] = {}
    for system in systems:
        for data in system.categories:
            if data.row_count:
                rows[data.name] = rows.get(data.name, 0) + data.row_count
                where.setdefault(data.name, []).append(system.name)
    entries = []
    for name in sorted(concerning, key=str.lower):
        category = categories.get(name)
        entries.append(
            CategoryEntry(
                name=name,
                description=category.description if category else "",
                special=bool(category and category.is_special_category),
                provided=bool(category and category.provided_by_subject),
                rows_found=rows.get(name, 0),
                systems=tuple(where.get(name, ())),
                retention=_retention_entry(category.retention_rule) if category else None,
            )
        )
    return entries


def _recipient_entry(processor: Processor, concerning: set[str]) -> RecipientEntry:
    what = processor.public_purpose or processor.services
    if processor.role == ProcessorRole.SUB_PROCESSOR and processor.parent_id:
        what = _("%(what)s (engaged by %(processor)s)") % {
            "what": what,
            "processor": processor.parent.name,
        }
    return RecipientEntry(
        name=processor.name,
        legal_entity=processor.legal_entity,
        role=str(ProcessorRole(processor.role).label),
        country=processor.country.name,
        outside_eea=not processor.country.is_eea,
        what=what,
        categories=tuple(c.name for c in processor.data_categories.all() if c.name in concerning),
    )


def _transfer_entry(transfer: Transfer) -> TransferEntry:
    detail = ""
    if transfer.scc_module:
        detail = str(SccModule(transfer.scc_module).label)
    elif transfer.derogation:
        detail = str(Derogation(transfer.derogation).label)
    return TransferEntry(
        importer=transfer.importer.name,
        importer_entity=transfer.importer.legal_entity,
        exporter=transfer.exporter.name if transfer.exporter_id else "",
        destination=transfer.destination.name,
        mechanism=str(TransferMechanism(transfer.mechanism).label),
        safeguard_detail=detail,
        signed_on=formats.date_format(transfer.signed_on, "DATE_FORMAT")
        if transfer.signed_on
        else "",
        categories=tuple(c.name for c in transfer.data_categories.all()),
    )


def _sources(subject, activities) -> list[tuple[str, str]]:
    """(where from, for what) pairs for Art. 15(1)(g)."""
    sources = []
    if subject is not None and subject.source != SubjectSource.SUBJECT:
        sources.append(
            (
                str(SubjectSource(subject.source).label),
                _("Your details in our register of data subjects (%(category)s).")
                % {"category": SubjectCategory(subject.category).label},
            )
        )
    for activity in activities:
        if activity.data_source.strip():
            sources.append((activity.data_source, activity.name))
    return sources


def _access_log(case: DsrCase) -> Table:
    references = {case.reference}
    condition = Q(case_reference=case.reference)
    if case.subject_id:
        references.update(
            DsrCase.objects.filter(subject_id=case.subject_id).values_list("reference", flat=True)
        )
        condition = Q(subject_id=case.subject_id) | Q(case_reference__in=sorted(references))
    actions = dict(AccessAction.choices)
    by_you, by_staff = _("You"), _("Our staff")
    rows = [
        [
            formats.date_format(timezone.localtime(at), "Y-m-d H:i"),
            f"{actions.get(action, action)}: {object_type}",
            purpose,
            by_staff if actor_id else by_you,
        ]
        for at, action, object_type, purpose, actor_id in AccessLogEntry.objects.filter(condition)
        .order_by("at", "pk")
        .values_list("at", "action", "object_type", "purpose", "actor_id")
        .iterator(chunk_size=2000)
    ]
    return Table(
        key="access-log",
        title=_("Access to your data"),
        columns=[_("When"), _("What"), _("Purpose"), _("By")],
        rows=rows,
        path=ACCESS_LOG_FILE,
    )
