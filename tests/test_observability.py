"""stats, the iotpager logger, and progress=True."""

import io
import logging
import sys

import pytest

import boto3
import botocore.retryhandler
from botocore.config import Config

import iotpager
from conftest import CREDS, REGION, make_boto_client


def retrying_client(srv, monkeypatch):
    """Legacy retries, 3 attempts, with botocore's random backoff made tiny."""
    monkeypatch.setattr(botocore.retryhandler.random, "random", lambda: 0.001)
    return boto3.client("iot", endpoint_url=srv.endpoint_url, region_name=REGION,
                        aws_access_key_id=CREDS[0], aws_secret_access_key=CREDS[1],
                        aws_session_token=CREDS[2],
                        config=Config(retries={"mode": "legacy", "total_max_attempts": 3}))


@pytest.fixture
def srv(server_factory):
    return server_factory(n_jobs=120, deterministic=True)


def test_stats_count_what_happened(srv, monkeypatch):
    client = retrying_client(srv, monkeypatch)
    srv.script({"pass": True}, {"error": "ThrottlingException", "status": 400})
    start = len(srv.requests)
    pages = iotpager.get_paginator(client, "list_jobs").paginate(PaginationConfig={"PageSize": 50})
    got = list(pages)
    stats = pages.stats
    sent = srv.requests[start:]
    assert stats["pages"] == len(got) == 3
    assert stats["jobs"] == sum(len(p["jobs"]) for p in got) == 120
    assert stats["requests"] == len(sent) == 4
    assert stats["retries"] == 1 == got[1]["ResponseMetadata"]["RetryAttempts"]
    # the pages' bodies, and the throttled answer's body
    assert stats["bytes"] > sum(int(p["ResponseMetadata"]["HTTPHeaders"]["content-length"])
                                 for p in got)
    assert stats["elapsed"] > 0


def test_debug_log_one_line_per_request_without_secrets(srv, caplog, monkeypatch):
    client = retrying_client(srv, monkeypatch)
    srv.script({"error": "ThrottlingException", "status": 400})
    with caplog.at_level(logging.DEBUG, logger="iotpager"):
        pages = list(iotpager.get_paginator(client, "list_jobs").paginate(
            PaginationConfig={"PageSize": 50}))
    lines = [r.getMessage() for r in caplog.records if r.name == "iotpager"]
    assert len(lines) == 4   # 3 pages + 1 throttled attempt
    assert all(line.startswith("GET /jobs?") for line in lines)
    assert " -> 400, " in lines[0] and "(attempt 1)" in lines[0]
    assert " -> 200, " in lines[1] and "(attempt 2)" in lines[1]
    for page, line in zip(pages, lines[1:]):
        assert f"{page['ResponseMetadata']['HTTPHeaders']['content-length']} bytes" in line
    text = "\n".join(lines)
    for secret in (CREDS[1], CREDS[2], "Authorization", "Signature="):
        assert secret not in text


def test_no_log_call_when_debug_is_off(srv, caplog):
    client = make_boto_client(srv)
    with caplog.at_level(logging.INFO, logger="iotpager"):
        list(iotpager.get_paginator(client, "list_jobs").paginate())
    assert not [r for r in caplog.records if r.name == "iotpager"]


def test_progress_line_on_stderr_without_tqdm(srv, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)   # import fails: no tqdm
    client = make_boto_client(srv)
    pages = list(iotpager.get_paginator(client, "list_jobs", progress=True).paginate(
        PaginationConfig={"PageSize": 50}))
    err = capsys.readouterr().err
    assert len(pages) == 3
    assert err.startswith("\rListJobs: 1 pages, 50 jobs")
    assert err.endswith("\rListJobs: 3 pages, 120 jobs\n")


def test_progress_uses_tqdm_when_installed(srv, monkeypatch):
    import tqdm.auto

    bars = []
    real = tqdm.auto.tqdm

    def spy(*args, **kwargs):
        kwargs["file"] = io.StringIO()
        bar = real(*args, **kwargs)
        bars.append(bar)
        return bar

    monkeypatch.setattr(tqdm.auto, "tqdm", spy)
    client = make_boto_client(srv)
    list(iotpager.get_paginator(client, "list_jobs", progress=True).paginate(
        PaginationConfig={"PageSize": 50}))
    assert len(bars) == 1
    assert bars[0].n == 120
    assert "120" in bars[0].fp.getvalue()
    assert "pages=3" in bars[0].fp.getvalue()


def test_progress_off_by_default(srv, capsys):
    client = make_boto_client(srv)
    list(iotpager.get_paginator(client, "list_jobs").paginate())
    assert capsys.readouterr().err == ""
