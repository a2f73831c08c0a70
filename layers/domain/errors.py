"""Domain errors. No HTTP codes here: api/ and portal/ map them to statuses.

`public_message` is written for the person reading it and never contains a figure.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    code = "error"

    def __init__(self, public_message: str, *, parameter: str | None = None) -> None:
        super().__init__(public_message)
        self.public_message = public_message
        self.parameter = parameter


class ParamError(DomainError):
    """A request parameter is malformed or out of range."""

    code = "bad_parameter"


class NotFound(DomainError):
    """The thing named does not exist (or is not visible to the caller)."""

    code = "not_found"
