"""iotpager's own exception: a 2xx response that is not a page of its operation.

Everything else iotpager raises is botocore's own class (ClientError and its
modeled subclasses, PaginationError, ParamValidationError, the
EndpointConnectionError family), so existing ``except`` clauses keep working.
"""

from botocore.parsers import ResponseParserError


class InvalidResponseError(ResponseParserError):
    """The service answered 2xx with a body that is not a page of the operation.

    botocore would either yield a page without ``jobs`` and stop (invalid
    JSON) or crash with AttributeError (wrong shape); iotpager stops with
    this error instead, so no job is silently lost.

    Attributes: ``reason`` (what is wrong), ``path`` (where, as a JSON path
    like ``$.jobs[7].createdAt``), ``status`` (HTTP status) and
    ``request_id`` (may be None), ``operation`` (e.g. ``ListThings``).
    """

    def __init__(self, reason, path, status=None, request_id=None, operation="ListJobs"):
        self.operation = operation
        self.reason = reason
        self.path = path
        self.status = status
        self.request_id = request_id
        where = f"HTTP {status}" if status is not None else "response"
        if request_id:
            where += f", request id {request_id}"
        super().__init__(f"Invalid {operation} response ({where}): {reason} at {path}")

    def __reduce__(self):
        return (type(self), (self.reason, self.path, self.status, self.request_id, self.operation))
