"""Test helpers for iotpager: a local AWS IoT ListJobs endpoint and job data, and
``ModelServer``, an endpoint for every paginated operation of botocore's IoT model.

Pure standard library plus botocore; does not need iotpager's C extension.
Names are loaded lazily (PEP 562) so that ``python -m iotpager.testing.server``
does not import the module twice.
"""

__all__ = [
    "ListJobsServer",
    "make_jobs",
    "public_job",
    "HIDDEN_FIELDS",
    "FILTER_PARAMS",
    "STATUSES",
    "TARGET_SELECTIONS",
    "ModelServer",
]

_MODEL_SERVER_NAMES = ("ModelServer",)


def __getattr__(name):
    if name in _MODEL_SERVER_NAMES:
        from . import model_server

        return getattr(model_server, name)
    if name in __all__:
        from . import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
