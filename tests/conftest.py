"""Shared fixtures for the botocore parity tests (tests/test_parity.py, tests/test_moto.py).

iotpager is imported lazily (inside the helpers), so that test files which do
not need the C extension (tests/test_server.py) still run without it.

* ``server_factory``: ``server_factory(**kwargs)`` starts a ListJobsServer
  (deterministic, SigV4-verifying with CREDS unless told otherwise) that is
  stopped after the test.
* ``shared_server``: ``shared_server(n_jobs=..., ensure_ascii=...)`` a
  session-wide, read-only server per configuration (listings only: no
  scripts, no credential swaps), to keep the suite fast.
* ``srv``: a fresh deterministic server of the test's own (120 jobs).
* ``boto_client``: a boto3 IoT client for ``srv`` with retries disabled.
* ``iot_paginator``: ``iotpager.get_paginator(boto_client, "list_jobs")``.

Helpers: ``make_boto_client(server, ...)``, ``make_iot_paginator(client, tz=...)``.
"""

from __future__ import annotations

import os
import threading

import boto3
import pytest
from botocore.config import Config

from iotpager.testing import ListJobsServer


if "libtsan" in os.environ.get("LD_PRELOAD", ""):
    # tests/tsan.sh: ThreadSanitizer starts a background thread of its own at
    # the first pthread_create. Have it start now, before any test counts the
    # process's threads for a baseline.
    _t = threading.Thread(target=lambda: None)
    _t.start()
    _t.join()


AK = "AKIDPARITYTEST000001"
SK = "parity/secret+key=0123456789"
TOKEN = "parity-session/token+with=stuff=="
CREDS = (AK, SK, TOKEN)
REGION = "us-east-1"


def no_retry_config(**kwargs):
    """botocore Config with retries disabled (one attempt), as the parity tests need."""
    return Config(retries={"total_max_attempts": 1}, **kwargs)


_shared_session = None


def _session():
    # One boto3 Session for the explicit-credential clients: it caches the (large)
    # IoT service model, so a client costs milliseconds instead of ~0.4 s.
    global _shared_session
    if _shared_session is None:
        _shared_session = boto3.session.Session()
    return _shared_session


def make_boto_client(server, creds=CREDS, region=REGION, session=None, **config_kwargs):
    """A boto3 IoT client for ``server`` (a ListJobsServer or an endpoint URL), no retries.

    Credentials and region are explicit, so nothing comes from the environment."""
    url = server if isinstance(server, str) else server.endpoint_url
    ak, sk, token = creds if creds is not None else (None, None, None)
    factory = (session or _session()).client
    return factory("iot", endpoint_url=url, region_name=region,
                   aws_access_key_id=ak, aws_secret_access_key=sk, aws_session_token=token,
                   config=no_retry_config(**config_kwargs))


def make_iot_paginator(client, tz="local"):
    import iotpager

    return iotpager.get_paginator(client, "list_jobs", tz=tz)


def _start(**kwargs):
    kwargs.setdefault("credentials", CREDS)
    kwargs.setdefault("deterministic", True)
    kwargs.setdefault("region", REGION)
    return ListJobsServer(**kwargs).start()


@pytest.fixture
def hermetic_env(monkeypatch, tmp_path):
    """No retry mode, max attempts, profile, config or credentials file from
    the environment (for tests that use botocore's defaults)."""
    for name in ("AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS", "AWS_PROFILE", "AWS_DEFAULTS_MODE",
                 "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))


@pytest.fixture
def server_factory():
    servers = []

    def factory(**kwargs):
        s = _start(**kwargs)
        servers.append(s)
        return s

    yield factory
    for s in servers:
        s.stop()


@pytest.fixture(scope="session")
def shared_server():
    cache = {}

    def get(**kwargs):
        key = tuple(sorted(kwargs.items()))
        s = cache.get(key)
        if s is None:
            s = cache[key] = _start(**kwargs)
        assert s.pending_script == 0, "shared servers are for plain listings, not scripts"
        return s

    yield get
    for s in cache.values():
        s.stop()


@pytest.fixture
def srv(server_factory):
    return server_factory(n_jobs=120, seed=11)


@pytest.fixture
def boto_client(srv):
    return make_boto_client(srv)


@pytest.fixture
def iot_paginator(boto_client):
    return make_iot_paginator(boto_client)
