"""Every IoT listing that moto implements: iotpager equals boto3 on moto's server.

moto serialises its responses itself (Werkzeug, its own JSON, its own token
formats), so this checks iotpager's listings of things, thing groups, thing
types, billing groups, certificates, policies, principals, role aliases,
domain configurations, job templates, job executions and topic rules against
botocore on bytes that iotpager.testing did not make. The operations are the
paginated operations of botocore's model that moto's IoT responses
implement, found at run time.

moto 5.2.1 honours the limit key only for some operations (ListThings,
ListThingTypes, ListBillingGroups, ListThingsInBillingGroup, ListJobTemplates,
ListJobExecutionsForJob/ForThing); the others answer everything in one page,
which is still compared. Its ListJobs answers HTTP 500 whenever a page has a
next page (see tests/test_moto.py): both sides must then raise the same
error, which is compared too.
"""

from __future__ import annotations

import copy
import json
import urllib.request

import botocore.session
import pytest
from botocore import xform_name

moto_server = pytest.importorskip("moto.server")
moto_iot_responses = pytest.importorskip("moto.iot.responses")

import iotpager
from _compare import assert_same, canon
from conftest import make_boto_client

MOTO_CREDS = ("testing", "testing", None)
# moto makes these up per request (a random request id; the Date of the moment
# it answered): checked present and in the same place, then blanked.
PER_REQUEST_HEADERS = ("x-amzn-requestid", "date")

_session = botocore.session.get_session()
_MODEL = _session.get_service_model("iot")
_PAGINATORS = _session.get_paginator_model("iot")
OPERATIONS = sorted(op for op in _PAGINATORS._paginator_config
                    if callable(getattr(moto_iot_responses.IoTResponse, xform_name(op), None)))


def _cfg(op):
    return _PAGINATORS.get_paginator(op)


def scrub(obj):
    """A copy of a page or error response with moto's per-request values blanked."""
    obj = copy.deepcopy(obj)
    md = obj.get("ResponseMetadata")
    if md is not None:
        for name in PER_REQUEST_HEADERS:
            if name in md.get("HTTPHeaders", {}):
                assert isinstance(md["HTTPHeaders"][name], str) and md["HTTPHeaders"][name]
                md["HTTPHeaders"][name] = "<per-request>"
        if md.get("RequestId"):
            md["RequestId"] = "<per-request>"
    return obj


@pytest.fixture(scope="module")
def moto():
    """moto's server with a small fleet; yields (url, required parameters by operation)."""
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    c = make_boto_client(url, creds=MOTO_CREDS)
    try:
        for i in range(3):
            c.create_thing_type(thingTypeName=f"type-{i}", thingTypeProperties={
                "thingTypeDescription": f"type {i} caf\u00e9 \u2713", "searchableAttributes": ["color"]})
        things = []
        for i in range(7):
            things.append(c.create_thing(
                thingName=f"thing-{i}", thingTypeName=f"type-{i % 3}",
                attributePayload={"attributes": {"color": ["red", "blue"][i % 2], "n": str(i)}})["thingArn"])
        for i in range(5):
            c.create_thing_group(thingGroupName=f"group-{i}",
                                 **({"parentGroupName": "group-0"} if i else {}),
                                 thingGroupProperties={"thingGroupDescription": f"g{i} \u00e9"})
            c.add_thing_to_thing_group(thingGroupName=f"group-{i}", thingName="thing-0")
        for i in range(1, 5):
            c.add_thing_to_thing_group(thingGroupName="group-1", thingName=f"thing-{i}")
        for i in range(4):
            c.create_billing_group(billingGroupName=f"bill-{i}")
        for i in range(5):
            c.add_thing_to_billing_group(billingGroupName="bill-0", thingName=f"thing-{i}")
        certs = [c.create_keys_and_certificate(setAsActive=bool(i % 2))["certificateArn"]
                 for i in range(5)]
        doc = json.dumps({"Version": "2012-10-17",
                          "Statement": [{"Effect": "Allow", "Action": "iot:*", "Resource": "*"}]})
        for i in range(5):
            c.create_policy(policyName=f"pol-{i}", policyDocument=doc)
            c.attach_policy(policyName=f"pol-{i}", target=certs[0])
            if i:
                c.attach_policy(policyName="pol-0", target=certs[i])
        for i in range(5):
            c.attach_thing_principal(thingName="thing-0", principal=certs[i])
            if i:
                c.attach_thing_principal(thingName=f"thing-{i}", principal=certs[0])
        for i in range(4):
            c.create_role_alias(roleAlias=f"alias-{i}", roleArn=f"arn:aws:iam::123456789012:role/r{i}")
            c.create_domain_configuration(domainConfigurationName=f"dom-{i}")
            c.create_job_template(jobTemplateId=f"tmpl-{i}", document="{}",
                                  description=f"template {i} \u2713")
            c.create_topic_rule(ruleName=f"rule_{i}", topicRulePayload={
                "sql": "SELECT * FROM 'a/b'", "actions": [], "description": f"rule {i}"})
        for i in range(4):
            c.create_job(jobId=f"job-{i}", targets=things[:5], document="{}",
                         description=f"job {i} \u00e9")
        c.cancel_job(jobId="job-1")
        required = {
            "ListAttachedPolicies": {"target": certs[0]},
            "ListCertificatesByCA": {"caCertificateId": "0" * 64},
            "ListJobExecutionsForJob": {"jobId": "job-0"},
            "ListJobExecutionsForThing": {"thingName": "thing-0"},
            "ListPolicyPrincipals": {"policyName": "pol-0"},
            "ListPrincipalPolicies": {"principal": certs[0]},
            "ListPrincipalThings": {"principal": certs[0]},
            "ListTargetsForPolicy": {"policyName": "pol-0"},
            "ListThingGroupsForThing": {"thingName": "thing-0"},
            "ListThingPrincipals": {"thingName": "thing-0"},
            "ListThingPrincipalsV2": {"thingName": "thing-0"},
            "ListThingsInBillingGroup": {"billingGroupName": "bill-0"},
            "ListThingsInThingGroup": {"thingGroupName": "group-1"},
        }
        yield url, required
    finally:
        try:
            urllib.request.urlopen(urllib.request.Request(url + "/moto-api/reset", method="POST"),
                                   timeout=5)
        finally:
            server.stop()


@pytest.fixture(scope="module")
def client(moto):
    return make_boto_client(moto[0], creds=MOTO_CREDS)


@pytest.fixture(scope="module")
def fast_client(moto):
    """A boto3 client of its own, accelerated (``client`` stays boto3's)."""
    c = make_boto_client(moto[0], creds=MOTO_CREDS)
    assert iotpager.accelerate(c) is c
    return c


def params_for(moto, op):
    _, required = moto
    need = set(_MODEL.operation_model(op).input_shape.required_members)
    if need and op not in required:
        pytest.skip(f"moto implements {op}, but this file sets up no data for its required "
                    f"parameters {sorted(need)}")
    return dict(required.get(op, {}))


def collect(it):
    pages = []
    try:
        for p in it:
            pages.append(p)
    except Exception as e:  # noqa: BLE001 - compared with botocore's
        return pages, e
    return pages, None


def assert_same_outcome(op, what, b, i):
    (bp, be), (ip, ie) = b, i
    assert_same([scrub(p) for p in bp], [scrub(p) for p in ip], f"{op} {what} pages")
    assert (be is None) == (ie is None), f"{op} {what}: botocore raised {be!r}, iotpager {ie!r}"
    if be is not None:
        assert type(ie) is type(be)
        assert str(ie) == str(be)
        if hasattr(be, "response"):
            assert_same(scrub(be.response), scrub(ie.response), f"{op} {what} error response")


def test_moto_operations_found():
    assert {"ListThings", "ListThingGroups", "ListThingTypes"} <= set(OPERATIONS)


@pytest.mark.parametrize("op", OPERATIONS)
def test_moto_listing_matches_botocore(moto, client, op):
    cfg = _cfg(op)
    rk = cfg["result_key"]
    params = params_for(moto, op)
    bpag = client.get_paginator(xform_name(op))
    ipag = iotpager.get_paginator(client, xform_name(op))
    configs = [{}]
    if cfg.get("limit_key"):
        configs += [{"PageSize": 2}, {"PageSize": 100}]
    listed = None
    for pc in configs:
        b = collect(bpag.paginate(**params, PaginationConfig=dict(pc)))
        i = collect(ipag.paginate(**params, PaginationConfig=dict(pc)))
        assert_same_outcome(op, f"PaginationConfig={pc}", b, i)
        if b[1] is None:
            listed = [x for p in b[0] for x in p[rk]]
    assert listed is not None, f"{op}: moto failed every listing"
    if op not in ("ListCertificatesByCA",):  # no CA registered: an empty listing
        assert listed, f"{op}: moto listed nothing; the fixture's data does not reach it"

    # build_full_result and a MaxItems cut, its resume token and the resumed rest
    size = {"PageSize": 100} if cfg.get("limit_key") else {}
    assert_same(bpag.paginate(**params, PaginationConfig=dict(size)).build_full_result(),
                ipag.paginate(**params, PaginationConfig=dict(size)).build_full_result(),
                f"{op} build_full_result")
    if len(listed) < 2:
        return
    small = {"PageSize": 2} if cfg.get("limit_key") else {}
    cut = dict(small, MaxItems=len(listed) - 1)
    bit = bpag.paginate(**params, PaginationConfig=dict(cut))
    iit = ipag.paginate(**params, PaginationConfig=dict(cut))
    b, i = collect(bit), collect(iit)
    assert_same_outcome(op, f"PaginationConfig={cut}", b, i)
    if b[1] is not None:
        return  # moto's ListJobs: the same 500 on both sides, compared above
    assert iit.resume_token == bit.resume_token and bit.resume_token
    assert canon(iit.non_aggregate_part) == canon(bit.non_aggregate_part)
    rest = []
    for token in (bit.resume_token, iit.resume_token):
        rcfg = dict(small, StartingToken=token)
        b2 = collect(bpag.paginate(**params, PaginationConfig=dict(rcfg)))
        i2 = collect(ipag.paginate(**params, PaginationConfig=dict(rcfg)))
        assert_same_outcome(op, f"resumed {rcfg}", b2, i2)
        rest.append([x for p in i2[0] for x in p[rk]])
    assert rest[0] == rest[1]
    assert [x for p in i[0] for x in p[rk]] + rest[0] == listed


@pytest.mark.parametrize("op", OPERATIONS)
def test_moto_accelerated_single_call(moto, client, fast_client, op):
    params = params_for(moto, op)
    plain, fast = client, fast_client
    method = xform_name(op)
    want = getattr(plain, method)(**params)
    got = getattr(fast, method)(**params)
    assert_same(scrub(want), scrub(got), f"{method}()")
    assert list(want["ResponseMetadata"]["HTTPHeaders"]) == list(got["ResponseMetadata"]["HTTPHeaders"])
