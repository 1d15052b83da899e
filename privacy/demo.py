"""Demo data for `seed_demo`: the reference company as its privacy policy of 2024-08-19 describes
it (Opper Technology AB: purposes, legal bases, retention, systems, the policy text in English
and Swedish), plus customer organisations and a few hundred data subjects.

Idempotent: each row is looked up by its natural key and created only when missing, so the
second run (every `make run`) creates nothing and keeps what someone edited in the demo.
Subjects are generated from a fixed seed, so every run computes the same people.
"""

import random
import unicodedata
from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.utils import timezone

from accounts.demo import DEMO_USERNAME
from accounts.models import User
from privacy.choices import (
    ActivityRole,
    ConsentAction,
    ConsentMethod,
    Language,
    PeriodUnit,
    RetentionAction,
    RetentionTrigger,
    SubjectCategory,
    SubjectSource,
)
from privacy.identifiers import normalise_email
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

DEMO_DATA = Path(__file__).resolve().parent / "demo_data"

POLICY_VERSION = "2024-08-19"
POLICY_EFFECTIVE = date(2024, 8, 19)
POLICY_TITLES = {Language.ENGLISH: "Privacy Policy", Language.SWEDISH: "Integritetspolicy"}

# --- Controller -----------------------------------------------------------------------------

CONTROLLER = {
    "name": "Opper Technology AB",
    "registration_number": "559446-3720",
    "address": "Västerängsvägen 51 A\n182 47 Enebyberg\nSweden",
    "email": "support@opper.ai",
    "website": "https://opper.ai",
    "dpo_name": "Privacy contact point (no data protection officer appointed)",
    "dpo_email": "support@opper.ai",
    "supervisory_authority": "Integritetsskyddsmyndigheten (IMY)",
    "supervisory_authority_url": "https://www.imy.se",
    # Privacy policy section 6.
    "security_overview": (
        "Data is encrypted in transit and at rest and stored on secure servers in the EU "
        "(AWS eu-north-1, Stockholm). It is accessible only to authorised personnel who need it "
        "to perform Opper's services. Every request to access data and every actual access is "
        "logged for accountability and traceability; this covers organisations and their users, "
        "functions and evaluations, indexes and events. Staff reach these systems through secure "
        "AWS accounts protected by SAML sign-in with Google as the identity provider; every "
        "Google account used for access has mandatory two-factor authentication or a passkey. "
        "Details: the Opper Platform Security Overview."
    ),
}

# --- Retention rules ------------------------------------------------------------------------

RULE_ACCOUNTING = "Accounting records (Bokföringslagen)"
RULE_ACCOUNT = "Platform account data"
RULE_SUPPORT = "Support correspondence"
RULE_USAGE = "Usage events"
RULE_LOGS = "Security and access logs"
RULE_RECRUITING = "Job applications"
RULE_NEWSLETTER = "Newsletter subscriptions"
RULE_ANALYTICS = "Website analytics"
RULE_STAFF = "Staff accounts"

RETENTION_RULES = [
    {
        "name": RULE_ACCOUNTING,
        "description": (
            "Invoices, payment records and other accounting records (räkenskapsinformation) are "
            "kept until the end of the seventh year after the end of the calendar year in which "
            "the financial year ended. Erasure requests restrict them until then "
            "(Art. 17(3)(b))."
        ),
        "period": 7,
        "period_unit": PeriodUnit.YEARS,
        "trigger": RetentionTrigger.FINANCIAL_YEAR_END,
        "action": RetentionAction.DELETE,
        "legal_obligation": True,
        "legal_reference": "Bokföringslagen (1999:1078) 7 kap. 2 §",
    },
    {
        "name": RULE_ACCOUNT,
        "description": (
            "Accounts, organisation memberships and platform content are deleted three months "
            "after the customer's account is closed: time for the customer to export its data "
            "and for questions about the closure to come up."
        ),
        "period": 3,
        "period_unit": PeriodUnit.MONTHS,
        "trigger": RetentionTrigger.RELATIONSHIP_END,
        "action": RetentionAction.DELETE,
    },
    {
        "name": RULE_SUPPORT,
        "description": (
            "Support tickets and emails are deleted 24 months after the last message in the "
            "conversation, so that a recurring problem can be followed up."
        ),
        "period": 24,
        "period_unit": PeriodUnit.MONTHS,
        "trigger": RetentionTrigger.LAST_ACTIVITY,
        "action": RetentionAction.DELETE,
    },
    {
        "name": RULE_USAGE,
        "description": (
            "Product usage events are anonymised 13 months after collection, enough to compare "
            "a month with the same month last year; aggregated statistics are kept."
        ),
        "period": 13,
        "period_unit": PeriodUnit.MONTHS,
        "trigger": RetentionTrigger.COLLECTION,
        "action": RetentionAction.ANONYMISE,
    },
    {
        "name": RULE_LOGS,
        "description": (
            "Logs of requests to access data and of the access itself (policy section 6) are "
            "deleted 12 months after they were written."
        ),
        "period": 12,
        "period_unit": PeriodUnit.MONTHS,
        "trigger": RetentionTrigger.COLLECTION,
        "action": RetentionAction.DELETE,
    },
    {
        "name": RULE_RECRUITING,
        "description": (
            "Applications of candidates who were not hired are deleted 24 months after the "
            "recruitment closed, so that the company can answer a discrimination claim about "
            "the recruitment within its limitation period. Applicants may ask for earlier "
            "deletion; those hired move to the personnel file."
        ),
        "period": 24,
        "period_unit": PeriodUnit.MONTHS,
        "trigger": RetentionTrigger.PURPOSE_END,
        "action": RetentionAction.DELETE,
        "legal_reference": "Diskrimineringslagen (2008:567): time limits for discrimination claims",
    },
    {
        "name": RULE_NEWSLETTER,
        "description": (
            "A subscription ends at opt-out, or after 24 months without opening or clicking "
            "any newsletter. The address then leaves the mailing list but stays on the "
            "suppression list, so that an opt-out keeps working (Art. 21(3))."
        ),
        "period": 24,
        "period_unit": PeriodUnit.MONTHS,
        "trigger": RetentionTrigger.LAST_ACTIVITY,
        "action": RetentionAction.DELETE,
    },
    {
        "name": RULE_ANALYTICS,
        "description": "Website analytics events are deleted 13 months after collection.",
        "period": 13,
        "period_unit": PeriodUnit.MONTHS,
        "trigger": RetentionTrigger.COLLECTION,
        "action": RetentionAction.DELETE,
    },
    {
        "name": RULE_STAFF,
        "description": (
            "Staff sign-in accounts are suspended on the last working day and deleted three "
            "months after the employment ends."
        ),
        "period": 3,
        "period_unit": PeriodUnit.MONTHS,
        "trigger": RetentionTrigger.RELATIONSHIP_END,
        "action": RetentionAction.DELETE,
    },
]

# --- Data categories ------------------------------------------------------------------------

CAT_CONTACT = "Contact details"
CAT_ACCOUNT = "Account and organisation membership"
CAT_CONTENT = "Platform content: functions, evaluations and indexes"
CAT_USAGE = "Usage events"
CAT_LOGS = "Security and access logs"
CAT_INVOICES = "Invoices and payment records"
CAT_SUPPORT = "Support correspondence"
CAT_NEWSLETTER = "Newsletter preferences"
CAT_APPLICATIONS = "Job applications (CV, cover letter)"
CAT_ASSESSMENTS = "Interview notes and assessments"
CAT_STAFF_IDENTITY = "Staff sign-in identity"
CAT_ANALYTICS = "Website analytics"

# (name, description, provided by the subject (Art. 20), retention rule)
DATA_CATEGORIES = [
    (CAT_CONTACT, "Name, work email address, phone number and job title.", True, RULE_ACCOUNT),
    (
        CAT_ACCOUNT,
        "User id, organisation, role in the organisation, sign-in method, API key metadata.",
        True,
        RULE_ACCOUNT,
    ),
    (
        CAT_CONTENT,
        "Functions, evaluations, indexes and the data users put into them.",
        True,
        RULE_ACCOUNT,
    ),
    # Observed data generated by using the service counts as provided (WP242 rev.01).
    (
        CAT_USAGE,
        "API calls, features used, timestamps, IP address and user agent.",
        True,
        RULE_USAGE,
    ),
    (
        CAT_LOGS,
        "Records of requests to access data and of staff access to it.",
        False,
        RULE_LOGS,
    ),
    (
        CAT_INVOICES,
        "Invoices, billing address, VAT number, payment status; card data stays with Stripe.",
        False,
        RULE_ACCOUNTING,
    ),
    (CAT_SUPPORT, "Questions, requests and our answers, by email or chat.", True, RULE_SUPPORT),
    (
        CAT_NEWSLETTER,
        "Subscription, language, opt-outs (the suppression list), opens and clicks.",
        True,
        RULE_NEWSLETTER,
    ),
    (
        CAT_APPLICATIONS,
        "CV, cover letter, portfolio and anything else the applicant sends.",
        True,
        RULE_RECRUITING,
    ),
    (
        CAT_ASSESSMENTS,
        "Interview notes, test results and the hiring team's assessments.",
        False,
        RULE_RECRUITING,
    ),
    (
        CAT_STAFF_IDENTITY,
        "Staff name, work email, group membership, second factor and sign-in events.",
        False,
        RULE_STAFF,
    ),
    (
        CAT_ANALYTICS,
        "Pages visited, referrer, device type and a country derived from a truncated IP address.",
        True,
        RULE_ANALYTICS,
    ),
]

# --- Systems --------------------------------------------------------------------------------

AWS_STOCKHOLM = "AWS eu-north-1 (Stockholm, Sweden)"

SYS_DATABASE = "Platform database"
SYS_EVENTS = "Platform event store and logs"
SYS_BILLING = "Billing (Stripe)"
SYS_HELPDESK = "Support helpdesk"
SYS_NEWSLETTER = "Newsletter tool"
SYS_RECRUITING = "Recruiting (applications)"
SYS_ANALYTICS = "Website analytics"
SYS_GOOGLE = "Google Workspace"

# (name, description, location, owning team, data categories)
SYSTEMS = [
    (
        SYS_DATABASE,
        "PostgreSQL on Amazon RDS, encrypted with AWS KMS: organisations, users, functions, "
        "evaluations and indexes.",
        f"Amazon RDS, {AWS_STOCKHOLM}",
        "Platform",
        [CAT_CONTACT, CAT_ACCOUNT, CAT_CONTENT],
    ),
    (
        SYS_EVENTS,
        "Usage events and the access log (Amazon S3 and CloudWatch Logs), encrypted.",
        AWS_STOCKHOLM,
        "Platform",
        [CAT_USAGE, CAT_LOGS],
    ),
    (
        SYS_BILLING,
        "Stripe Billing and Checkout: customers, invoices and payments.",
        "Stripe Payments Europe, Ltd. (Ireland)",
        "Finance",
        [CAT_CONTACT, CAT_INVOICES],
    ),
    (
        SYS_HELPDESK,
        "The support@opper.ai mailbox and its ticket history, self-hosted.",
        AWS_STOCKHOLM,
        "Customer success",
        [CAT_CONTACT, CAT_SUPPORT],
    ),
    (
        SYS_NEWSLETTER,
        "Self-hosted mailing list sending through Amazon SES; holds the suppression list.",
        AWS_STOCKHOLM,
        "Marketing",
        [CAT_CONTACT, CAT_NEWSLETTER],
    ),
    (
        SYS_RECRUITING,
        "Self-hosted applicant tracking: applications, interview notes and assessments.",
        AWS_STOCKHOLM,
        "People",
        [CAT_CONTACT, CAT_APPLICATIONS, CAT_ASSESSMENTS],
    ),
    (
        SYS_ANALYTICS,
        "Self-hosted, cookieless website analytics.",
        AWS_STOCKHOLM,
        "Marketing",
        [CAT_ANALYTICS],
    ),
    (
        SYS_GOOGLE,
        "Staff accounts and single sign-on (SAML) to AWS, with mandatory two-factor "
        "authentication or passkeys.",
        "Google Cloud EMEA Limited (Ireland); sign-in infrastructure also in the United States",
        "Operations",
        [CAT_STAFF_IDENTITY],
    ),
]

# --- Processing activities (Art. 30) --------------------------------------------------------

ACT_SERVICE = "Providing the platform service"
ACT_IMPROVEMENT = "Improving the service"
ACT_SUPPORT = "Customer support and service communication"
ACT_INVOICING = "Invoicing, administration and bookkeeping"
ACT_NEWSLETTER = "Marketing newsletters"
ACT_RECRUITING = "Recruiting"
ACT_CUSTOMER_FUNCTIONS = "Running customers' AI functions on the platform"

PLATFORM_SECURITY = (
    "Encryption in transit (TLS) and at rest (AWS KMS); hosting in AWS eu-north-1; staff access "
    "through AWS accounts with SAML sign-in via Google and mandatory two-factor authentication "
    "or passkeys; least-privilege roles; every request for access and every access logged."
)
NO_THIRD_COUNTRY = "No recipients in third countries."
LIA_DATE = date(2024, 8, 12)

S = SubjectCategory
ACTIVITIES = [
    {
        "name": ACT_SERVICE,
        "purpose": (
            "To give customers and their users access to the Opper platform and operate it: "
            "accounts, organisations, functions, evaluations and indexes, as agreed in the "
            "Terms of Service."
        ),
        "description": (
            "Policy section 2, 'Providing the PaaS Service'. Where we only run what customers "
            "put into their functions we act as their processor: see "
            f"'{ACT_CUSTOMER_FUNCTIONS}'."
        ),
        "basis_contract": True,
        "subject_categories": [S.PLATFORM_USER, S.ORGANISATION_ADMIN],
        "data_categories": [CAT_CONTACT, CAT_ACCOUNT, CAT_CONTENT, CAT_USAGE, CAT_LOGS],
        "recipient_categories": (
            "Hosting provider (Amazon Web Services, processor, EU). Authorities when the law "
            f"requires it. {NO_THIRD_COUNTRY}"
        ),
        "data_source": (
            "From the user, or from the administrator of their organisation who invites them."
        ),
        "retention_rule": RULE_ACCOUNT,
        "retention_notes": "Usage events and access logs follow their own rules.",
        "security_measures": PLATFORM_SECURITY,
        "review": (-300, 65),
    },
    {
        "name": ACT_IMPROVEMENT,
        "purpose": (
            "To improve the platform: analyse trends in usage, personalise the user experience "
            "and optimise performance and functionality."
        ),
        "description": "Policy section 2, 'Service Improvements'.",
        "basis_legitimate_interests": True,
        "legitimate_interest_assessment": (
            "Interest: understanding how the platform is used, to fix problems, improve "
            "performance and build what customers need; a legitimate commercial interest.\n"
            "Necessity: usage events are the only reliable evidence of how the platform "
            "performs in use. We analyse events keyed by user id and aggregates, never the "
            "content of customers' functions.\n"
            "Balancing: users of a developer platform expect their use to be measured to "
            "improve it; the data is work-related, not sensitive, anonymised after 13 months, "
            "and no decision is taken about anyone. Users can object at support@opper.ai "
            "(Art. 21(1)).\n"
            "Outcome: the interest is not overridden by the users' interests or rights."
        ),
        "legitimate_interest_assessed_on": LIA_DATE,
        "subject_categories": [S.PLATFORM_USER, S.ORGANISATION_ADMIN, S.WEBSITE_VISITOR],
        "data_categories": [CAT_ACCOUNT, CAT_USAGE, CAT_ANALYTICS],
        "recipient_categories": (
            f"Hosting provider (Amazon Web Services, processor, EU). {NO_THIRD_COUNTRY}"
        ),
        "data_source": "Observed from the use of the platform and the website.",
        "retention_rule": RULE_USAGE,
        "retention_notes": "Website analytics: deleted 13 months after collection.",
        "security_measures": (
            "Analysis on pseudonymised events and aggregates; access limited to the product "
            "team. " + PLATFORM_SECURITY
        ),
        "review": (-350, 12),
    },
    {
        "name": ACT_SUPPORT,
        "purpose": (
            "To answer service questions and other requests, give customer support, and tell "
            "users about important updates and notifications."
        ),
        "description": (
            "Policy section 2, 'Communication and customer service'; the policy states the "
            "legitimate interest in providing customer service."
        ),
        "basis_legitimate_interests": True,
        "legitimate_interest_assessment": (
            "Interest: providing customer service and keeping users informed about the service "
            "they use.\n"
            "Necessity: a question cannot be answered without the sender's contact details and "
            "message; service notices go only to users of the organisations concerned.\n"
            "Balancing: people contact us themselves and expect an answer; conversations are "
            "deleted 24 months after the last message and only support staff read them.\n"
            "Outcome: the interest is not overridden."
        ),
        "legitimate_interest_assessed_on": LIA_DATE,
        "subject_categories": [S.PLATFORM_USER, S.ORGANISATION_ADMIN, S.WEBSITE_VISITOR],
        "data_categories": [CAT_CONTACT, CAT_ACCOUNT, CAT_SUPPORT],
        "recipient_categories": (
            f"Hosting provider for the helpdesk (Amazon Web Services, processor, EU). "
            f"{NO_THIRD_COUNTRY}"
        ),
        "data_source": (
            "From the person who contacts us; account details from the platform database."
        ),
        "retention_rule": RULE_SUPPORT,
        "security_measures": "Helpdesk access limited to support staff. " + PLATFORM_SECURITY,
        "review": (-380, -9),
    },
    {
        "name": ACT_INVOICING,
        "purpose": "To invoice customers, administer their agreements and keep the accounts.",
        "description": (
            "Policy section 2, 'Invoicing, administration, and bookkeeping': necessary for the "
            "contract and to comply with the Swedish Accounting Act."
        ),
        "basis_contract": True,
        "basis_legal_obligation": True,
        "legal_obligation_reference": (
            "Bokföringslagen (1999:1078) (Swedish Accounting Act), 7 kap. 2 §: accounting "
            "records are kept for seven years"
        ),
        "subject_categories": [S.ORGANISATION_ADMIN, S.SUPPLIER_CONTACT],
        "data_categories": [CAT_CONTACT, CAT_INVOICES],
        "recipient_categories": (
            "Stripe (independent controller for the payment transaction, Ireland); our "
            "accounting firm and auditor; the Swedish Tax Agency when it asks. "
            f"{NO_THIRD_COUNTRY}"
        ),
        "data_source": (
            "From the customer organisation when it signs up or orders; payment status from Stripe."
        ),
        "retention_rule": RULE_ACCOUNTING,
        "retention_notes": (
            "Contact details used only for administration are deleted with the account; "
            "accounting records follow the Bokföringslagen rule."
        ),
        "security_measures": (
            "Card data never reaches us (Stripe Checkout); access limited to finance staff. "
            + PLATFORM_SECURITY
        ),
        "review": (-120, 245),
    },
    {
        "name": ACT_NEWSLETTER,
        "purpose": (
            "To send newsletters about our services to existing customers and to people who "
            "have been in contact with us or signed up."
        ),
        "description": (
            "Policy section 3, 'Legitimate interest': newsletters to existing customers and "
            "contacts, with an opt-out in every newsletter and at support@opper.ai."
        ),
        "basis_legitimate_interests": True,
        "legitimate_interest_assessment": (
            "Interest: direct marketing of our own services (recital 47).\n"
            "Necessity: only name, email address, language and newsletter preferences are "
            "used.\n"
            "Balancing: customers and people who contacted us can expect news about similar "
            "services; every newsletter has an unsubscribe link and opt-out also works by "
            "email; an opt-out is absolute (Art. 21(2)-(3)) and kept on a suppression list; no "
            "profiling beyond opens and clicks; never sent to anyone known to be under 16. "
            "People without a customer relationship receive newsletters only after signing up "
            "(Marknadsföringslagen (2008:486) 19 §).\n"
            "Outcome: not overridden, provided opt-outs are honoured at once."
        ),
        "legitimate_interest_assessed_on": LIA_DATE,
        "subject_categories": [S.NEWSLETTER_SUBSCRIBER, S.PLATFORM_USER, S.ORGANISATION_ADMIN],
        "data_categories": [CAT_CONTACT, CAT_NEWSLETTER],
        "recipient_categories": (
            f"Email delivery (Amazon Web Services, processor, EU). {NO_THIRD_COUNTRY}"
        ),
        "data_source": "From the subscriber's sign-up, or from the customer relationship.",
        "retention_rule": RULE_NEWSLETTER,
        "security_measures": (
            "The suppression list is checked before every send; access limited to marketing "
            "staff. " + PLATFORM_SECURITY
        ),
        "review": (-340, 28),
    },
    {
        "name": ACT_RECRUITING,
        "purpose": "To assess applications for vacant positions and hire.",
        "description": (
            "Policy section 2, 'Recruiting'. Processed at the applicant's request to take steps "
            "before entering into an employment contract (Art. 6(1)(b))."
        ),
        "basis_contract": True,
        "subject_categories": [S.JOB_APPLICANT],
        "data_categories": [CAT_CONTACT, CAT_APPLICATIONS, CAT_ASSESSMENTS],
        "recipient_categories": (
            "The hiring team for the position. Hosting provider for the applicant tracking "
            f"system (Amazon Web Services, processor, EU). {NO_THIRD_COUNTRY}"
        ),
        "data_source": (
            "From the applicant; references only from people the applicant names, with the "
            "applicant's knowledge."
        ),
        "retention_rule": RULE_RECRUITING,
        "security_measures": (
            "Each position's applications are visible to its hiring team only. " + PLATFORM_SECURITY
        ),
        "review": (-200, 165),
    },
    {
        "name": ACT_CUSTOMER_FUNCTIONS,
        "role": ActivityRole.PROCESSOR,
        "purpose": (
            "On behalf of our customers (the controllers): storing and running their AI "
            "functions, evaluations and indexes on the personal data they choose to put into "
            "them, on their documented instructions in the data processing agreement of the "
            "Terms of Service."
        ),
        "description": (
            "Art. 30(2). Controllers: each customer organisation in the register. Categories "
            "of processing: storage, retrieval, model inference and evaluation. The data "
            "subjects are whoever the customer's data is about, typically the customer's own "
            "users and end users."
        ),
        "subject_categories": [S.PLATFORM_USER],
        "data_categories": [CAT_CONTENT],
        "recipient_categories": (
            "Sub-processor: Amazon Web Services (hosting, EU), on the public sub-processor "
            f"list. {NO_THIRD_COUNTRY}"
        ),
        "data_source": "From the customer, who decides what data its functions process.",
        "retention_rule": RULE_ACCOUNT,
        "retention_notes": (
            "Deleted or returned, at the customer's choice, at the end of the service "
            "(Art. 28(3)(g))."
        ),
        "security_measures": PLATFORM_SECURITY,
        "review": (-60, 305),
    },
]

# --- Organisations --------------------------------------------------------------------------

# (name, country, email domain, customer); the .example domains are reserved (RFC 2606) and
# two are internationalised, so unicode addresses appear in the register.
ORGANISATIONS = [
    ("Nordvind Analys AB", "SE", "nordvind.example", True),
    ("Sjöström & Ängel Konsult AB", "SE", "sjöström-ängel.example", True),
    ("Kustlinje Försäkring AB", "SE", "kustlinje.example", True),
    ("Granskog Logistik AB", "SE", "granskog.example", True),
    ("Ljusbacken Vård AB", "SE", "ljusbacken.example", True),
    ("Älvdalen Energi AB", "SE", "alvdalen-energi.example", True),
    ("Pohjoistuuli Oy", "FI", "pohjoistuuli.example", True),
    ("Järvikoski Data Oy", "FI", "jarvikoski.example", True),
    ("Nordlys Helseteknologi AS", "NO", "nordlys-helse.example", True),
    ("Havblik ApS", "DK", "havblik.example", True),
    ("Jökulsá Hugbúnaður ehf.", "IS", "jokulsa.example", True),
    ("Tuuleveski Tarkvara OÜ", "EE", "tuuleveski.example", True),
    ("Mainufer Datenwerk GmbH", "DE", "mainufer.example", True),
    ("Müller & Söhne Maschinenbau GmbH", "DE", "müller-söhne.example", True),
    ("Wisła Systemy sp. z o.o.", "PL", "wisla-systemy.example", True),
    ("Grachtenlicht B.V.", "NL", "grachtenlicht.example", True),
    ("Atelier Lumière SAS", "FR", "atelier-lumiere.example", True),
    ("Datos del Sur S.L.", "ES", "datosdelsur.example", True),
    ("Cliffside Analytics Ltd", "IE", "cliffside.example", True),
    ("Alpenblick Software GmbH", "AT", "alpenblick.example", True),
    ("Bokföringsbyrån Ekvall AB", "SE", "ekvall-bokforing.example", False),
]

# --- Data subjects --------------------------------------------------------------------------

SUBJECT_COUNT = 300
SUBJECT_SEED = 20240819
PRIVATE_DOMAINS = [
    "post.example",
    "e-post.example",
    "posti.example",
    "poczta.example",
    "邮件.example",
]

# Given names, family names, and whether the family name comes first; non-Latin names carry a
# transliteration for the address, because address local parts are ASCII.
NAMES = {
    "sv": (
        ["Anna", "Erik", "Åsa", "Björn", "Märta", "Linnea", "Oskar", "Göran", "Ingrid", "Elin"],
        ["Lindqvist", "Öberg", "Sjöström", "Åkesson", "Bäckström", "Nilsson", "Ekström", "Holm"],
        False,
    ),
    "fi": (
        ["Päivi", "Jussi", "Aino", "Mikko", "Hanna", "Tuomas", "Sanna", "Eero"],
        ["Häkkinen", "Virtanen", "Mäkelä", "Järvinen", "Korhonen", "Lähteenmäki"],
        False,
    ),
    "no": (
        ["Kari", "Ole", "Søren", "Mette", "Rasmus", "Sigrid", "Øystein", "Ingvild"],
        ["Hansen", "Bråten", "Sørensen", "Kjær", "Dahl", "Haugen"],
        False,
    ),
    "de": (
        ["Jürgen", "Anna-Lena", "Matthias", "Käthe", "Lukas", "Sabine", "Günther", "Leonie"],
        ["Müller", "Schäfer", "Weiß", "Groß", "Becker", "Köhler", "Hoffmann"],
        False,
    ),
    "pl": (
        ["Łukasz", "Małgorzata", "Agnieszka", "Paweł", "Zofia", "Krzysztof", "Katarzyna"],
        ["Nowak", "Kowalczyk", "Mazur", "Wójcik", "Zając", "Krawczyk"],
        False,
    ),
    "fr": (
        ["Chloé", "Étienne", "Hélène", "François", "Zoé", "Benoît"],
        ["Lefèvre", "Moreau", "Dubois", "Gauthier", "Rivière"],
        False,
    ),
    "es": (
        ["José", "María", "Inés", "Álvaro", "Lucía", "Iñigo"],
        ["García", "Núñez", "Fernández", "Muñoz", "Ibáñez"],
        False,
    ),
    "ar": (
        [("ليلى", "layla"), ("محمد", "mohammed"), ("يوسف", "yousef"), ("فاطمة", "fatima")],
        [("حداد", "haddad"), ("خوري", "khoury"), ("منصور", "mansour"), ("النجار", "alnajjar")],
        False,
    ),
    "zh": (
        [("芳", "fang"), ("伟", "wei"), ("静", "jing"), ("磊", "lei"), ("婷", "ting")],
        [("王", "wang"), ("李", "li"), ("张", "zhang"), ("陈", "chen"), ("刘", "liu")],
        True,
    ),
}
# Where the people of each country's organisations mostly come from; anyone can work anywhere.
NAME_ORIGINS = {
    "SE": ["sv", "sv", "sv", "fi", "ar", "pl", "de", "zh"],
    "FI": ["fi", "fi", "sv", "zh"],
    "NO": ["no", "no", "sv", "pl"],
    "DK": ["no", "no", "de"],
    "IS": ["no", "sv"],
    "EE": ["fi", "pl", "de"],
    "DE": ["de", "de", "de", "pl", "ar", "zh"],
    "PL": ["pl", "pl", "de"],
    "NL": ["de", "fr", "ar"],
    "FR": ["fr", "fr", "ar", "es"],
    "ES": ["es", "es", "fr"],
    "IE": ["fr", "pl", "zh", "es"],
    "AT": ["de", "de", "pl"],
}
CATEGORY_WEIGHTS = [
    (S.PLATFORM_USER, 60),
    (S.NEWSLETTER_SUBSCRIBER, 15),
    (S.JOB_APPLICANT, 10),
    (S.WEBSITE_VISITOR, 8),
    (S.SUPPLIER_CONTACT, 3),
    (S.ORGANISATION_ADMIN, 4),
]
UNDER_16 = {S.NEWSLETTER_SUBSCRIBER: 2, S.WEBSITE_VISITOR: 1}
SIGNUP_EVIDENCE = (
    "Newsletter sign-up form on opper.ai: an unticked box 'Send me the Opper newsletter' and a "
    "link to the privacy policy."
)


def _ascii(text: str) -> str:
    """A Latin name as an address-friendly ASCII word: 'Sjöström' -> 'sjostrom'."""
    text = text.lower().translate(str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "ł": "l"}))
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isascii() and (c.isalnum() or c in "-"))


def _person(rng: random.Random, origin: str) -> tuple[str, str]:
    """(display name, address local part) for someone from `origin`."""
    given_names, family_names, family_first = NAMES[origin]
    given, family = rng.choice(given_names), rng.choice(family_names)
    if isinstance(given, tuple):
        (given, given_ascii), (family, family_ascii) = given, family
    else:
        given_ascii, family_ascii = _ascii(given), _ascii(family)
    name = f"{family}{given}" if family_first else f"{given} {family}"
    return name, f"{given_ascii}.{family_ascii}"


def _subject_specs(organisations: dict[Organisation, str]) -> list[dict]:
    """The demo's data subjects, the same on every run (a fixed random seed).

    `organisations` maps each organisation to its email domain, in ORGANISATIONS order.
    """
    rng = random.Random(SUBJECT_SEED)  # noqa: S311 - reproducible demo data, not secrets
    customers = [org for org in organisations if org.is_customer]
    suppliers = [org for org in organisations if not org.is_customer]
    categories = [category for category, weight in CATEGORY_WEIGHTS for _ in range(weight)]
    # Every customer has an administrator; the rest are drawn by weight.
    plan = [(S.ORGANISATION_ADMIN, org) for org in customers]
    while len(plan) < SUBJECT_COUNT:
        category = rng.choice(categories)
        if category in (S.PLATFORM_USER, S.ORGANISATION_ADMIN):
            plan.append((category, rng.choice(customers)))
        elif category == S.SUPPLIER_CONTACT:
            plan.append((category, rng.choice(suppliers)))
        else:
            plan.append((category, None))
    under_16 = dict(UNDER_16)
    used: set[str] = set()
    specs = []
    for index, (category, organisation) in enumerate(plan):
        country = organisation.country_code if organisation else rng.choice(["SE", "SE", "FI"])
        origin = rng.choice(NAME_ORIGINS[country])
        name, local = _person(rng, origin)
        domain = organisations[organisation] if organisation else rng.choice(PRIVATE_DOMAINS)
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
            private = f"{local}{rng.randint(1, 99)}@{rng.choice(PRIVATE_DOMAINS)}"
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


def _seed_register(owner) -> None:
    _ensure(ControllerProfile, {"singleton": True}, CONTROLLER)
    rules = {}
    for fields in RETENTION_RULES:
        name, fields = fields["name"], {k: v for k, v in fields.items() if k != "name"}
        rules[name], _ = _ensure(RetentionRule, {"name": name}, fields)
    categories = {}
    for name, description, provided, rule in DATA_CATEGORIES:
        categories[name], _ = _ensure(
            DataCategory,
            {"name": name},
            {
                "description": description,
                "provided_by_subject": provided,
                "retention_rule": rules[rule],
            },
        )
    for name, description, location, team, held in SYSTEMS:
        _ensure(
            System,
            {"name": name},
            {
                "description": description,
                "location": location,
                "owner_team": team,
                "owner": owner,
            },
            {"data_categories": [categories[c] for c in held]},
        )
    today = timezone.localdate()
    for fields in ACTIVITIES:
        fields = dict(fields)
        reviewed, next_review = fields.pop("review")
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


def _seed_policy(publisher) -> dict[str, PolicyVersion]:
    versions = {}
    for language in (Language.ENGLISH, Language.SWEDISH):
        path = DEMO_DATA / f"privacy-policy-{POLICY_VERSION}.{language}.txt"
        version, _ = _ensure(
            PolicyVersion,
            {"version": POLICY_VERSION, "language": language},
            {
                "title": POLICY_TITLES[language],
                "effective_date": POLICY_EFFECTIVE,
                "body": path.read_text(encoding="utf-8").strip(),
            },
        )
        if not version.is_published:
            version = policy_version_publish(version=version, published_by=publisher)
        versions[language] = version
    return versions


def _seed_subjects(policies: dict[str, PolicyVersion]) -> int:
    """Create the generated subjects that are missing; returns how many were created."""
    organisations = {}
    for name, country, domain, customer in ORGANISATIONS:
        organisation, _ = _ensure(
            Organisation,
            {"name": name, "country_code": country},
            {"website": f"https://{domain}", "is_customer": customer},
        )
        organisations[organisation] = domain
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
    earliest = timezone.make_aware(datetime.combine(POLICY_EFFECTIVE, time(9)))
    signed_up = max(now - timedelta(days=spec["signed_up_days_ago"], hours=5), earliest)
    consent_record(
        subject=subject,
        action=ConsentAction.GIVEN,
        method=ConsentMethod.SIGNUP,
        evidence=SIGNUP_EVIDENCE,
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
    _seed_register(owner)
    policies = _seed_policy(owner)
    created = _seed_subjects(policies)
    stdout.write(
        f"Register: {ControllerProfile.objects.get()}, "
        f"{ProcessingActivity.objects.count()} processing activities, "
        f"{DataCategory.objects.count()} data categories, "
        f"{RetentionRule.objects.count()} retention rules, {System.objects.count()} systems, "
        f"policy {POLICY_VERSION} in {', '.join(policies)}, "
        f"{Organisation.objects.count()} organisations, "
        f"{DataSubject.objects.count()} data subjects ({created} new), "
        f"{ConsentRecord.objects.count()} consent records."
    )
