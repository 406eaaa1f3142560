"""iotpager: AWS IoT ListJobs pages, as boto3 gives them, much faster.

    import boto3, iotpager
    client = boto3.client("iot")
    for page in iotpager.get_paginator(client, "list_jobs").paginate():
        ...

The pages are equal to botocore's for the same HTTP responses (key order,
tz-aware datetimes, resume tokens, exception classes); the per-page work
(HTTP, SigV4, JSON, objects) runs in C.

The names below are loaded on first use (PEP 562), so ``import iotpager``
itself imports neither botocore nor the C core: the CLI starts fast.
"""

__version__ = "0.1.0"
__all__ = [
    "AnyPageIterator",
    "AnyPaginator",
    "Client",
    "accelerate",
    "InvalidResponseError",
    "PageIterator",
    "Paginator",
    "get_paginator",
]

_WHERE = {
    "Client": "._api",
    "accelerate": "._api",
    "get_paginator": "._api",
    "PageIterator": "._paginator",
    "Paginator": "._paginator",
    "AnyPageIterator": "._paginator",
    "AnyPaginator": "._paginator",
    "InvalidResponseError": ".exceptions",
    "DEFAULT_MAX_BODY": "._paginator",
}


def __getattr__(name):
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(where, __name__), name)
    globals()[name] = value   # later look-ups skip this function
    return value


def __dir__():
    return sorted(list(globals()) + __all__)
