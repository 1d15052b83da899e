"""Register data at scale for `seed_scale` and the bench: organisations, data subjects with
their addresses, consent records and access-log rows, written with COPY.

What makes it usable as real data rather than filler:
- Names from a dozen languages (Swedish, Finnish, Norwegian, German, French, Spanish, Italian,
  Polish, Dutch, Greek, Arabic, Chinese, Japanese), stored as people write them; addresses in
  lower case as core.identifiers.normalise_email stores them, some on internationalised
  domains, unique across the register (and across an earlier run, when growing).
- Encrypted columns hold ciphertext made by core.crypto.encrypt, the access-log chain is
  computed by core.access_log.compute_hash onto the chain's current last row, under the
  same advisory lock as every append: `verify_access_log` checks it like any other.
- Deterministic: the same seed and anchor date give the same rows (ciphertext aside: Fernet
  uses a fresh IV, so compare decrypted values).

Only INSERTs: the append-only triggers of the consent ledger and the access log stay on.
"""

import base64
import hashlib
import json
import random
import tomllib
import unicodedata
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from django.db import connection, models

from core import crypto
from core.access_log import _LOCK_KEY, GENESIS, compute_hash
from core.models import AccessLogEntry
from privacy.choices import (
    ConsentAction,
    ConsentMethod,
    ConsentTopic,
    Language,
    SubjectCategory,
    SubjectSource,
)
from privacy.models import ConsentRecord, DataSubject, Organisation, PolicyVersion, SubjectEmail

S = SubjectCategory

# --- Names ----------------------------------------------------------------------------------

_NAMES = tomllib.loads((Path(__file__).parent.parent / "data" / "names.toml").read_text("utf-8"))


def _spellings(names: list) -> list:
    # A non-Latin name is (as written, its ASCII form for the address).
    return [(n["name"], n["ascii"]) if isinstance(n, dict) else n for n in names]


# origin: (given names, family names, family name first).
NAMES: dict[str, tuple[list, list, bool]] = {
    origin: (_spellings(n["given"]), _spellings(n["family"]), n["family_first"])
    for origin, n in _NAMES["names"].items()
}
NAME_ORIGINS: dict[str, list[str]] = _NAMES["name_origins"]
PRIVATE_COUNTRIES: list[str] = _NAMES["private_countries"]
PRIVATE_DOMAINS: list[str] = _NAMES["private_domains"]
ORGANISATION_WORDS = {
    country: (words["first"], words["second"], words["suffix"])
    for country, words in _NAMES["organisation_words"].items()
}
COUNTRY_LANGUAGE = {"SE": Language.SWEDISH}
CATEGORY_WEIGHTS = [
    (S.PLATFORM_USER, 55),
    (S.NEWSLETTER_SUBSCRIBER, 18),
    (S.JOB_APPLICANT, 6),
    (S.WEBSITE_VISITOR, 12),
    (S.SUPPLIER_CONTACT, 4),
    (S.ORGANISATION_ADMIN, 5),
]
SIGNUP_EVIDENCE = (
    "Newsletter sign-up form on opper.ai: an unticked box 'Send me the Opper newsletter' and a "
    "link to the privacy policy."
)
# Subjects per organisation, roughly; the register spans several years back from the anchor.
SUBJECTS_PER_ORGANISATION = 200
HISTORY_DAYS = 4 * 365


def ascii_word(text: str) -> str:
    """A Latin name as an address-friendly ASCII word: 'Sjöström' -> 'sjostrom'."""
    text = text.lower().translate(str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "ł": "l"}))
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isascii() and (c.isalnum() or c == "-"))


def _parts(value) -> tuple[str, str]:
    if isinstance(value, tuple):
        return value
    return value, ascii_word(value)


# --- COPY -----------------------------------------------------------------------------------


def _db_default(field: models.Field):
    """The value a column gets when a row does not say: the model field's default."""
    if isinstance(field, models.JSONField):
        return json.dumps(field.get_default())
    return field.get_db_prep_save(field.get_default(), connection)


def copy_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """COPY `rows` (values for `columns`, given by attname, already as stored: ciphertext for
    encrypted fields) into the model's table; every other column except `id` gets its default.
    Returns the number of rows written."""
    fields = {f.attname: f for f in model._meta.concrete_fields}
    unknown = set(columns) - set(fields)
    if unknown:
        raise ValueError(f"{model.__name__} has no field {sorted(unknown)}")
    rest = [f for name, f in fields.items() if name not in columns and not f.primary_key]
    defaults = tuple(_db_default(f) for f in rest)
    names = [fields[c].column for c in columns] + [f.column for f in rest]
    quoted = ", ".join(connection.ops.quote_name(n) for n in names)
    table = connection.ops.quote_name(model._meta.db_table)
    written = 0
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row((*row, *defaults))
            written += 1
    return written


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` primary keys from the table's sequence, so related rows can be written before
    or alongside their parents' COPY."""
    if count == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def child(rng: random.Random) -> random.Random:
    """An independent generator per part, so that changing one part leaves the others' rows
    as they were."""
    return random.Random(rng.random())  # noqa: S311 - reproducible test data, not secrets


def pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), list(weights.values()))[0]


def uuid_from(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def moment(anchor: datetime, rng: random.Random, *, days_back: float, days_min: float = 0):
    """A UTC instant between `days_back` and `days_min` days before `anchor`, to the second."""
    seconds = rng.randint(int(days_min * 86400), int(days_back * 86400))
    return (anchor - timedelta(seconds=seconds)).astimezone(UTC)


# --- Subjects -------------------------------------------------------------------------------


@dataclass
class SeededSubjects:
    """What the case seeder needs of the subjects just written, by position."""

    ids: list[int]
    names: list[str]
    emails: list[str]  # primary address
    languages: list[str]
    categories: list[str]
    organisations: list[int | None]


def _organisations(rng: random.Random, count: int, anchor: datetime) -> list[tuple]:
    """(id, country, domain, is_customer) for `count` new organisations."""
    existing = set(Organisation.objects.values_list("name", flat=True))
    countries = list(ORGANISATION_WORDS)
    weights = [6 if c == "SE" else 2 if c in ("FI", "NO", "DE") else 1 for c in countries]
    planned = []
    domains: set[str] = set()
    while len(planned) < count:
        country = rng.choices(countries, weights)[0]
        first, second, form = ORGANISATION_WORDS[country]
        base = f"{rng.choice(first)} {rng.choice(second)}"
        name = f"{base} {form}"
        number = 2
        while name in existing:
            name = f"{base} {number} {form}"
            number += 1
        existing.add(name)
        word = ascii_word(base.replace(" & ", "-").replace(" ", "-").replace("'", ""))
        domain = f"{word or 'org'}.example"
        number = 2
        while domain in domains:
            domain = f"{word or 'org'}{number}.example"
            number += 1
        domains.add(domain)
        planned.append((name, country, domain, rng.random() < 0.9))
    ids = reserve_ids(Organisation, len(planned))
    created = moment(anchor, rng, days_back=HISTORY_DAYS)
    copy_rows(
        Organisation,
        ["id", "name", "country_code", "website", "is_customer", "created_at", "updated_at"],
        (
            (pk, name, country, f"https://{domain}", customer, created, created)
            for pk, (name, country, domain, customer) in zip(ids, planned, strict=True)
        ),
    )
    return [(pk, c, d, customer) for pk, (_n, c, d, customer) in zip(ids, planned, strict=True)]


def _local_parts(rng: random.Random, given: str, family: str) -> str:
    given, family = given.replace(" ", ""), family.replace(" ", "")
    style = rng.random()
    if style < 0.45:
        return f"{given}.{family}"
    if style < 0.6:
        return f"{given[0]}.{family}"
    if style < 0.72:
        return f"{given}{family}"
    if style < 0.82:
        return f"{family}.{given}"
    return f"{given}.{family}{rng.randint(1, 99)}"


def seed_subjects(
    *,
    count: int,
    rng: random.Random,
    anchor: datetime,
    policies: dict[str, PolicyVersion],
) -> SeededSubjects:
    """Write `count` data subjects, their addresses (10% have a second) and the marketing
    consent ledger of newsletter subscribers (a quarter of whom withdrew)."""
    organisations = _organisations(rng, max(20, count // SUBJECTS_PER_ORGANISATION), anchor)
    customers = [o for o in organisations if o[3]] or organisations
    suppliers = [o for o in organisations if not o[3]] or organisations
    categories = [category for category, weight in CATEGORY_WEIGHTS for _ in range(weight)]
    # Addresses already in the register (when growing it) stay unique.
    used = set(SubjectEmail.objects.values_list("email", flat=True))
    ids = reserve_ids(DataSubject, count)
    seeded = SeededSubjects(
        ids=ids, names=[], emails=[], languages=[], categories=[], organisations=[]
    )
    emails: list[tuple] = []
    consents: list[tuple] = []
    subjects: list[tuple] = []
    for pk in ids:
        category = rng.choice(categories)
        organisation = None
        if category in (S.PLATFORM_USER, S.ORGANISATION_ADMIN):
            organisation = rng.choice(customers)
        elif category == S.SUPPLIER_CONTACT:
            organisation = rng.choice(suppliers)
        country = organisation[1] if organisation else rng.choice(PRIVATE_COUNTRIES)
        origin = rng.choice(NAME_ORIGINS.get(country, ["sv"]))
        given_names, family_names, family_first = NAMES[origin]
        given, given_ascii = _parts(rng.choice(given_names))
        family, family_ascii = _parts(rng.choice(family_names))
        name = f"{family}{given}" if family_first else f"{given} {family}"
        if rng.random() < 0.02:
            name = ""  # known by address only
        local = _local_parts(rng, ascii_word(given_ascii), ascii_word(family_ascii))
        domain = organisation[2] if organisation else rng.choice(PRIVATE_DOMAINS)
        address = f"{local}@{domain}"
        number = 2
        while address in used:
            address = f"{local}{number}@{domain}"
            number += 1
        used.add(address)
        created = moment(anchor, rng, days_back=HISTORY_DAYS, days_min=1)
        language = COUNTRY_LANGUAGE.get(country, Language.ENGLISH)
        if origin == "sv" or (country == "SE" and rng.random() < 0.4):
            language = Language.SWEDISH
        source = SubjectSource.SUBJECT
        if category == S.SUPPLIER_CONTACT or (category == S.PLATFORM_USER and rng.random() < 0.5):
            source = SubjectSource.ORGANISATION
        child = category in (S.NEWSLETTER_SUBSCRIBER, S.WEBSITE_VISITOR) and rng.random() < 0.001
        subjects.append(
            (
                pk,
                name,
                category,
                organisation[0] if organisation else None,
                language,
                child,
                source,
                created,
                created,
            )
        )
        emails.append((pk, address, True, created))
        if organisation and rng.random() < 0.1:
            private = f"{local}{rng.randint(1, 999)}@{rng.choice(PRIVATE_DOMAINS)}"
            if private not in used:
                used.add(private)
                emails.append((pk, private, False, created + timedelta(days=rng.randint(1, 300))))
        if category == S.NEWSLETTER_SUBSCRIBER:
            policy = policies.get(language) or next(iter(policies.values()), None)
            consents.append(
                (
                    pk,
                    ConsentTopic.MARKETING_EMAIL,
                    ConsentAction.GIVEN,
                    created,
                    ConsentMethod.SIGNUP,
                    policy.pk if policy else None,
                    SIGNUP_EVIDENCE,
                )
            )
            if rng.random() < 0.25:
                withdrawn = min(created + timedelta(days=rng.randint(5, 400)), anchor)
                consents.append(
                    (
                        pk,
                        ConsentTopic.MARKETING_EMAIL,
                        ConsentAction.WITHDRAWN,
                        withdrawn,
                        ConsentMethod.UNSUBSCRIBE_LINK,
                        policy.pk if policy else None,
                        "Unsubscribe link in a newsletter.",
                    )
                )
        seeded.names.append(name)
        seeded.emails.append(address)
        seeded.languages.append(language)
        seeded.categories.append(category)
        seeded.organisations.append(organisation[0] if organisation else None)
    copy_rows(
        DataSubject,
        [
            "id",
            "name",
            "category",
            "organisation_id",
            "language",
            "is_under_16",
            "source",
            "created_at",
            "updated_at",
        ],
        subjects,
    )
    del subjects
    copy_rows(SubjectEmail, ["subject_id", "email", "is_primary", "added_at"], emails)
    del emails
    # The ledger in time order, as it was written.
    consents.sort(key=lambda row: (row[3], row[0]))
    copy_rows(
        ConsentRecord,
        ["subject_id", "topic", "action", "recorded_at", "method", "policy_version_id", "evidence"],
        consents,
    )
    return seeded


# --- The access log -------------------------------------------------------------------------


@dataclass(frozen=True)
class LogSpec:
    """One access to record: as core.access_log.access_log_record takes it."""

    at: datetime
    actor_id: int | None
    action: str
    object_type: str
    object_id: str = ""
    subject_id: int | None = None
    case_reference: str = ""
    purpose: str = ""
    query: str = ""
    ip_address: str = ""


def access_log_append(specs: Iterable[LogSpec]) -> int:
    """Append `specs` (in order) to the access log's hash chain, after its current last row.

    Holds the chain's advisory lock until the transaction ends, as every append does, so no
    request can chain onto the same row meanwhile. Must run inside a transaction.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    previous = AccessLogEntry.objects.order_by("-pk").values_list("row_hash", flat=True).first()
    return copy_rows(
        AccessLogEntry,
        [
            "at",
            "actor_id",
            "action",
            "object_type",
            "object_id",
            "subject_id",
            "case_reference",
            "purpose",
            "query",
            "ip_address",
            "previous_hash",
            "row_hash",
        ],
        _chained(specs, previous or GENESIS),
    )


def _chained(specs: Iterable[LogSpec], previous: str) -> Iterator[tuple]:
    for spec in specs:
        # compute_hash reads these attributes only: the same code as every live append.
        entry = SimpleNamespace(
            at=spec.at,
            actor_id=spec.actor_id,
            action=spec.action,
            object_type=spec.object_type,
            object_id=spec.object_id[:64],
            subject_id=spec.subject_id,
            case_reference=spec.case_reference[:32],
            purpose=spec.purpose[:300],
            query=spec.query,
            ip_address=spec.ip_address[:64],
            previous_hash=previous,
        )
        row_hash = compute_hash(entry)
        yield (
            entry.at,
            entry.actor_id,
            entry.action,
            entry.object_type,
            entry.object_id,
            entry.subject_id,
            entry.case_reference,
            entry.purpose,
            crypto.encrypt(entry.query),
            entry.ip_address,
            previous,
            row_hash,
        )
        previous = row_hash


def staff_ip(rng: random.Random) -> str:
    return f"10.{rng.randint(0, 3)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def token(rng: random.Random) -> str:
    """A URL-safe token like secrets.token_urlsafe(32), but from the seeded generator."""
    return base64.urlsafe_b64encode(rng.randbytes(32)).rstrip(b"=").decode()


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def analyse(models_: Iterable[type[models.Model]]) -> None:
    """Fresh planner statistics (and reltuples, which the admin's estimated counts read) and,
    outside a transaction, a VACUUM: it marks the new pages all-visible, so that counts and
    filtered lists read indexes only, as they would once autovacuum had passed."""
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for model in models_:
            cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")
