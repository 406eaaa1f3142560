"""Parity against a third-party ListJobs implementation: moto's server.

moto (5.2.1) serialises its responses itself (Werkzeug, its own JSON and
headers), so this checks iotpager against botocore on bytes that our own
test server did not make. Jobs are created through boto3 (things, a thing
group, ~20 jobs, some cancelled), then the first ListJobs page is listed
with boto3's paginator and with iotpager, and the two are compared whole.

moto 5.2.1's ListJobs fails with HTTP 500 whenever a page has a next page
(building its nextToken raises AttributeError: 'FakeJob' object has no
attribute 'jobId'), so every listing here fits in one page (PageSize large
enough); the multi-page parity is covered against the local server.
"""

from __future__ import annotations

import copy
import datetime
import urllib.request

import pytest

moto_server = pytest.importorskip("moto.server")

from _compare import assert_same, canon, to_utc
from conftest import make_boto_client, make_iot_paginator, no_retry_config

N_JOBS = 21

# moto makes these up per request (a random request id; the Date header of the
# moment it answered), so they cannot be equal between two requests. They
# are checked to be present, in the same place, with the same type; all the
# rest of the page (every other header, status, RetryAttempts, jobs, key
# order, datetimes) is compared exactly.
PER_REQUEST_HEADERS = ("x-amzn-requestid", "date")


def scrub(page):
    page = copy.deepcopy(page)
    md = page["ResponseMetadata"]
    for name in PER_REQUEST_HEADERS:
        assert isinstance(md["HTTPHeaders"][name], str) and md["HTTPHeaders"][name]
        md["HTTPHeaders"][name] = "<per-request>"
    assert md["RequestId"]
    md["RequestId"] = "<per-request>"
    return page


@pytest.fixture(scope="module")
def moto_url():
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    client = make_boto_client(url, creds=("testing", "testing", None))
    things = [client.create_thing(thingName=f"parity-thing-{i}")["thingArn"] for i in range(4)]
    group = client.create_thing_group(thingGroupName="parity-group")["thingGroupArn"]
    for i in range(N_JOBS):
        targets = [group] if i % 5 == 0 else [things[i % len(things)]]
        client.create_job(jobId=f"parity-job-{i:02d}", targets=targets, document="{}",
                          description=f"job {i} \u00e9\u2713",
                          targetSelection="CONTINUOUS" if i % 3 == 0 else "SNAPSHOT")
    for i in range(0, N_JOBS, 4):
        client.cancel_job(jobId=f"parity-job-{i:02d}")
    try:
        yield url
    finally:
        try:
            urllib.request.urlopen(urllib.request.Request(url + "/moto-api/reset", method="POST"), timeout=5)
        finally:
            server.stop()


@pytest.mark.parametrize("tz", ["local", "utc"])
def test_first_page_matches_botocore(moto_url, tz):
    client = make_boto_client(moto_url, creds=("testing", "testing", None))
    config = {"PageSize": 100}
    want = list(client.get_paginator("list_jobs").paginate(PaginationConfig=config))
    got = list(make_iot_paginator(client, tz=tz).paginate(PaginationConfig=config))
    assert len(want) == 1 and len(want[0]["jobs"]) == N_JOBS
    assert {j["status"] for j in want[0]["jobs"]} >= {"CANCELED"}
    assert len(got) == 1
    if tz == "utc":
        want = to_utc(want)
        for job in got[0]["jobs"]:
            assert all(v.tzinfo is datetime.timezone.utc for v in job.values()
                       if isinstance(v, datetime.datetime))
    assert_same([scrub(p) for p in want], [scrub(p) for p in got], "moto page")
    # and the parts that were scrubbed are in the same places
    assert list(want[0]["ResponseMetadata"]) == list(got[0]["ResponseMetadata"])
    assert list(want[0]["ResponseMetadata"]["HTTPHeaders"]) == list(got[0]["ResponseMetadata"]["HTTPHeaders"])
    assert (got[0]["ResponseMetadata"]["RequestId"]
            == got[0]["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"])


def test_client_list_jobs_and_max_items_match_botocore(moto_url, monkeypatch):
    import iotpager

    client = make_boto_client(moto_url, creds=("testing", "testing", None))
    iclient = iotpager.Client(region_name="us-east-1", endpoint_url=moto_url, aws_access_key_id="testing",
                              aws_secret_access_key="testing", config=no_retry_config())
    want = client.list_jobs(maxResults=200)
    got = iclient.list_jobs(maxResults=200)
    assert_same(scrub(want), scrub(got), "list_jobs()")
    # MaxItems cuts the single page; the resume tokens must be the same
    cfg = {"PageSize": 100, "MaxItems": 7}
    w = client.get_paginator("list_jobs").paginate(PaginationConfig=cfg)
    g = make_iot_paginator(client).paginate(PaginationConfig=cfg)
    wp, gp = [scrub(p) for p in w], [scrub(p) for p in g]
    assert canon(wp) == canon(gp)
    assert len(wp[0]["jobs"]) == 7
    assert g.resume_token == w.resume_token is not None
