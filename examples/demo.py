"""The main job: list jobs from a local ListJobs endpoint with iotpager.

Starts iotpager's own local endpoint (python/iotpager/testing/server.py) with
a few thousand jobs, signed requests checked with botocore's SigV4 signer,
lists every job through iotpager, prints a short table, and times the same
listing with boto3's paginator beside it (medians of a few runs).

    python examples/demo.py [--jobs 5000] [--page-size 250]
"""

import argparse
import collections
import statistics
import time
from typing import Any, Callable, List, Tuple, TypeVar

import boto3

import iotpager
from iotpager.testing import ListJobsServer

CREDS = ("AKIDEXAMPLEDEMO", "demo/secret+key=", None)
T = TypeVar("T")


def list_all(paginator: Any, page_size: int) -> List[Any]:
    jobs: List[Any] = []
    for page in paginator.paginate(PaginationConfig={"PageSize": page_size}):
        jobs.extend(page["jobs"])
    return jobs


def timed(fn: Callable[[], T], runs: int) -> Tuple[float, T]:
    t0 = time.perf_counter()
    result = fn()
    times = [time.perf_counter() - t0]
    for _ in range(runs - 1):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=5000)
    ap.add_argument("--page-size", type=int, default=250)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    with ListJobsServer(n_jobs=args.jobs, credentials=CREDS) as srv:
        client = boto3.client(
            "iot", region_name="us-east-1", endpoint_url=srv.endpoint_url,
            aws_access_key_id=CREDS[0], aws_secret_access_key=CREDS[1],
        )
        fast = iotpager.get_paginator(client, "list_jobs")
        slow = client.get_paginator("list_jobs")
        list_all(fast, args.page_size)  # warm the server's page cache
        t_fast, jobs = timed(lambda: list_all(fast, args.page_size), args.runs)
        t_slow, boto_jobs = timed(lambda: list_all(slow, args.page_size), args.runs)
        signed_ok = all(r["signature_ok"] for r in srv.requests)

    print(f"Listed {len(jobs)} jobs from {srv.endpoint_url} "
          f"(every request's SigV4 signature verified: {signed_ok})\n")
    print(f"{'jobId':<28} {'status':<21} {'target':<11} createdAt")
    for job in jobs[:10]:
        print(f"{job['jobId']:<28} {job['status']:<21} {job['targetSelection']:<11} "
              f"{job['createdAt'].isoformat(timespec='seconds')}")
    print("...")
    counts = collections.Counter(j["status"] for j in jobs)
    print("\nby status: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    same = jobs == boto_jobs
    print(f"\nsame jobs as boto3: {same}")
    print(f"iotpager: {t_fast * 1000:8.1f} ms   boto3: {t_slow * 1000:8.1f} ms   "
          f"speed-up: {t_slow / t_fast:5.1f}x   (median of {args.runs}, page size {args.page_size})")
    if not same or not signed_ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
