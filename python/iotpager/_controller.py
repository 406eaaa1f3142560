"""The per-iterator controller: the rare-path decisions the C core asks for.

The C iterator (``_core.Pager``) calls:

* ``credentials()`` once per request (the only per-page Python call): the
  botocore credentials object's frozen credentials, so refreshes are seen;
* ``http_error()`` for a status >= 301: parses the response with botocore's
  own RestJSONParser and raises the client's own exception class;
* ``transport_error()`` for a failed transfer: raises botocore's exception;
* ``invalid_response()`` for a 2xx body that is not a ListJobs page;
* ``duplicate_token()``: botocore's PaginationError;
* ``timestamp()`` for a timestamp C does not build (strings, odd values):
  botocore's parse_timestamp.

Each returns a retry delay in seconds, or raises.

Retries are botocore's own: the controller emits the client's
``needs-retry.iot.ListJobs`` event with the same arguments botocore's
endpoint passes (attempt number, (http_response, parsed) or the caught
exception, the request context), so the client's retry mode (legacy,
standard, adaptive), max_attempts, retryable codes, backoff, jitter and
retry quota decide, exactly as for boto3. The C core sleeps the returned
delay (interruptibly) and re-signs the next attempt with fresh credentials.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from typing import Any

import botocore.awsrequest
import botocore.exceptions
import botocore.parsers
import botocore.serialize
import botocore.utils
from botocore.hooks import first_non_none_response

from .exceptions import InvalidResponseError

_OPERATION = "ListJobs"
logger = logging.getLogger("iotpager")


class Controller:
    def __init__(self, client: Any, tz_mode: str = "local", endpoint_url: str = "",
                 operation: Any = None):
        """operation: the compiled iotpager._model.Operation (None: ListJobs
        on the C walker of its own, without a plan)."""
        self._client = client
        self._operation = operation
        op_name = operation.name if operation is not None else _OPERATION
        self._op_name = op_name
        self._token_name = operation.input_token_name if operation is not None else "nextToken"
        self._credentials = client._request_signer._credentials
        self._tz_mode = tz_mode
        self._endpoint_url = endpoint_url or client.meta.endpoint_url
        self._parser = botocore.parsers.create_parser("rest-json")
        self._operation_model = client.meta.service_model.operation_model(op_name)
        service_id = self._operation_model.service_model.service_id.hyphenize()
        self._retry_event = f"needs-retry.{service_id}.{op_name}"
        self._after_call_event = f"after-call.{service_id}.{op_name}"
        self._value_parser = None   # made on first use by parse_shape
        self._request_dict = None
        retries = getattr(client.meta.config, "retries", None) or {}
        # legacy handlers have nothing to say about a first-try success
        self.success_hook = retries.get("mode", "legacy") != "legacy"
        self.request_kwargs = None   # set by the engine for each page

    def _request_url(self) -> str:
        """The URL botocore would have requested for the current page."""
        if self.request_kwargs is None:
            return self._endpoint_url
        try:
            serializer = botocore.serialize.create_serializer("rest-json", include_validation=False)
            request_dict = serializer.serialize_to_request(self.request_kwargs, self._operation_model)
            botocore.awsrequest.prepare_request_dict(request_dict, endpoint_url=self._endpoint_url)
            return request_dict["url"]
        except Exception:  # the message only; never hide the real error
            return self._endpoint_url

    # -- retries ---------------------------------------------------------------

    def _retry_delay(self, attempt, response=None, exception=None):
        """botocore.endpoint.Endpoint._needs_retry: the delay, or None."""
        if attempt == 0 or self._request_dict is None:
            self._request_dict = {"context": {"client_config": self._client.meta.config}}
        context = self._request_dict["context"]
        retries = context.setdefault("retries", {})
        retries["attempt"] = attempt + 1
        retries.setdefault("invocation-id", str(uuid.uuid4()))
        responses = self._client.meta.events.emit(
            self._retry_event,
            response=response,
            endpoint=self._client._endpoint,
            operation=self._operation_model,
            attempts=attempt + 1,
            caught_exception=exception,
            request_dict=self._request_dict,
        )
        delay = first_non_none_response(responses)
        if delay is None or delay is False:
            return None
        return float(delay)

    # -- per request ---------------------------------------------------------

    def credentials(self):
        creds = self._credentials
        if creds is None:
            raise botocore.exceptions.NoCredentialsError()
        frozen = creds.get_frozen_credentials()
        if frozen.access_key is None or frozen.secret_key is None:
            raise botocore.exceptions.NoCredentialsError()
        return (frozen.access_key, frozen.secret_key, frozen.token or None)

    # -- errors --------------------------------------------------------------

    def _parse_error(self, status: int, headers: dict, body: bytes) -> dict:
        response = {"status_code": status, "headers": headers, "body": body, "context": {}}
        parsed = self._parser.parse(response, self._operation_model.output_shape)
        # botocore.endpoint: a second pass picks up modeled error fields
        code = parsed.get("Error", {}).get("Code")
        if code is not None:
            shape = self._operation_model.service_model.shape_for_error_code(code)
            if shape is not None:
                parsed.update(self._parser.parse(response, shape))
        return parsed

    def http_error(self, status: int, headers: dict, body: bytes, attempt: int) -> float:
        parsed = self._parse_error(status, headers, body)
        http_response = botocore.awsrequest.AWSResponse(
            self._endpoint_url, status, headers, _Raw(body)
        )
        delay = self._retry_delay(attempt, response=(http_response, parsed))
        if delay is not None:
            return delay
        # botocore.endpoint sets it after the retry loop, so after any
        # MaxAttemptsReached the retry handler added
        if "ResponseMetadata" in parsed:
            parsed["ResponseMetadata"]["RetryAttempts"] = attempt
        self._after_call(http_response, parsed)
        self._request_dict = None
        error_info = parsed.get("Error", {})
        error_code = error_info.get("QueryErrorCode") or error_info.get("Code")
        error_class = self._client.exceptions.from_code(error_code)
        raise error_class(parsed, self._op_name)

    def _transport_exception(self, kind: str, curl_code: int, message: str):
        url = self._request_url()
        exc = botocore.exceptions
        if kind == "connect":
            return exc.EndpointConnectionError(endpoint_url=url, error=message)
        if kind == "connect_timeout":
            return exc.ConnectTimeoutError(endpoint_url=url, error=message)
        if kind == "read_timeout":
            return exc.ReadTimeoutError(endpoint_url=url, error=message)
        if kind == "closed":
            return exc.ConnectionClosedError(endpoint_url=url, error=message)
        if kind == "ssl":
            return exc.SSLError(endpoint_url=url, error=message)
        if kind == "proxy":
            return exc.ProxyConnectionError(proxy_url=url, error=message)
        if kind == "too_big":
            return InvalidResponseError(message, "$", None, None)
        return exc.HTTPClientError(error=f"{message} (curl error {curl_code})")

    def transport_error(self, kind: str, curl_code: int, message: str, url: str,
                        attempt: int) -> float:
        error = self._transport_exception(kind, curl_code, message)
        if not isinstance(error, InvalidResponseError):
            delay = self._retry_delay(attempt, exception=error)
            if delay is not None:
                return delay
        raise error

    def success(self, status: int, headers: dict, page: dict, attempt: int) -> None:
        """A 2xx page, shown to the retry handlers as botocore's endpoint does."""
        http_response = botocore.awsrequest.AWSResponse(
            self._endpoint_url, status, headers, _Raw(b"")
        )
        self._retry_delay(attempt, response=(http_response, page))
        self._after_call(http_response, page)
        self._request_dict = None

    def _after_call(self, http_response, parsed) -> None:
        """botocore's client emits after-call for every response it got (the
        standard retry mode gives retry quota back there)."""
        context = self._request_dict["context"] if self._request_dict else {}
        self._client.meta.events.emit(
            self._after_call_event,
            http_response=http_response,
            parsed=parsed,
            model=self._operation_model,
            context=context,
        )

    def log_request(self, method: str, target: str, status: int, nbytes: int,
                    seconds: float, attempt: int, error: str) -> None:
        """One DEBUG line per request: never a header, so never a credential."""
        if error:
            logger.debug("%s %s -> failed after %.1f ms (attempt %d): %s",
                         method, target, seconds * 1000, attempt + 1, error)
        else:
            logger.debug("%s %s -> %d, %d bytes, %.1f ms (attempt %d)",
                         method, target, status, nbytes, seconds * 1000, attempt + 1)

    def invalid_response(self, reason: str, path: str, metadata) -> float:
        status = request_id = None
        if isinstance(metadata, dict):
            status = metadata.get("HTTPStatusCode")
            request_id = metadata.get("RequestId")
        raise InvalidResponseError(reason, path, status, request_id, self._op_name)

    def duplicate_token(self, token) -> float:
        next_token = {self._token_name: token}
        raise botocore.exceptions.PaginationError(
            message=f"The same next token was received twice: {next_token}"
        )

    # -- values ----------------------------------------------------------------

    def parse_shape(self, node: int, value):
        """botocore's RestJSONParser on one value the C builder leaves to it
        (node indexes the compiled plan's shapes), with this iterator's
        timestamps."""
        parser = self._value_parser
        if parser is None:
            # tz "raw" (the CLI): timestamps stay as the service sent them
            stamp = (lambda value: value) if self._tz_mode == "raw" else self.timestamp
            parser = botocore.parsers.RestJSONParser(timestamp_parser=stamp)
            self._value_parser = parser
        return parser._parse_shape(self._operation.shapes[node], value)

    def timestamp(self, value):
        result = botocore.utils.parse_timestamp(value)
        if self._tz_mode == "utc" and result.tzinfo is not None:
            result = result.astimezone(datetime.timezone.utc)
        return result


class _Raw:
    """The ``raw`` of a botocore AWSResponse over bytes already read."""

    def __init__(self, body: bytes):
        self._body = body

    def stream(self, **kwargs):
        yield self._body
