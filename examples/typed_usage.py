"""Typed use of iotpager: mypy --strict checks this file (tests/test_types.py).

The page and job TypedDicts carry the service model's field names and types,
so an editor completes ``job["createdAt"]`` and knows it is a datetime.
"""

import datetime
from typing import Dict, List

import boto3

import iotpager
from iotpager import JobSummary, ListJobsPage


def newest_per_status(client: object) -> Dict[str, datetime.datetime]:
    paginator = iotpager.get_paginator(client, "list_jobs", tz="utc")
    newest: Dict[str, datetime.datetime] = {}
    page: ListJobsPage
    for page in paginator.paginate(PaginationConfig={"PageSize": 250}):
        jobs: List[JobSummary] = page.get("jobs", [])
        for job in jobs:
            status = job.get("status")
            created = job.get("createdAt")
            if status is None or created is None:
                continue
            if status not in newest or created > newest[status]:
                newest[status] = created
    return newest


def first_page_ids(client: iotpager.Client) -> List[str]:
    page = client.list_jobs(maxResults=10, status="IN_PROGRESS")
    return [job["jobId"] for job in page.get("jobs", []) if "jobId" in job]


if __name__ == "__main__":
    print(newest_per_status(boto3.client("iot")))
