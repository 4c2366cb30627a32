"""Domain errors. Services raise these; the web and API layers turn them into a Chinese message
naming the field, with the HTTP status given here."""

from __future__ import annotations


class DomainError(Exception):
    """A refusal the user can act on. ``field`` names the input at fault (or None)."""

    status = 422

    def __init__(self, message: str, *, field: str | None = None, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors = errors or ({field: [message]} if field else {})


class InvalidInput(DomainError):
    status = 400


class Conflict(DomainError):
    """The state of the record does not allow this action, or someone else changed it."""

    status = 409


class NotAllowed(DomainError):
    status = 403


class NotFound(DomainError):
    """What was asked for does not exist (or is not this user's to see)."""

    status = 404
