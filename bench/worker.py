"""One measured run of the listing benchmark, in a fresh process.

Started by bench/bench.py as ``python bench/worker.py '<json spec>'``; prints
one JSON line on stdout. Only the listing itself is timed (wall with
perf_counter, CPU as getrusage(RUSAGE_SELF) user+sys, all threads); imports
and client setup are timed separately. The listed operation is one of OPS
(list_jobs, list_job_executions_for_job, list_things). Modes:

  boto3         boto3 client.get_paginator(op), every item kept in a list
  iotpager      iotpager.get_paginator(client, op) (tz="local", as boto3)
  iotpager_utc  the same with tz="utc"
  raw           floor: http.client over one keep-alive connection, body bytes
                read and dropped; the nextToken is cut from the body's tail
  json          floor: json.loads of the same bodies, fetched before timing
                (kept in memory), every item kept in a list
  json_dt       floor: json.loads + datetime.fromtimestamp(x, timezone.utc)
                for the operation's timestamp members (OPS[op]["timestamps"];
                only for operations that have some)

The spec: {"mode", "endpoint", "op", "params" (the operation's other input,
e.g. {"jobId": ...}), "page_size", "expect_items", "expect_pages",
"expect_bytes" (or null), "expect_digest" (or null)}. Every loop is bounded by
expect_pages + 2. After the timed part the worker checks the item and page
counts and, for every mode that keeps the items, a digest of their
non-timestamp content (digest()), against expect_digest when given, so a
listing that drops, repeats or garbles items fails instead of looking fast.
"""

import json
import sys
import time
import resource

_T_START = time.perf_counter()

# The benchmark's operations: boto3's name -> the HTTP path template (GET), the
# result key, and the timestamp members of an item as (path to the dict holding
# them, their names) for the json_dt floor (None: the items have none).
OPS = {
    "list_jobs": {
        "path": "/jobs",
        "result_key": "jobs",
        "timestamps": ((), ("createdAt", "lastUpdatedAt", "completedAt")),
    },
    "list_job_executions_for_job": {
        "path": "/jobs/{jobId}/things",
        "result_key": "executionSummaries",
        "timestamps": (("jobExecutionSummary",), ("queuedAt", "startedAt", "lastUpdatedAt")),
    },
    "list_things": {
        "path": "/things",
        "result_key": "things",
        "timestamps": None,
    },
}


def _item_key(op, item):
    """The non-timestamp content of one item as a string (the same for a wire
    dict, boto3's parsed item and iotpager's), timestamps only as present/absent."""
    if op == "list_jobs":
        return item["jobId"]
    if op == "list_job_executions_for_job":
        s = item["jobExecutionSummary"]
        return "|".join((item["thingArn"], s["status"], str(s["executionNumber"]), str(s["retryAttempt"]),
                         "q" if "queuedAt" in s else "", "s" if "startedAt" in s else "",
                         "u" if "lastUpdatedAt" in s else ""))
    if op == "list_things":
        attrs = item.get("attributes", {})
        return "|".join((item["thingName"], item.get("thingTypeName", ""), item["thingArn"],
                         str(item["version"]), json.dumps(sorted(attrs.items()))))
    raise KeyError(op)


def digest(op, items):
    """sha1 (16 hex digits) of the items' non-timestamp content, in order."""
    import hashlib

    return hashlib.sha1("\n".join(_item_key(op, it) for it in items).encode()).hexdigest()[:16]


def request_path(op, params):
    """The operation's path with its URI labels filled in (percent-encoded)."""
    from urllib.parse import quote

    return OPS[op]["path"].format(**{k: quote(str(v), safe="") for k, v in params.items()})


def _status_kb(field):
    """VmRSS / VmHWM of this process in KiB, from /proc/self/status."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _token_from_tail(body, loads):
    """nextToken of a body whose nextToken member comes last (both benchmark
    servers render it so), or None. Looks at the last 4 KiB only."""
    i = body.rfind(b'"nextToken":', max(0, len(body) - 4096))
    if i < 0:
        return None
    j = body.rindex(b"}")
    return loads(body[i + 12:j])


def _fetch_all(spec, keep):
    """The raw-fetch loop (http.client, one connection). Returns (pages, bytes, bodies)."""
    import http.client
    from urllib.parse import quote, urlsplit

    u = urlsplit(spec["endpoint"])
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    path = request_path(spec["op"], spec.get("params") or {})
    base = f"{u.path.rstrip('/')}{path}?maxResults={spec['page_size']}"
    loads = json.loads
    bound = spec["expect_pages"] + 2
    token = None
    pages = nbytes = 0
    bodies = [] if keep else None
    try:
        while True:
            target = base if token is None else f"{base}&nextToken={quote(token, safe='')}"
            conn.request("GET", target)
            resp = conn.getresponse()
            body = resp.read()
            if resp.status != 200:
                raise SystemExit(f"raw fetch: HTTP {resp.status} for {target}: {body[:200]!r}")
            pages += 1
            nbytes += len(body)
            if keep:
                bodies.append(body)
            token = _token_from_tail(body, loads)
            if token is None:
                break
            if pages >= bound:
                raise SystemExit(f"raw fetch: more than {bound} pages, stopping")
    finally:
        conn.close()
    return pages, nbytes, bodies


def _check_fetch(spec, pages, nbytes):
    if pages != spec["expect_pages"]:
        raise SystemExit(f"expected {spec['expect_pages']} pages, fetched {pages}")
    if spec.get("expect_bytes") is not None and nbytes != spec["expect_bytes"]:
        raise SystemExit(f"expected {spec['expect_bytes']} body bytes, fetched {nbytes}")


def _json_dt_listing(bodies, nbytes, rkey, timestamps):
    """The json_dt floor's timed callable: json.loads + aware UTC datetimes."""
    from datetime import datetime, timezone

    loads = json.loads
    where, names = timestamps
    if len(where) > 1:
        raise NotImplementedError(where)
    sub = where[0] if where else None

    def listing():
        items = []
        fromts = datetime.fromtimestamp
        utc = timezone.utc
        for body in bodies:
            page_items = loads(body)[rkey]
            for item in page_items:
                d = item if sub is None else item[sub]
                for name in names:
                    v = d.get(name)
                    if v is not None:
                        d[name] = fromts(v, utc)
            items.extend(page_items)
        return items, len(bodies), nbytes

    return listing


def main():
    spec = json.loads(sys.argv[1])
    mode = spec["mode"]
    op = spec.get("op", "list_jobs")
    params = spec.get("params") or {}
    rkey = OPS[op]["result_key"]
    out = {"mode": mode, "op": op}
    import_s = setup_s = None
    listing = None  # the timed callable; returns (items or None, pages, bytes)

    if mode in ("boto3", "iotpager", "iotpager_utc"):
        t0 = time.perf_counter()
        import boto3

        if mode != "boto3":
            import iotpager
        t1 = time.perf_counter()
        client = boto3.client(
            "iot", endpoint_url=spec["endpoint"], region_name="us-east-1",
            aws_access_key_id="AKIDBENCHMARK0000000", aws_secret_access_key="bench/secret+key",
        )
        if mode == "boto3":
            paginator = client.get_paginator(op)
        else:
            paginator = iotpager.get_paginator(
                client, op, tz="utc" if mode == "iotpager_utc" else "local")
        t2 = time.perf_counter()
        import_s, setup_s = t1 - t0, t2 - t1
        page_size = spec["page_size"]
        bound = spec["expect_pages"] + 2

        def listing():
            items = []
            pages = 0
            for page in paginator.paginate(PaginationConfig={"PageSize": page_size}, **params):
                items.extend(page[rkey])
                pages += 1
                if pages > bound:
                    raise SystemExit(f"more than {bound} pages, stopping")
            return items, pages, None

    elif mode == "raw":
        import http.client  # noqa: F401  (imports outside the timed part)
        import urllib.parse  # noqa: F401

        def listing():
            pages, nbytes, _ = _fetch_all(spec, keep=False)
            return None, pages, nbytes

    elif mode in ("json", "json_dt"):
        pages, nbytes, bodies = _fetch_all(spec, keep=True)  # not timed
        _check_fetch(spec, pages, nbytes)
        loads = json.loads

        if mode == "json":
            def listing():
                items = []
                for body in bodies:
                    items.extend(loads(body)[rkey])
                return items, len(bodies), nbytes
        else:
            if OPS[op]["timestamps"] is None:
                raise SystemExit(f"json_dt: {op}'s items have no timestamps")
            listing = _json_dt_listing(bodies, nbytes, rkey, OPS[op]["timestamps"])
    else:
        raise SystemExit(f"unknown mode {mode!r}")

    rss_before = _status_kb("VmRSS")
    c0 = _cpu()
    w0 = time.perf_counter()
    items, pages, nbytes = listing()
    w1 = time.perf_counter()
    c1 = _cpu()
    # Peak RSS: VmHWM, the high-water mark of this process's own memory. Not
    # ru_maxrss: Linux keeps ru_maxrss across execve, so a child spawned with
    # vfork/fork starts with the spawning process's RSS (the benchmark driver's).
    peak_kb = _status_kb("VmHWM")
    ru_maxrss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    if items is None:  # raw: bytes dropped, checked by page and byte counts
        _check_fetch(spec, pages, nbytes)
        n_items = spec["expect_items"]
    else:
        n_items = len(items)
        if n_items != spec["expect_items"]:
            raise SystemExit(f"{mode}: expected {spec['expect_items']} items, got {n_items}")
        if pages != spec["expect_pages"]:
            raise SystemExit(f"{mode}: expected {spec['expect_pages']} pages, got {pages}")
        out["digest"] = digest(op, items)
        want = spec.get("expect_digest")
        if want is not None and out["digest"] != want:
            raise SystemExit(f"{mode}: the items listed differ from the served ones "
                             f"(digest {out['digest']}, expected {want})")
    out.update(
        wall_s=w1 - w0,
        cpu_s=c1 - c0,
        peak_rss_kb=peak_kb,
        ru_maxrss_kb=ru_maxrss_kb,
        rss_before_kb=rss_before,
        items=n_items,
        pages=pages,
        bytes=nbytes,
        import_s=import_s,
        setup_s=setup_s,
        process_s=time.perf_counter() - _T_START,
    )
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
