"""The record of processing activities as files: a PDF for people, a CSV for spreadsheets.

Rendering only: a RopaRecord (processors.ropa) in, bytes out. Build the record and render it in
the same language, since the record's labels are translated when it is built.
"""

import csv
import io
from collections.abc import Callable

from django.utils.translation import gettext as _

from core.pdf import render_pdf
from processors.ropa import ActivityEntry, ControllerEntry, RopaRecord

ROPA_TEMPLATE = "pdf/processors/ropa.html"
# Multiple values in one cell.
CSV_JOIN = "; "
# A cell starting with one of these is read as a formula by Excel and LibreOffice; an
# apostrophe in front makes it text (OWASP, "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Excel truncates longer cells.
EXCEL_CELL_LIMIT = 32_767


def render_ropa_pdf(record: RopaRecord) -> bytes:
    return render_pdf(
        ROPA_TEMPLATE,
        {
            "record": record,
            "document_title": f"{record.title}: {record.controller.name}",
            "document_author": record.controller.name,
            "document_description": record.article,
            "generated_at": record.generated_at,
        },
    )


def render_ropa_csv(record: RopaRecord) -> bytes:
    """One row per activity, one column per Art. 30 item; UTF-8 with a BOM so that Excel
    detects the encoding, CRLF line ends and every field quoted (RFC 4180)."""
    columns = _processor_columns(record) if record.is_processor_view else _controller_columns()
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([_cell(label) for label, _value in columns])
    for activity in record.activities:
        writer.writerow([_cell(value(activity, record)) for _label, value in columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _cell(value) -> str:
    if isinstance(value, list | tuple):
        value = CSV_JOIN.join(str(v) for v in value if v)
    text = "" if value is None else str(value)
    # Line breaks inside a quoted cell are fine; keep them as LF so that only rows end in CRLF.
    text = text.replace("\r\n", "\n")
    if text.startswith(FORMULA_PREFIXES):
        text = "'" + text
    return text


def _date(value) -> str:
    return value.isoformat() if value else ""


def _contact(controller: ControllerEntry) -> str:
    parts = [
        controller.name,
        controller.registration_number,
        controller.address.replace("\r\n", ", ").replace("\n", ", "),
        controller.email,
        controller.phone,
    ]
    return ", ".join(p for p in parts if p)


def _dpo(controller: ControllerEntry) -> str:
    return ", ".join(p for p in (controller.dpo_name, controller.dpo_email) if p)


def _legal_basis(activity: ActivityEntry) -> list[str]:
    values = list(activity.legal_bases)
    if activity.legal_obligation_reference:
        values.append(_("Law: %(reference)s") % {"reference": activity.legal_obligation_reference})
    return values


def _lia(activity: ActivityEntry) -> str:
    if not activity.legitimate_interest_summary:
        return ""
    if activity.legitimate_interest_assessed_on:
        return f"{_date(activity.legitimate_interest_assessed_on)}: " + (
            activity.legitimate_interest_summary
        )
    return activity.legitimate_interest_summary


def _retention(activity: ActivityEntry) -> list[str]:
    values = [str(activity.retention)] if activity.retention else []
    if activity.retention_notes:
        values.append(activity.retention_notes)
    values += [f"{c.name}: {c.retention}" for c in activity.category_retention]
    return values


def _customers(record: RopaRecord) -> str:
    if record.organisation:
        return str(record.organisation)
    listed = CSV_JOIN.join(str(c) for c in record.customers)
    if len(listed) <= EXCEL_CELL_LIMIT:
        return listed
    return _(
        "All %(count)d customer organisations (too many for one cell: export the record for "
        "one organisation, or see the PDF)"
    ) % {"count": len(record.customers)}


Column = tuple[str, Callable[[ActivityEntry, RopaRecord], object]]


def _controller_columns() -> list[Column]:
    return [
        (_("Processing activity"), lambda a, r: a.name),
        (_("Description"), lambda a, r: a.description),
        (_("Controller (Art. 30(1)(a))"), lambda a, r: _contact(r.controller)),
        (
            _("Data protection officer or contact point (Art. 30(1)(a))"),
            lambda a, r: _dpo(r.controller),
        ),
        (_("Representative (Art. 27)"), lambda a, r: r.controller.representative),
        (_("Joint controllers (Art. 26)"), lambda a, r: a.joint_controllers),
        (_("Purposes (Art. 30(1)(b))"), lambda a, r: a.purposes),
        (_("Legal basis (Art. 6(1))"), lambda a, r: _legal_basis(a)),
        (_("Legitimate interest assessment"), lambda a, r: _lia(a)),
        (_("Categories of data subjects (Art. 30(1)(c))"), lambda a, r: a.subject_categories),
        (_("Categories of personal data (Art. 30(1)(c))"), lambda a, r: a.data_categories),
        (_("Special categories (Art. 9)"), lambda a, r: [c.name for c in a.special_categories]),
        (_("Categories of recipients (Art. 30(1)(d))"), lambda a, r: a.recipient_categories),
        (_("Named recipients (Art. 30(1)(d))"), lambda a, r: a.recipients),
        (_("Transfers to third countries (Art. 30(1)(e))"), lambda a, r: a.transfers),
        (_("Time limits for erasure (Art. 30(1)(f))"), lambda a, r: _retention(a)),
        (_("Security measures (Art. 30(1)(g))"), lambda a, r: a.security_measures),
        (_("Source of the data"), lambda a, r: a.data_source),
        (_("Automated decision-making (Art. 22)"), lambda a, r: a.automated_decision_making),
        (_("DPIA (Art. 35)"), lambda a, r: a.dpia_reference),
        (_("Owner"), lambda a, r: a.owner),
        (_("Last reviewed"), lambda a, r: _date(a.last_reviewed_on)),
        (_("Next review"), lambda a, r: _date(a.next_review_on)),
    ]


def _processor_columns(record: RopaRecord) -> list[Column]:
    controllers = _customers(record)
    return [
        (_("Processing activity"), lambda a, r: a.name),
        (_("Processor (Art. 30(2)(a))"), lambda a, r: _contact(r.controller)),
        (
            _("Data protection officer or contact point (Art. 30(2)(a))"),
            lambda a, r: _dpo(r.controller),
        ),
        (_("Controllers on whose behalf we act (Art. 30(2)(a))"), lambda a, r: controllers),
        (_("Categories of processing (Art. 30(2)(b))"), lambda a, r: a.purposes),
        (_("Categories of data subjects"), lambda a, r: a.subject_categories),
        (_("Categories of personal data"), lambda a, r: a.data_categories),
        (_("Sub-processors and other recipients"), lambda a, r: a.recipients),
        (_("Transfers to third countries (Art. 30(2)(c))"), lambda a, r: a.transfers),
        (_("Security measures (Art. 30(2)(d))"), lambda a, r: a.security_measures),
        (_("Time limits for erasure"), lambda a, r: _retention(a)),
        (_("Owner"), lambda a, r: a.owner),
        (_("Last reviewed"), lambda a, r: _date(a.last_reviewed_on)),
    ]
