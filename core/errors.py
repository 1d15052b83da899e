"""Errors every app raises, turned into messages by admin, views and commands.

A forbidden transition or a rule that the current state does not allow raises ApplicationError;
malformed input raises django.core.exceptions.ValidationError.
"""


class ApplicationError(Exception):
    def __init__(self, message: str, *, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


def require(reason: str | None) -> None:
    """Refuse with `reason` unless a rule returned None: the rule modules (dsr.rules,
    privacy.rules) give the reason, the services call this."""
    if reason is not None:
        raise ApplicationError(reason)
