"""Reading the record of processing activities back: its sections, the values it must hold."""

import csv
import io
import re
import zlib


def pdf_catalog(content: bytes) -> bytes:
    """The PDF's document catalog, inflated from its (compressed) object stream."""
    for match in re.finditer(rb"stream\r?\n", content):
        try:
            data = zlib.decompressobj().decompress(content[match.end() :])
        except zlib.error:
            continue
        if b"/Type /Catalog" in data:
            return data
    raise AssertionError("no catalog in the PDF")


def section_texts(pages: list[str], headings: list[str]) -> dict[str, str]:
    """Each heading's section: from the page where it starts to the page before the next."""
    starts = []
    for heading in headings:
        # Page 1 is the cover and page 2 the contents, which also list every heading.
        starts.append(next(i for i, page in enumerate(pages) if i > 1 and heading in page))
    ends = [*starts[1:], len(pages)]
    return {
        heading: " ".join(pages[start:end])
        for heading, start, end in zip(headings, starts, ends, strict=True)
    }


def expected_values(activity, profile) -> list[str]:
    """What the record must say about `activity`, read from the register itself."""
    values = [
        profile.name,  # (a)
        profile.dpo_email,
        activity.purpose,  # (b)
        *[str(basis.label) for basis in activity.legal_bases],
        activity.legal_obligation_reference,
        activity.legitimate_interest_assessment,
        *activity.get_subject_categories_display(),  # (c)
        *[category.name for category in activity.data_categories.all()],
        activity.recipient_categories,  # (d)
        activity.security_measures or profile.security_overview,  # (g)
        activity.owner.get_full_name() if activity.owner else "Not assigned",
        activity.last_reviewed_on.isoformat() if activity.last_reviewed_on else "Never",
    ]
    for recipient in activity.recipients.all():
        values += [recipient.name, recipient.legal_entity, recipient.country.name]
    for transfer in activity.transfers.all():  # (e)
        values += [
            f"{transfer.destination.name} ({transfer.destination.code})",
            transfer.importer.name,
            transfer.get_mechanism_display(),
            transfer.get_scc_module_display() if transfer.scc_module else "",
            transfer.get_derogation_display(),
            transfer.derogation_justification,
        ]
    if activity.retention_rule:  # (f)
        values += [activity.retention_rule.period_text, activity.retention_rule.legal_reference]
    values.append(activity.retention_notes)
    for category in activity.data_categories.all():
        if category.retention_rule:
            values.append(f"{category.name}: {category.retention_rule.period_text}")
    return [value for value in values if value]


CONTROLLER_LABELS = [
    ("Controller", "Art. 30(1)(a)"),
    ("Joint controllers", "Art. 26"),
    ("Purposes of the processing", "Art. 30(1)(b)"),
    ("Legal basis", "Art. 6(1)"),
    ("Categories of data subjects", "Art. 30(1)(c)"),
    ("Categories of personal data", "Art. 30(1)(c)"),
    ("Categories of recipients", "Art. 30(1)(d)"),
    ("Transfers to third countries or international organisations", "Art. 30(1)(e)"),
    ("Time limits for erasure", "Art. 30(1)(f)"),
    ("Technical and organisational security measures", "Art. 30(1)(g)"),
    ("Owner", ""),
    ("Last reviewed", ""),
]


def read_csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
