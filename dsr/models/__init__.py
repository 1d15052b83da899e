"""Data subject requests from receipt to proof, by sub-domain (cases, fulfilment, letters,
exports).

A Submission is what arrived (a form, a letter, a call); it holds one DsrCase per right, which
are answered together. Every state change goes through dsr.services, which writes a CaseEvent
(append-only, see the migration) so the timeline proves what was done and when.
"""

from dsr.models.cases import (
    CaseEvent,
    CasePause,
    DsrCase,
    ReferenceCounter,
    Submission,
    VerificationToken,
)
from dsr.models.exports import DownloadCode, ExportFile, ExportJob
from dsr.models.fulfilment import (
    CaseTask,
    ConnectorQuery,
    RetainedData,
    RetentionRun,
    SystemConnector,
)
from dsr.models.letters import Letter, LetterTemplate

__all__ = [
    "CaseEvent",
    "CasePause",
    "CaseTask",
    "ConnectorQuery",
    "DownloadCode",
    "DsrCase",
    "ExportFile",
    "ExportJob",
    "Letter",
    "LetterTemplate",
    "ReferenceCounter",
    "RetainedData",
    "RetentionRun",
    "Submission",
    "SystemConnector",
    "VerificationToken",
]
