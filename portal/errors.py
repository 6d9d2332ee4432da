"""Domain errors raised by services and mapped to responses in one place (portal.web.errors)."""


class DomainError(Exception):
    """Base of the errors a service raises; the message is shown to the user in Chinese."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The object does not exist, or the person may not know that it exists."""


class Forbidden(DomainError):
    """The person can see the object but may not do this to it."""


class Conflict(DomainError):
    """Someone else changed the object since the form was opened."""


class Invalid(DomainError):
    """Input failed validation; `errors` maps field names to Chinese reasons."""

    def __init__(self, errors: dict[str, str], message: str = "请更正标出的内容后再提交。") -> None:
        super().__init__(message)
        self.errors = errors


class Busy(DomainError):
    """The database could not take the change in time (answered 503 with Retry-After); nothing was saved."""
