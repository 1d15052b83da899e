"""What every connector takes and gives back.

A connector receives a ConnectorRequest (everything it needs, read from the portal's database
before any outside call) and returns a ConnectorResult, or raises a ConnectorError saying
whether trying again later can help.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dsr.models import ConnectorQuery, SystemConnector
    from privacy.models import DataCategory


class ConnectorError(Exception):
    """The system could not be reached or refused the work. The message is shown to staff on
    the task and the case, so it names the problem, never the person's data."""

    transient = False

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class TransientConnectorError(ConnectorError):
    """Worth trying again later: a timeout, a refused connection, a 5xx answer, a lock."""

    transient = True


class PermanentConnectorError(ConnectorError):
    """Trying again cannot help until staff change something: bad SQL or credentials, a 4xx
    answer, a connector without what its kind needs."""

    transient = False


@dataclass(frozen=True)
class ConnectorRequest:
    """One task's work for a connector."""

    task_id: int
    task_public_id: str
    case_reference: str
    operation: str
    # Every known address of the person, normalised (lower case).
    emails: list[str]
    # The corrections of a rectification as a JSON object (text); "{}" otherwise.
    rectification: str
    connector: SystemConnector
    # The data categories the system holds, with their retention rules.
    categories: list[DataCategory]
    queries: list[ConnectorQuery] = field(default_factory=list)
    callback_url: str = ""

    @property
    def email(self) -> str:
        return self.emails[0] if self.emails else ""


@dataclass(frozen=True)
class RetainedRows:
    """Rows of a category under a legal hold that were restricted instead of erased."""

    category_id: int
    rows: int
    retained_until: date | None


@dataclass
class ConnectorResult:
    """What a connector did: counts for the task's result (never the data itself), exported
    rows for the result file, and what a legal hold kept."""

    waiting: bool = False
    summary: dict[str, Any] = field(default_factory=dict)
    # Exported rows by category name, then by query label.
    export: dict[str, dict[str, list[dict]]] | None = None
    retained: list[RetainedRows] = field(default_factory=list)
