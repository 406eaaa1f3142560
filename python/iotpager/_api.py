"""iotpager's public functions (loaded on first use by iotpager/__init__.py).

iotpager: AWS IoT ListJobs pages, as boto3 gives them, much faster.

    import boto3, iotpager
    client = boto3.client("iot")
    for page in iotpager.get_paginator(client, "list_jobs").paginate():
        ...

The pages are equal to botocore's for the same HTTP responses (key order,
tz-aware datetimes, resume tokens, exception classes); the per-page work
(HTTP, SigV4, JSON, objects) runs in C.
"""

from __future__ import annotations

from typing import Any, Optional

import botocore

from . import _core, _model
from ._paginator import DEFAULT_MAX_BODY, OPERATION, PageIterator, Paginator
from .exceptions import InvalidResponseError


def _check_client(client: Any, what: str = "iotpager.get_paginator") -> None:
    model = getattr(getattr(client, "meta", None), "service_model", None)
    if model is None or model.service_name != "iot":
        raise TypeError(f"{what} needs a boto3/botocore 'iot' client")


def _check_operation(client: Any, operation_name: str) -> str:
    """The model name of a paginated operation (list_things -> ListThings)."""
    try:
        return _model.operation(client, operation_name).name
    except _model.UnsupportedOperation as e:
        raise ValueError(
            f"iotpager paginates the paginated operations of the IoT model "
            f"({len(_model.paginated_operations(client))} of them), not {operation_name!r}"
        ) from e


def get_paginator(
    client: Any,
    operation_name: str = "list_jobs",
    *,
    tz: str = "local",
    max_body: int = DEFAULT_MAX_BODY,
    prefetch: bool = True,
    progress: bool = False,
) -> Paginator:
    """An accelerated paginator for a boto3/botocore IoT client.

    The client's region, endpoint, credentials (refreshed as botocore
    refreshes them), TLS settings, proxies, timeouts, user agent and
    exception classes are used.

    tz: 'local' (default) gives datetimes in dateutil's tzlocal(), as
    botocore does; 'utc' gives datetime.timezone.utc.
    max_body: the largest response body accepted, in bytes.
    prefetch: send the next page's request as soon as its nextToken is
    parsed, on a C thread, while the caller works on the current page
    (never past what MaxItems needs).
    progress: show a live count of pages and jobs (tqdm.auto when tqdm is
    installed, else one updating stderr line).
    """
    _check_client(client)
    name = _check_operation(client, operation_name)
    return Paginator(client, tz=tz, max_body=max_body, prefetch=prefetch, progress=progress,
                     operation=name)


def accelerate(client: Any, *, tz: str = "local", max_body: int = DEFAULT_MAX_BODY,
               prefetch: bool = True, progress: bool = False) -> Any:
    """Make a boto3 IoT client list through iotpager; returns the same client.

    Afterwards ``client.get_paginator(name)`` for every paginated operation
    (list_jobs, list_things, ...) and the single calls of those operations
    (``client.list_things(...)``) run through iotpager; every other
    operation, and ``can_paginate``, stay boto3's. Calling it again only
    updates the options.
    """
    get_paginator(client, tz=tz, max_body=max_body)  # checks the client and tz
    state = client.__dict__.get("_iotpager_options")
    client.__dict__["_iotpager_options"] = {"tz": tz, "max_body": max_body, "prefetch": prefetch,
                                           "progress": progress}
    if state is not None:
        return client
    boto_get_paginator = client.get_paginator

    def accelerated_get_paginator(operation_name):
        if _model.can_paginate(client, operation_name):
            return get_paginator(client, operation_name, **client.__dict__["_iotpager_options"])
        return boto_get_paginator(operation_name)

    accelerated_get_paginator.__doc__ = boto_get_paginator.__doc__
    client.get_paginator = accelerated_get_paginator
    for name in _model.paginated_operations(client):
        method = botocore.xform_name(name)
        boto_method = getattr(client, method, None)
        if boto_method is None:
            continue
        client.__dict__[method] = _single_call(client, name, boto_method)
    return client


def _single_call(client: Any, name: str, boto_method: Any):
    """client.<operation>(**kwargs) through iotpager: one page."""

    def call(**kwargs):
        options = dict(client.__dict__["_iotpager_options"], progress=False)
        paginator = get_paginator(client, name, **options)
        return paginator._make_engine().one_page(**kwargs)

    call.__name__ = boto_method.__name__
    call.__doc__ = boto_method.__doc__
    return call


class Client:
    """A ListJobs client resolved like ``boto3.client("iot", ...)``.

    Credentials, region, endpoint and config are resolved by botocore exactly
    as boto3 resolves them; only ListJobs runs through iotpager.
    """

    def __init__(
        self,
        region_name: Optional[str] = None,
        endpoint_url: Optional[str] = None,
        aws_access_key_id: Optional[str] = None,
        aws_secret_access_key: Optional[str] = None,
        aws_session_token: Optional[str] = None,
        profile_name: Optional[str] = None,
        config: Any = None,
        *,
        tz: str = "local",
        max_body: int = DEFAULT_MAX_BODY,
        prefetch: bool = True,
        progress: bool = False,
        verify: Any = None,
    ):
        import boto3.session

        session = boto3.session.Session(profile_name=profile_name)
        self._boto_client = session.client(
            "iot",
            region_name=region_name,
            endpoint_url=endpoint_url,
            aws_access_key_id=aws_access_key_id,
            aws_secret_access_key=aws_secret_access_key,
            aws_session_token=aws_session_token,
            config=config,
            verify=verify,
        )
        self._tz = tz
        self._max_body = max_body
        self._prefetch = prefetch
        self._progress = progress
        get_paginator(self._boto_client, tz=tz, max_body=max_body)  # validates tz

    @property
    def meta(self):
        return self._boto_client.meta

    @property
    def exceptions(self):
        return self._boto_client.exceptions

    def can_paginate(self, operation_name: str) -> bool:
        return _model.can_paginate(self._boto_client, operation_name)

    def get_paginator(self, operation_name: str) -> Paginator:
        return get_paginator(
            self._boto_client, operation_name, tz=self._tz, max_body=self._max_body,
            prefetch=self._prefetch, progress=self._progress,
        )

    def list_jobs(self, **kwargs):
        """One ListJobs call, through the C core."""
        return self._one_page("ListJobs", kwargs)

    def _one_page(self, name, kwargs):
        paginator = get_paginator(self._boto_client, name, tz=self._tz, max_body=self._max_body)
        return paginator._make_engine().one_page(**kwargs)

    def __getattr__(self, name):
        """client.list_things(...) and every other paginated operation's
        single call, through the C core."""
        if name.startswith("_") or not _model.can_paginate(self._boto_client, name) or (
                _model.operation_name(self._boto_client, name) == name):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

        def call(**kwargs):
            return self._one_page(name, kwargs)

        call.__name__ = name
        return call
