"""One hierarchy of errors, each carrying its HTTP status and CLI exit code."""

from __future__ import annotations


class AikgError(Exception):
    """Base of every error aikg reports to a user."""

    status_code = 500
    exit_code = 1
    title = "Internal error"
    #: Seconds a client should wait before trying again (sent as Retry-After), when waiting helps.
    retry_after: int | None = None

    def __init__(self, message: str, *, details: object | None = None, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        if retry_after is not None:
            self.retry_after = retry_after

    def to_dict(self) -> dict[str, object]:
        """Return the documented JSON error body."""
        body: dict[str, object] = {"error": self.title, "status": self.status_code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return body


class BadRequest(AikgError):
    status_code = 400
    exit_code = 2
    title = "Bad request"


class BadQuery(BadRequest):
    title = "Bad query"


class NotFound(AikgError):
    status_code = 404
    title = "Not found"


class UpdateForbidden(AikgError):
    status_code = 403
    exit_code = 2
    title = "Update forbidden"


class NotAcceptable(AikgError):
    status_code = 406
    title = "Not acceptable"


class PayloadTooLarge(AikgError):
    status_code = 413
    title = "Query too large"


class UnsupportedMediaType(AikgError):
    status_code = 415
    title = "Unsupported media type"


class QueryTimeout(AikgError):
    """A query ran past its time limit and was abandoned (documented status: 503)."""

    status_code = 503
    exit_code = 3
    title = "Query timeout"
    retry_after = 10

    @classmethod
    def after(cls, seconds: float) -> QueryTimeout:
        """Return the error for a query stopped at a limit of `seconds` (the one wording, every store)."""
        return cls(
            f"The query ran longer than the {seconds:g} s limit and was stopped. "
            "Narrow it (add LIMIT, more specific patterns) or run it on a store you control."
        )


class InvalidSetting(AikgError):
    """An unknown setting, a misspelt AIKG_* variable, or a value of the wrong type."""

    exit_code = 2
    title = "Invalid setting"


class StoreUnavailable(AikgError):
    """The store could not be reached or failed to answer (502; 503 while it is known to be down)."""

    status_code = 502
    exit_code = 3
    title = "Store unavailable"
    retry_after = 5

    def __init__(
        self, message: str, *, details: object | None = None, retry_after: int | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message, details=details, retry_after=retry_after)
        if status_code is not None:
            self.status_code = status_code


class StoreFailed(StoreUnavailable):
    """The store answered, with a failure of its own (it could not compile or run a valid query): 502."""



class InvalidData(AikgError):
    """Data that does not parse or does not conform to the shapes."""

    status_code = 422
    exit_code = 1
    title = "Invalid data"

    def __init__(self, message: str, *, report: object | None = None, details: object | None = None) -> None:
        super().__init__(message, details=details)
        self.report = report


# -- remote stores (issue 16) ---------------------------------------------------------------------------


class StoreTimeout(StoreUnavailable):
    """The store did not accept the connection or send its answer in time (504)."""

    status_code = 504
    title = "Store timeout"


class StoreInconsistent(AikgError):
    """The store's graphs do not match their publication record: serving them would be wrong (503)."""

    status_code = 503
    exit_code = 3
    title = "Store data incomplete"
    retry_after = 60


# -- serving: the HTTP front, engine processes, fair share ----------------------------------------------


class RequestTimeout(AikgError):
    """A client took too long to send its request."""

    status_code = 408
    title = "Request timeout"


class TooManyRequests(AikgError):
    """A client spent its share of engine time, or runs too many queries at once (429, with Retry-After)."""

    status_code = 429
    exit_code = 3
    title = "Too many requests"

    def __init__(self, message: str, *, retry_after: int, details: object | None = None) -> None:
        super().__init__(message, details=details, retry_after=retry_after)


class ServiceBusy(AikgError):
    """Every query engine is busy and the queue is full, or a query waited its limit in the queue (503)."""

    status_code = 503
    exit_code = 3
    title = "Service busy"

    def __init__(self, message: str, *, retry_after: int, details: object | None = None) -> None:
        super().__init__(message, details=details, retry_after=retry_after)


class EngineFailure(AikgError):
    """The engine process answering a query died (a crash); it has been replaced (500)."""

    status_code = 500
    exit_code = 3
    title = "Engine failure"
