"""Names of the demo register's rows, by the `key` each has in demo/data/register.toml: how
the demo's code, the tests and the bench refer to "the platform database" or "invoices"
without repeating the text."""

from demo import datafiles

_REGISTER = datafiles.load("register")


def _by_key(section: str) -> dict[str, str]:
    return {row["key"]: row["name"] for row in _REGISTER[section]}


RULES = _by_key("retention_rules")
CATEGORIES = _by_key("data_categories")
SYSTEMS = _by_key("systems")
ACTIVITIES = _by_key("activities")

POLICY_VERSION = _REGISTER["policy"]["version"]

RULE_ACCOUNTING = RULES["accounting"]
RULE_ACCOUNT = RULES["account"]
RULE_RECRUITING = RULES["recruiting"]

CAT_CONTACT = CATEGORIES["contact"]
CAT_ACCOUNT = CATEGORIES["account"]
CAT_CONTENT = CATEGORIES["content"]
CAT_USAGE = CATEGORIES["usage"]
CAT_LOGS = CATEGORIES["logs"]
CAT_INVOICES = CATEGORIES["invoices"]
CAT_SUPPORT = CATEGORIES["support"]
CAT_NEWSLETTER = CATEGORIES["newsletter"]
CAT_APPLICATIONS = CATEGORIES["applications"]
CAT_ASSESSMENTS = CATEGORIES["assessments"]
CAT_STAFF_IDENTITY = CATEGORIES["staff_identity"]
CAT_ANALYTICS = CATEGORIES["analytics"]

SYS_DATABASE = SYSTEMS["database"]
SYS_EVENTS = SYSTEMS["events"]
SYS_BILLING = SYSTEMS["billing"]
SYS_HELPDESK = SYSTEMS["helpdesk"]
SYS_NEWSLETTER = SYSTEMS["newsletter"]
SYS_RECRUITING = SYSTEMS["recruiting"]
SYS_ANALYTICS = SYSTEMS["analytics"]
SYS_GOOGLE = SYSTEMS["google"]

ACT_SERVICE = ACTIVITIES["service"]
ACT_IMPROVEMENT = ACTIVITIES["improvement"]
ACT_SUPPORT = ACTIVITIES["support"]
ACT_INVOICING = ACTIVITIES["invoicing"]
ACT_NEWSLETTER = ACTIVITIES["newsletter"]
ACT_RECRUITING = ACTIVITIES["recruiting"]
ACT_CUSTOMER_FUNCTIONS = ACTIVITIES["customer_functions"]
