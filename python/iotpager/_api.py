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

from . import _core
from ._paginator import DEFAULT_MAX_BODY, OPERATION, PageIterator, Paginator
from .exceptions import InvalidResponseError


_PAGINATED = ("list_jobs", "ListJobs")


def _check_operation(operation_name: str) -> None:
    if operation_name not in _PAGINATED:
        raise ValueError(
            f"iotpager only paginates list_jobs, not {operation_name!r}"
        )


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
    _check_operation(operation_name)
    if getattr(getattr(client, "meta", None), "service_model", None) is None or (
        client.meta.service_model.service_name != "iot"
    ):
        raise TypeError("iotpager.get_paginator needs a boto3/botocore 'iot' client")
    return Paginator(client, tz=tz, max_body=max_body, prefetch=prefetch, progress=progress)


def accelerate(client: Any, *, tz: str = "local", max_body: int = DEFAULT_MAX_BODY,
               prefetch: bool = True, progress: bool = False) -> Any:
    """Make a boto3 IoT client list jobs through iotpager; returns the same client.

    Afterwards ``client.get_paginator("list_jobs")`` and ``client.list_jobs(...)``
    run through iotpager; every other operation, and ``can_paginate``, stay
    boto3's. Calling it again only updates the options.
    """
    get_paginator(client, tz=tz, max_body=max_body)  # checks the client and tz
    state = client.__dict__.get("_iotpager_options")
    client.__dict__["_iotpager_options"] = {"tz": tz, "max_body": max_body, "prefetch": prefetch,
                                           "progress": progress}
    if state is not None:
        return client
    boto_get_paginator = client.get_paginator

    def accelerated_get_paginator(operation_name):
        if operation_name in _PAGINATED:
            return get_paginator(client, operation_name, **client.__dict__["_iotpager_options"])
        return boto_get_paginator(operation_name)

    def accelerated_list_jobs(**kwargs):
        options = dict(client.__dict__["_iotpager_options"], progress=False)
        return get_paginator(client, **options)._make_engine().one_page(**kwargs)

    accelerated_get_paginator.__doc__ = boto_get_paginator.__doc__
    accelerated_list_jobs.__doc__ = client.list_jobs.__doc__
    client.get_paginator = accelerated_get_paginator
    client.list_jobs = accelerated_list_jobs
    return client


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
        return operation_name in _PAGINATED

    def get_paginator(self, operation_name: str) -> Paginator:
        return get_paginator(
            self._boto_client, operation_name, tz=self._tz, max_body=self._max_body,
            prefetch=self._prefetch, progress=self._progress,
        )

    def list_jobs(self, **kwargs):
        """One ListJobs call, through the C core."""
        paginator = get_paginator(self._boto_client, tz=self._tz, max_body=self._max_body)
        return paginator._make_engine().one_page(**kwargs)
