"""The reference company's register for `seed_demo` (Opper Technology AB as its privacy policy
of 2024-08-19 describes it: purposes, legal bases, retention, systems, the policy text in
English and Swedish), plus customer organisations and a few hundred data subjects, all from
demo/data/register.toml and people.toml.

Idempotent: each row is looked up by its natural key and created only when missing, so the
second run (every `make run`) creates nothing and keeps what someone edited in the demo.
Subjects are generated from a fixed seed, so every run computes the same people.
"""

import random
import unicodedata
from datetime import datetime, time, timedelta

from django.utils import timezone

from accounts.models import User
from core.identifiers import normalise_email
from demo import datafiles
from demo.staff import DEMO_USERNAME
from privacy.choices import (
    ConsentAction,
    ConsentMethod,
    Language,
    SubjectCategory,
    SubjectSource,
)
from privacy.models import (
    ConsentRecord,
    ControllerProfile,
    DataCategory,
    DataSubject,
    Organisation,
    PolicyVersion,
    ProcessingActivity,
    RetentionRule,
    SubjectEmail,
    System,
)
from privacy.services import (
    activity_mark_reviewed,
    consent_record,
    policy_version_publish,
    subject_create,
)

REGISTER = datafiles.load("register")
PEOPLE = datafiles.load("people")
POLICY = REGISTER["policy"]
S = SubjectCategory


def _ascii(text: str) -> str:
    """A Latin name as an address-friendly ASCII word: 'Sjöström' -> 'sjostrom'."""
    text = text.lower().translate(str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "ł": "l"}))
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isascii() and (c.isalnum() or c in "-"))


def _spelled(name) -> tuple[str, str]:
    """A name as written and in ASCII: non-Latin names carry their ASCII form in the data."""
    if isinstance(name, dict):
        return name["name"], name["ascii"]
    return name, _ascii(name)


def _person(rng: random.Random, origin: str) -> tuple[str, str]:
    """(display name, address local part) for someone from `origin`."""
    names = PEOPLE["names"][origin]
    given, given_ascii = _spelled(rng.choice(names["given"]))
    family, family_ascii = _spelled(rng.choice(names["family"]))
    name = f"{family}{given}" if names["family_first"] else f"{given} {family}"
    return name, f"{given_ascii}.{family_ascii}"


def _subject_specs(organisations: dict[Organisation, str]) -> list[dict]:
    """The demo's data subjects, the same on every run (a fixed random seed).

    `organisations` maps each organisation to its email domain, in the data file's order.
    """
    rng = random.Random(PEOPLE["seed"])  # noqa: S311 - reproducible demo data, not secrets
    customers = [org for org in organisations if org.is_customer]
    suppliers = [org for org in organisations if not org.is_customer]
    weights = PEOPLE["category_weights"]
    categories = [category for category, weight in weights.items() for _ in range(weight)]
    # Every customer has an administrator; the rest are drawn by weight.
    plan = [(S.ORGANISATION_ADMIN, org) for org in customers]
    while len(plan) < PEOPLE["subject_count"]:
        category = rng.choice(categories)
        if category in (S.PLATFORM_USER, S.ORGANISATION_ADMIN):
            plan.append((category, rng.choice(customers)))
        elif category == S.SUPPLIER_CONTACT:
            plan.append((category, rng.choice(suppliers)))
        else:
            plan.append((category, None))
    under_16 = dict(PEOPLE["under_16"])
    private_domains = PEOPLE["private_domains"]
    used: set[str] = set()
    specs = []
    for index, (category, organisation) in enumerate(plan):
        country = organisation.country_code if organisation else rng.choice(["SE", "SE", "FI"])
        origin = rng.choice(PEOPLE["name_origins"][country])
        name, local = _person(rng, origin)
        domain = organisations[organisation] if organisation else rng.choice(private_domains)
        address = f"{local}@{domain}"
        suffix = 2
        while address in used:
            address = f"{local}{suffix}@{domain}"
            suffix += 1
        used.add(address)
        # Some addresses arrive capitalised, as people type them; the service stores them in
        # lower case.
        emails = [address.title() if index % 7 == 0 else address]
        if organisation and rng.random() < 0.12:
            private = f"{local}{rng.randint(1, 99)}@{rng.choice(private_domains)}"
            if private not in used:
                used.add(private)
                emails.append(private)
        child = under_16.get(category, 0) > 0 and rng.random() < 0.5
        if child:
            under_16[category] -= 1
        swedish = origin == "sv" or (country == "SE" and rng.random() < 0.4)
        specs.append(
            {
                "name": name,
                "emails": emails,
                "category": category,
                "organisation": organisation,
                "language": Language.SWEDISH if swedish else Language.ENGLISH,
                "source": (
                    SubjectSource.ORGANISATION
                    if category == S.SUPPLIER_CONTACT
                    or (category == S.PLATFORM_USER and rng.random() < 0.5)
                    else SubjectSource.SUBJECT
                ),
                "is_under_16": child,
                # Newsletter subscribers: when they signed up and, for some, opted out.
                "signed_up_days_ago": rng.randint(40, 800),
                "opted_out_after_days": rng.randint(5, 30) if rng.random() < 0.25 else None,
            }
        )
    return specs


# --- Seeding --------------------------------------------------------------------------------


def _ensure(model, lookup: dict, defaults: dict | None = None, m2m: dict | None = None):
    """The row matching `lookup`, created and validated with `defaults` when missing.

    Existing rows are left as they are: the demo is seeded at every `make run`, and changes
    made in the admin should survive it.
    """
    instance = model.objects.filter(**lookup).first()
    if instance is not None:
        return instance, False
    instance = model(**lookup, **(defaults or {}))
    instance.full_clean()
    instance.save()
    for field, values in (m2m or {}).items():
        getattr(instance, field).set(values)
    return instance, True


def seed_register(owner) -> None:
    _ensure(ControllerProfile, {"singleton": True}, REGISTER["controller"])
    rules = {}
    for fields in REGISTER["retention_rules"]:
        fields = {k: v for k, v in fields.items() if k != "key"}
        name = fields.pop("name")
        rules[name], _ = _ensure(RetentionRule, {"name": name}, fields)
    categories = {}
    for fields in REGISTER["data_categories"]:
        categories[fields["name"]], _ = _ensure(
            DataCategory,
            {"name": fields["name"]},
            {
                "description": fields["description"],
                "provided_by_subject": fields["provided_by_subject"],
                "retention_rule": rules[fields["retention_rule"]],
            },
        )
    for fields in REGISTER["systems"]:
        _ensure(
            System,
            {"name": fields["name"]},
            {
                "description": fields["description"],
                "location": fields["location"],
                "owner_team": fields["owner_team"],
                "owner": owner,
            },
            {"data_categories": [categories[c] for c in fields["data_categories"]]},
        )
    today = timezone.localdate()
    for fields in REGISTER["activities"]:
        fields = {k: v for k, v in fields.items() if k != "key"}
        reviewed = fields.pop("reviewed_days_from_today")
        next_review = fields.pop("next_review_days_from_today")
        held = fields.pop("data_categories")
        fields["retention_rule"] = rules[fields["retention_rule"]]
        activity, created = _ensure(
            ProcessingActivity,
            {"name": fields.pop("name")},
            {**fields, "owner": owner},
            {"data_categories": [categories[c] for c in held]},
        )
        if created:
            activity_mark_reviewed(
                activity=activity,
                reviewed_on=today + timedelta(days=reviewed),
                next_review_on=today + timedelta(days=next_review),
            )


def seed_policy(publisher) -> dict[str, PolicyVersion]:
    versions = {}
    for language in (Language.ENGLISH, Language.SWEDISH):
        version, _ = _ensure(
            PolicyVersion,
            {"version": POLICY["version"], "language": language},
            {
                "title": POLICY["titles"][language],
                "effective_date": POLICY["effective_date"],
                "body": datafiles.text(f"privacy-policy-{POLICY['version']}.{language}.txt"),
            },
        )
        if not version.is_published:
            version = policy_version_publish(version=version, published_by=publisher)
        versions[language] = version
    return versions


def _seed_subjects(policies: dict[str, PolicyVersion]) -> int:
    """Create the generated subjects that are missing; returns how many were created."""
    organisations = {}
    for row in PEOPLE["organisations"]:
        organisation, _ = _ensure(
            Organisation,
            {"name": row["name"], "country_code": row["country"]},
            {"website": f"https://{row['domain']}", "is_customer": row["customer"]},
        )
        organisations[organisation] = row["domain"]
    specs = _subject_specs(organisations)
    primary = {normalise_email(spec["emails"][0]): spec for spec in specs}
    existing = set(
        SubjectEmail.objects.filter(email__in=list(primary)).values_list("email", flat=True)
    )
    now = timezone.now()
    created = 0
    for email, spec in primary.items():
        if email in existing:
            continue
        subject = subject_create(
            emails=spec["emails"],
            name=spec["name"],
            category=spec["category"],
            organisation=spec["organisation"],
            language=spec["language"],
            source=spec["source"],
            is_under_16=spec["is_under_16"],
        )
        created += 1
        if spec["category"] == S.NEWSLETTER_SUBSCRIBER:
            _seed_consent(subject, spec, policies[spec["language"]], now)
    return created


def _seed_consent(subject: DataSubject, spec: dict, policy: PolicyVersion, now) -> None:
    earliest = timezone.make_aware(datetime.combine(POLICY["effective_date"], time(9)))
    signed_up = max(now - timedelta(days=spec["signed_up_days_ago"], hours=5), earliest)
    consent_record(
        subject=subject,
        action=ConsentAction.GIVEN,
        method=ConsentMethod.SIGNUP,
        evidence=PEOPLE["signup_evidence"],
        policy_version=policy,
        recorded_at=signed_up,
    )
    if spec["opted_out_after_days"] is not None:
        consent_record(
            subject=subject,
            action=ConsentAction.WITHDRAWN,
            method=ConsentMethod.UNSUBSCRIBE_LINK,
            evidence="Unsubscribe link in a newsletter.",
            policy_version=policy,
            recorded_at=min(signed_up + timedelta(days=spec["opted_out_after_days"]), now),
        )


def seed(stdout) -> None:
    owner = User.objects.filter(username=DEMO_USERNAME).first()
    seed_register(owner)
    policies = seed_policy(owner)
    created = _seed_subjects(policies)
    stdout.write(
        f"Register: {ControllerProfile.objects.get()}, "
        f"{ProcessingActivity.objects.count()} processing activities, "
        f"{DataCategory.objects.count()} data categories, "
        f"{RetentionRule.objects.count()} retention rules, {System.objects.count()} systems, "
        f"policy {POLICY['version']} in {', '.join(policies)}, "
        f"{Organisation.objects.count()} organisations, "
        f"{DataSubject.objects.count()} data subjects ({created} new), "
        f"{ConsentRecord.objects.count()} consent records."
    )
