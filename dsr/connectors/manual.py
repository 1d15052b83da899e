"""The manual connector: nothing runs. The task waits for its named owner, who follows the
connector's instructions and completes it with evidence
(dsr.services.fulfilment.task_complete_manual)."""

from dsr.connectors.base import ConnectorRequest, ConnectorResult


def run(request: ConnectorRequest) -> ConnectorResult:
    return ConnectorResult(waiting=True, summary={"operation": request.operation})
