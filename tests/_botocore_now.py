"""What the installed botocore does, found out at run time.

botocore changes between releases, and parity is with the one installed,
so the tests ask it rather than a table of versions:

* ``default_retry_mode()``: the retry mode a client gets with no retry
  configuration ('legacy' before botocore 1.44, 'standard' since), read
  from a client botocore has just configured.
* ``enforces_content_length()``: whether a body shorter than its
  Content-Length is a connection error (ConnectionClosedError, retried) or
  is parsed as it is (botocore 1.44 turned urllib3's check off). Asked by
  one call of boto3's own client against a local endpoint that sends half a
  body.
* ``short_body_script(script)``: where botocore no longer enforces it,
  iotpager still treats a short body as a connection that closed early (no
  job is lost: README, compatibility notes); that is the outcome botocore
  gives for a reset in the middle of the body, which the tests then compare
  iotpager's short-body listing with, on the same script otherwise.
"""

from __future__ import annotations

import functools
import os
import tempfile

import boto3
import botocore.exceptions
from botocore.config import Config

from iotpager.testing import ListJobsServer

AK = "AKIDPROBE00000000001"
SK = "probe/secret"
REGION = "us-east-1"


def _client(url: str, **config):
    return boto3.session.Session().client(
        "iot", endpoint_url=url, region_name=REGION, aws_access_key_id=AK,
        aws_secret_access_key=SK, config=Config(**config))


@functools.lru_cache(maxsize=None)
def default_retry_mode() -> str:
    """The retry mode of a client configured without one (no AWS_RETRY_MODE,
    no config file), as botocore itself sets it on the client."""
    saved = {k: os.environ.pop(k, None) for k in ("AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS",
                                                   "AWS_CONFIG_FILE", "AWS_DEFAULTS_MODE")}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["AWS_CONFIG_FILE"] = os.path.join(tmp, "none")
            mode = _client("http://127.0.0.1:9").meta.config.retries["mode"]
    finally:
        os.environ.pop("AWS_CONFIG_FILE", None)
        for k, v in saved.items():
            if v is not None:
                os.environ[k] = v
    assert mode in ("legacy", "standard", "adaptive"), mode
    return mode


@functools.lru_cache(maxsize=None)
def enforces_content_length() -> bool:
    """Does boto3 raise ConnectionClosedError for a body cut short of its
    Content-Length (True), or parse what came (False)?"""
    srv = ListJobsServer(n_jobs=10, seed=1, credentials=(AK, SK, None), region=REGION,
                         deterministic=True).start()
    try:
        srv.script({"truncate": True})
        client = _client(srv.endpoint_url, retries={"total_max_attempts": 1})
        try:
            client.list_jobs()
        except botocore.exceptions.ConnectionClosedError:
            return True
        except Exception:  # noqa: BLE001 - a parse error of the short body
            return False
        return False
    finally:
        srv.stop()


def short_body_script(script):
    """``script`` with each short body ({"truncate": True}) replaced by a
    reset in the middle of the body: what iotpager's outcome on the short
    body is compared with, where botocore parses short bodies."""
    out = []
    for action in script:
        if action.get("truncate"):
            action = {k: v for k, v in action.items() if k != "truncate"}
            action["reset"] = "mid_body"
        out.append(action)
    return out


def is_short_body(action) -> bool:
    return bool(action.get("truncate"))
