"""How the portal reaches a System's data: one module per connector kind.

`connector_for_kind(kind)` returns the module-level `run(request)` of that kind; each returns a
ConnectorResult or raises ConnectorError (TransientConnectorError: try again later;
PermanentConnectorError: staff must fix something first). Connectors never touch the portal's
own database: dsr.services.fulfilment records what they report.
"""

from dsr.choices import ConnectorKind
from dsr.connectors.base import (
    ConnectorError,
    ConnectorRequest,
    ConnectorResult,
    PermanentConnectorError,
    RetainedRows,
    TransientConnectorError,
)


def connector_for_kind(kind: str):
    from dsr.connectors import manual, postgresql, webhook

    return {
        ConnectorKind.POSTGRESQL: postgresql.run,
        ConnectorKind.WEBHOOK: webhook.run,
        ConnectorKind.MANUAL: manual.run,
    }[ConnectorKind(kind)]


__all__ = [
    "ConnectorError",
    "ConnectorRequest",
    "ConnectorResult",
    "PermanentConnectorError",
    "RetainedRows",
    "TransientConnectorError",
    "connector_for_kind",
]
