"""One measured run of the ListJobs benchmark, in a fresh process.

Started by bench/bench.py as ``python bench/worker.py '<json spec>'``; prints
one JSON line on stdout. Only the listing itself is timed (wall with
perf_counter, CPU as getrusage(RUSAGE_SELF) user+sys, all threads); imports
and client setup are timed separately. Modes:

  boto3         boto3 client.get_paginator("list_jobs"), every job kept in a list
  iotpager      iotpager.get_paginator(client, "list_jobs") (tz="local", as boto3)
  iotpager_utc  the same with tz="utc"
  raw           floor: http.client over one keep-alive connection, body bytes
                read and dropped; the nextToken is cut from the body's tail
  json          floor: json.loads of the same bodies, fetched before timing
                (kept in memory), every job kept in a list
  json_dt       floor: json.loads + datetime.fromtimestamp(x, timezone.utc)
                for createdAt / lastUpdatedAt / completedAt

The spec: {"mode", "endpoint", "page_size", "expect_jobs", "expect_pages",
"expect_bytes" (or null)}. Every loop is bounded by expect_pages + 2.
"""

import json
import sys
import time
import resource

_T_START = time.perf_counter()


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
    """nextToken of a ListJobs body whose nextToken member comes last (both
    benchmark servers render it so), or None. Looks at the last 4 KiB only."""
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
    base = f"{u.path.rstrip('/')}/jobs?maxResults={spec['page_size']}"
    loads = json.loads
    bound = spec["expect_pages"] + 2
    token = None
    pages = nbytes = 0
    bodies = [] if keep else None
    try:
        while True:
            path = base if token is None else f"{base}&nextToken={quote(token, safe='')}"
            conn.request("GET", path)
            resp = conn.getresponse()
            body = resp.read()
            if resp.status != 200:
                raise SystemExit(f"raw fetch: HTTP {resp.status} for {path}: {body[:200]!r}")
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


def _ids_digest(jobs):
    import hashlib

    return hashlib.sha1("\n".join(j["jobId"] for j in jobs).encode()).hexdigest()[:16]


def main():
    spec = json.loads(sys.argv[1])
    mode = spec["mode"]
    out = {"mode": mode}
    import_s = setup_s = None
    listing = None  # the timed callable; returns (jobs or None, pages, bytes)

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
            paginator = client.get_paginator("list_jobs")
        else:
            paginator = iotpager.get_paginator(
                client, "list_jobs", tz="utc" if mode == "iotpager_utc" else "local")
        t2 = time.perf_counter()
        import_s, setup_s = t1 - t0, t2 - t1
        page_size = spec["page_size"]
        bound = spec["expect_pages"] + 2

        def listing():
            jobs = []
            pages = 0
            for page in paginator.paginate(PaginationConfig={"PageSize": page_size}):
                jobs.extend(page["jobs"])
                pages += 1
                if pages > bound:
                    raise SystemExit(f"more than {bound} pages, stopping")
            return jobs, pages, None

    elif mode == "raw":
        import http.client  # noqa: F401  (imports outside the timed part)
        import urllib.parse  # noqa: F401

        def listing():
            pages, nbytes, _ = _fetch_all(spec, keep=False)
            return None, pages, nbytes

    elif mode in ("json", "json_dt"):
        from datetime import datetime, timezone

        pages, nbytes, bodies = _fetch_all(spec, keep=True)  # not timed
        _check_fetch(spec, pages, nbytes)
        loads = json.loads

        if mode == "json":
            def listing():
                jobs = []
                for body in bodies:
                    jobs.extend(loads(body)["jobs"])
                return jobs, len(bodies), nbytes
        else:
            def listing():
                jobs = []
                fromts = datetime.fromtimestamp
                utc = timezone.utc
                for body in bodies:
                    page_jobs = loads(body)["jobs"]
                    for job in page_jobs:
                        job["createdAt"] = fromts(job["createdAt"], utc)
                        job["lastUpdatedAt"] = fromts(job["lastUpdatedAt"], utc)
                        v = job.get("completedAt")
                        if v is not None:
                            job["completedAt"] = fromts(v, utc)
                    jobs.extend(page_jobs)
                return jobs, len(bodies), nbytes
    else:
        raise SystemExit(f"unknown mode {mode!r}")

    rss_before = _status_kb("VmRSS")
    c0 = _cpu()
    w0 = time.perf_counter()
    jobs, pages, nbytes = listing()
    w1 = time.perf_counter()
    c1 = _cpu()
    # Peak RSS: VmHWM, the high-water mark of this process's own memory. Not
    # ru_maxrss: Linux keeps ru_maxrss across execve, so a child spawned with
    # vfork/fork starts with the spawning process's RSS (the benchmark driver's).
    peak_kb = _status_kb("VmHWM")
    ru_maxrss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    if jobs is None:  # raw: bytes dropped, checked by page and byte counts
        _check_fetch(spec, pages, nbytes)
        n_jobs = spec["expect_jobs"]
    else:
        n_jobs = len(jobs)
        if n_jobs != spec["expect_jobs"]:
            raise SystemExit(f"{mode}: expected {spec['expect_jobs']} jobs, got {n_jobs}")
        if pages != spec["expect_pages"]:
            raise SystemExit(f"{mode}: expected {spec['expect_pages']} pages, got {pages}")
        out["ids"] = _ids_digest(jobs)
    out.update(
        wall_s=w1 - w0,
        cpu_s=c1 - c0,
        peak_rss_kb=peak_kb,
        ru_maxrss_kb=ru_maxrss_kb,
        rss_before_kb=rss_before,
        jobs=n_jobs,
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
