"""Every job's executions: ListJobs, then ListJobExecutionsForJob per job.

    python examples/job_executions.py                 # your AWS account (boto3's config)
    python examples/job_executions.py --status IN_PROGRESS

Both listings run through iotpager; the pages are the ones boto3 would give.
"""

from __future__ import annotations

import argparse
import collections
from typing import Any, Dict, Iterator, List, Optional, Tuple

import boto3

import iotpager


def job_executions(client: Any, **job_filter: Any) -> Iterator[Tuple[str, Dict[str, Any]]]:
    """(jobId, execution summary) for every execution of every job."""
    jobs = iotpager.get_paginator(client, "list_jobs")
    executions = iotpager.get_paginator(client, "list_job_executions_for_job")
    for page in jobs.paginate(**job_filter, PaginationConfig={"PageSize": 250}):
        for job in page["jobs"]:
            for epage in executions.paginate(jobId=job["jobId"],
                                             PaginationConfig={"PageSize": 250}):
                for execution in epage["executionSummaries"]:
                    yield job["jobId"], execution


def main(argv: Optional[List[str]] = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--status", help="only the jobs of this status")
    ap.add_argument("--endpoint-url")
    args = ap.parse_args(argv)
    client = boto3.client("iot", endpoint_url=args.endpoint_url)
    job_filter = {"status": args.status} if args.status else {}
    by_status: Dict[str, int] = collections.Counter()
    for job_id, execution in job_executions(client, **job_filter):
        by_status[execution["jobExecutionSummary"]["status"]] += 1
    print(dict(by_status))


if __name__ == "__main__":
    main()
