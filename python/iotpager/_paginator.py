"""The paginator facade: botocore's own PageIterator over the C page engine.

``Paginator`` and ``PageIterator`` subclass botocore's classes, so
PaginationConfig (MaxItems, PageSize, StartingToken), resume tokens,
build_full_result(), search() and result_key_iters() are botocore's code
and behave exactly as botocore's. Where botocore calls the client's
``list_jobs`` method for each page, it calls an ``_Engine`` instead, which
hands out the pages of one C iterator (``_core.Pager``): the C core signs,
fetches, parses and builds each page and follows the nextToken itself; the
engine only checks that the request botocore asks for is the one the C
iterator has set up, and starts a new C iterator when it is not (a first
request, a StartingToken, iterating the same PageIterator again).
"""

from __future__ import annotations

import datetime
import functools
import logging
import time
from typing import Any, Dict, Optional

import jmespath.parser

import botocore.loaders
import botocore.paginate
import botocore.serialize
from dateutil.tz import tzlocal

from . import _core, _model
from ._config import transport_from_client
from ._controller import Controller
from ._limits import c_count, c_skip
from ._progress import Progress

OPERATION = "ListJobs"
DEFAULT_MAX_BODY = 64 * 1024 * 1024

# ListJobs runs on its own C walker (and the CLI's JSON writer) unless this
# is set: then it runs on its compiled plan like every other operation.
PLAN_FOR_LISTJOBS = False


def _normalize_path(path: str) -> str:
    """The path as SigV4 signs it: botocore's SigV4Auth._normalize_url_path."""
    import botocore.auth

    return botocore.auth.SigV4Auth._normalize_url_path(None, path)


def _check_tz(tz: str) -> str:
    if tz not in ("local", "utc", "raw"):
        raise ValueError(f"iotpager: tz must be 'local', 'utc' or 'raw', not {tz!r}")
    return tz


def _warn_insecure(host: str) -> None:
    """verify=False: the warning urllib3 gives boto3 for each request."""
    import warnings

    from urllib3.exceptions import InsecureRequestWarning

    warnings.warn(
        f"Unverified HTTPS request is being made to host '{host}'. Adding certificate "
        "verification is strongly advised. See: https://urllib3.readthedocs.io/en/latest/"
        "advanced-usage.html#tls-warnings",
        InsecureRequestWarning,
        stacklevel=2,
    )


def _client_serializer(client: Any) -> Any:
    """The request serializer of the client, the one ``client.list_jobs``
    uses: it validates the parameters unless the client was made with
    parameter validation off (``Config(parameter_validation=False)``, or
    ``parameter_validation = false`` in the profile, which the client's
    ``meta.config`` does not show)."""
    serializer = getattr(client, "_serializer", None)
    if callable(getattr(serializer, "serialize_to_request", None)):
        return serializer
    model = client.meta.service_model
    return botocore.serialize.create_serializer(
        getattr(model, "resolved_protocol", None) or model.protocol,
        include_validation=bool(client.meta.config.parameter_validation),
    )


def _query_text(value: Any) -> str:
    """The text of one query value as botocore.utils.percent_encode takes it
    (str() of anything but str and bytes); the C core percent-encodes it."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError("iotpager: a query parameter given as bytes must be UTF-8 "
                             f"(botocore would send the raw bytes): {value!r}") from None
    return str(value)


def _check_header_value(value: str) -> None:
    """A header parameter's value as http.client checks it before sending
    (boto3 gets HTTPClientError for a line break that is not a fold); a NUL,
    which boto3 sends and libcurl's header lines cannot carry, is refused the
    same way rather than cut short."""
    import re

    import botocore.exceptions

    if re.search(r"\n(?![ \t])|\r(?![ \t\n])", value) or "\x00" in value:
        raw = value.encode("latin-1", "replace")
        raise botocore.exceptions.HTTPClientError(
            error=ValueError(f"Invalid header value {raw!r}"))


def _wire_token(token: Any) -> Optional[str]:
    """A nextToken as botocore puts it on the wire (it is a string member:
    botocore's serializer leaves the value as it is, percent_encode str()s it)."""
    if token is None or type(token) is str:
        return token
    if isinstance(token, (list, tuple, dict)):
        # botocore would send one nextToken per element (or the dict's pairs)
        raise TypeError(f"iotpager: nextToken must be one value, not {type(token).__name__}")
    return _query_text(token)


class _Engine:
    """Stands in for ``client.list_jobs`` inside botocore's PageIterator."""

    def __init__(self, client: Any, tz: str = "local", max_body: int = DEFAULT_MAX_BODY,
                 prefetch: bool = True, progress: bool = False, operation: Any = None):
        self._client = client
        self._op = operation if operation is not None else _model.operation(client, OPERATION)
        self._use_plan = self._op.name != OPERATION or PLAN_FOR_LISTJOBS
        self._token_key = self._op.input_token_name
        self._result_key = self._op.result_keys[0] if self._op.result_keys else None
        self._tz = _check_tz(tz)
        self._max_body = int(max_body)
        self._prefetch = bool(prefetch)
        self._progress_wanted = bool(progress)
        self._progress: Optional[Progress] = None
        self._done = {"pages": 0, "jobs": 0, "bytes": 0, "requests": 0, "retries": 0}
        self._started: Optional[float] = None
        self._last: Optional[float] = None
        self._max_items = None   # botocore's MaxItems, so prefetch stops in time
        self._skip = 0           # jobs a StartingToken skips on the first page
        self._yielded = 0        # jobs handed to botocore's loop so far
        self._operation_model = self._op.model
        self._serializer = _client_serializer(client)
        self._transport = None
        self._pager: Optional[Any] = None
        self._pager_key: Optional[tuple] = None
        self._wire_key: Optional[tuple] = None
        self._wire_value: tuple = ()
        self._controller: Optional[Controller] = None
        self._insecure_host: Optional[str] = None

    def set_limits(self, max_items, skip):
        """MaxItems and the StartingToken's offset of the listing to come."""
        self._max_items = max_items
        self._skip = skip if isinstance(skip, int) and skip > 0 else 0
        self._yielded = 0

    def _new_pager(self, spec, token, first=True):
        params, headers, method, url_path, body, prefix, suffix = spec
        if self._transport is None:
            self._transport = transport_from_client(self._client, self._op.name)
            t = self._transport
            if not t.verify and t.endpoint.startswith("https:"):
                self._insecure_host = t.host.rsplit(":", 1)[0] if ":" in t.host and not t.host.endswith("]") else t.host
        t = self._transport
        if self._tz == "utc":
            tz_mode, tzinfo = _core.TZ_UTC, datetime.timezone.utc
        elif self._tz == "raw":
            tz_mode, tzinfo = _core.TZ_RAW, datetime.timezone.utc   # tzinfo unused
        else:
            tz_mode, tzinfo = _core.TZ_LOCAL, tzlocal()
        controller = Controller(self._client, self._tz, self._client.meta.endpoint_url,
                                operation=self._op if self._use_plan else None)
        self._controller = controller
        path = t.base_path + url_path
        return _core.Pager(
            controller,
            t.endpoint,
            t.host,
            t.region,
            list(params),
            token,
            tz_mode,
            tzinfo,
            service=t.service,
            path=path,
            canonical_path=_normalize_path(path),
            method=method,
            token_param=self._op.token_param,
            token_in_body=self._op.token_in_body,
            body=body,
            body_prefix=prefix,
            body_suffix=suffix,
            headers=list(headers),
            plan=self._op.plan if self._use_plan else None,
            connect_timeout=t.connect_timeout,
            read_timeout=t.read_timeout,
            verify=t.verify,
            ca_bundle=t.ca_bundle,
            proxy=t.proxy,
            user_agent=t.user_agent,
            join_folds=t.join_folds,
            max_body=self._max_body,
            prefetch=self._prefetch,
            max_items=c_count(None if self._max_items is None
                              else max(self._max_items - self._yielded, 0)),
            skip=c_skip(self._skip) if first else 0,
            success_hook=controller.success_hook,
            log_requests=logging.getLogger("iotpager").isEnabledFor(logging.DEBUG),
        )

    def _wire_params(self, kwargs):
        """The request but its input token, as the client's own serializer
        (validating as the client does) makes it for ``client.<operation>``:
        (query pairs, header pairs, method, URL path, body, and the body's
        prefix and suffix around the token when the token goes in the body).
        Query values are taken as botocore.utils.percent_encode_sequence takes
        them; the C core adds the token to the query, or splices it into the
        body. Done once per listing, then reused while only the token (a str)
        changes."""
        tkey = self._token_key
        token = kwargs.get(tkey)
        try:
            key = (list(kwargs).index(tkey) if tkey in kwargs else -1,
                   tuple((k, type(v), v) for k, v in kwargs.items() if k != tkey))
            hash(key)
        except TypeError:   # an unhashable value: serialize every time
            key = None
        if key is not None and key == self._wire_key and (token is None or type(token) is str):
            return self._wire_value
        # all of kwargs, the token too: validated as the client validates
        request = self._serializer.serialize_to_request(kwargs, self._operation_model)
        if self._op.token_in_body and tkey in kwargs:
            plain = {k: v for k, v in kwargs.items() if k != tkey}
            request = self._serializer.serialize_to_request(plain, self._operation_model)
        params = []
        for name, value in request["query_string"].items():
            if name == self._op.token_param and not self._op.token_in_body:
                continue
            for v in value if isinstance(value, list) else (value,):
                params.append((_query_text(name), _query_text(v)))
        headers = tuple((str(k), str(v)) for k, v in request["headers"].items())
        for _, value in headers:
            _check_header_value(value)
        method = request["method"]
        body = request.get("body") or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        prefix = suffix = None
        if self._op.token_in_body:
            prefix, suffix = _model.body_template(self._serializer, self._op, kwargs)
        if method == "GET":
            body = None
        spec = (tuple(params), headers, method, request["url_path"], body, prefix, suffix)
        self._wire_key, self._wire_value = key, spec
        return spec

    def __call__(self, **kwargs):
        params = self._wire_params(kwargs)
        token = _wire_token(kwargs.get(self._token_key))
        pager = self._pager
        pending = None if pager is None else pager.next_token
        if pending == "None":
            pending = None   # the C core, like botocore, does not send 'None'
        if (
            pager is None
            or pager.finished
            or self._pager_key != params
            or pending != (None if token == "None" else token)
        ):
            if pager is not None:
                self._retire(pager)
            self._pager = pager = self._new_pager(params, token, self._yielded == 0)
            self._pager_key = params
        self._controller.request_kwargs = kwargs
        if self._insecure_host is not None:
            _warn_insecure(self._insecure_host)
        if self._started is None:
            self._started = time.monotonic()
            if self._progress_wanted:
                self._progress = Progress()
        try:
            page = next(pager)
        except BaseException:
            self._end_progress()
            raise
        self._last = time.monotonic()
        jobs = page.get(self._result_key) if self._result_key else None
        if isinstance(jobs, list):
            n = len(jobs)
            if self._yielded == 0 and self._skip:
                n = max(n - self._skip, 0)
            self._yielded += n
        if self._progress is not None:
            st = self.stats
            self._progress.update(st["pages"], st["jobs"])
            if pager.finished:
                self._end_progress()
        return page

    def _retire(self, pager):
        """Close a C iterator, keeping its counters for ``stats``."""
        for key, value in pager.stats.items():
            self._done[key] += value
        pager.close()

    def _end_progress(self):
        if self._progress is not None:
            self._progress.close()
            self._progress = None

    @property
    def stats(self) -> Dict[str, Any]:
        """pages, jobs, bytes, requests, retries and elapsed seconds so far."""
        out = dict(self._done)
        if self._pager is not None:
            for key, value in self._pager.stats.items():
                out[key] += value
        start = self._started
        out["elapsed"] = 0.0 if start is None else (self._last or start) - start
        return out

    def one_page(self, **kwargs):
        """One call (client.list_jobs(...), client.list_things(...)): a fresh
        C iterator, one page."""
        params = self._wire_params(kwargs)
        token = _wire_token(kwargs.get(self._token_key))
        prefetch, self._prefetch = self._prefetch, False   # one page: nothing to prefetch
        try:
            pager = self._new_pager(params, token)
        finally:
            self._prefetch = prefetch
        self._controller.request_kwargs = kwargs
        try:
            return next(pager)
        finally:
            pager.close()

    def close(self):
        self._end_progress()
        if self._pager is not None:
            self._retire(self._pager)
            self._pager = None


class PageIterator(botocore.paginate.PageIterator):
    """botocore's PageIterator, fed by the C engine.

    Its result_keys and output tokens are the ParsedResults botocore compiled
    (what anyone looking at the iterator sees, between pages too). Only while
    botocore's own code runs inside a next() or build_full_result() do twins
    that search a page with a dict lookup (_Field) stand in for them: a
    jmespath visitor costs about 4 us per expression and page, and the loop
    searches two a page."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._botocore_exprs = (self._result_keys, self._output_token)
        self._fast_exprs = (_fast_fields(self._result_keys), _fast_fields(self._output_token))

    def _fast_in(self) -> bool:
        """Put the twins in place of botocore's expressions; False if they are
        in place already (an outer call restores) or if something else was
        put there."""
        if self._result_keys is not self._botocore_exprs[0] or (
                self._output_token is not self._botocore_exprs[1]):
            return False
        self._result_keys, self._output_token = self._fast_exprs
        return True

    def _fast_out(self) -> None:
        self._result_keys, self._output_token = self._botocore_exprs

    def __iter__(self):
        skip = 0
        if self._starting_token is not None:
            try:
                skip = self._parse_starting_token()[1]
            except Exception:  # botocore's own __iter__ raises it just below
                skip = 0
        self._method.set_limits(self._max_items, skip)
        pages = super().__iter__()
        try:
            while True:
                swapped = self._fast_in()
                try:
                    page = next(pages)
                except StopIteration:
                    return
                finally:
                    if swapped:
                        self._fast_out()
                yield page
        finally:
            pages.close()

    def build_full_result(self):
        swapped = self._fast_in()
        try:
            return super().build_full_result()
        finally:
            if swapped:
                self._fast_out()

    def close(self):
        """Release the connection, thread and buffers of the C iterator now."""
        self._method.close()

    @property
    def stats(self):
        """Counters of this listing: pages, jobs, bytes, requests, retries and
        elapsed seconds (from the first request to the latest page)."""
        return self._method.stats


class _Field(jmespath.parser.ParsedResult):
    """A compiled JMESPath field expression (``jobs``, ``nextToken``) whose
    search of a dict is a dict lookup: the same result as jmespath's, without
    a visitor per page. Anything else goes through jmespath."""

    def __init__(self, name: str):
        super().__init__(name, {"type": "field", "children": [], "value": name})
        self._name = name

    def search(self, value, options=None):
        if options is None and type(value) is dict:
            return value.get(self._name)
        return super().search(value, options)


def _fast_fields(exprs):
    """Twins of compiled expressions: a _Field for each plain field name."""
    if exprs is None:
        return None
    out = []
    for e in exprs:
        parsed = getattr(e, "parsed", None)
        if isinstance(parsed, dict) and parsed.get("type") == "field" and not parsed.get("children"):
            out.append(_Field(parsed["value"]))
        else:
            out.append(e)
    return out


class Paginator(botocore.paginate.Paginator):
    """``client.get_paginator(name)``, accelerated: any paginated operation
    of the client's service model (ListJobs, ListThings, ...)."""

    PAGE_ITERATOR_CLS = PageIterator

    def __init__(self, client: Any, tz: str = "local", max_body: int = DEFAULT_MAX_BODY,
                 prefetch: bool = True, progress: bool = False, operation: str = OPERATION):
        self._client = client
        self._tz = _check_tz(tz)
        self._max_body = max_body
        self._prefetch = prefetch
        self._progress = progress
        self._op = _model.operation(client, operation)
        super().__init__(self._make_engine(), self._op.config, self._op.model)

    def _make_engine(self):
        return _Engine(self._client, self._tz, self._max_body, self._prefetch, self._progress,
                       self._op)

    def paginate(self, **kwargs):
        """botocore's Paginator.paginate, with an engine (and so a C iterator)
        of its own for each PageIterator: nothing is shared between listings
        or threads, and nothing outlives its PageIterator."""
        page_params = self._extract_paging_params(kwargs)
        return self.PAGE_ITERATOR_CLS(
            self._make_engine(),
            self._input_token,
            self._output_token,
            self._more_results,
            self._result_keys,
            self._non_aggregate_keys,
            self._limit_key,
            page_params["MaxItems"],
            page_params["StartingToken"],
            page_params["PageSize"],
            kwargs,
        )


# The stubs' names for any other operation's paginator (the same classes).
AnyPaginator = Paginator
AnyPageIterator = PageIterator
