"""Domain errors: services raise them, views turn them into form errors or flash messages."""


class DomainError(Exception):
    """A business rule was broken. `message` is user-facing (already translated, lazily)."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class NotAllowed(DomainError):
    pass


class InvalidTransition(DomainError):
    pass


class StaleVersion(DomainError):
    pass
