# Type stubs for iotpager's public API. Field names and types follow the
# IoT service model's ListJobs output (JobSummary).
import datetime
from typing import Any, Dict, Iterator, List, Literal, Optional, TypedDict, TypeVar, overload

from ._paginator import (AnyPageIterator as AnyPageIterator, AnyPaginator as AnyPaginator,
                         PageIterator as PageIterator, Paginator as Paginator)

__version__: str
__all__: List[str]

JobStatus = Literal["IN_PROGRESS", "CANCELED", "COMPLETED", "DELETION_IN_PROGRESS", "SCHEDULED"]
TargetSelection = Literal["CONTINUOUS", "SNAPSHOT"]
Tz = Literal["local", "utc"]

class ResponseMetadata(TypedDict, total=False):
    RequestId: str
    HostId: str
    HTTPStatusCode: int
    HTTPHeaders: Dict[str, str]
    RetryAttempts: int
    MaxAttemptsReached: bool

class JobSummary(TypedDict, total=False):
    jobArn: str
    jobId: str
    thingGroupId: str
    targetSelection: TargetSelection
    status: JobStatus
    createdAt: datetime.datetime
    lastUpdatedAt: datetime.datetime
    completedAt: datetime.datetime
    isConcurrent: bool

class ListJobsPage(TypedDict, total=False):
    ResponseMetadata: ResponseMetadata
    jobs: List[JobSummary]
    nextToken: str

class PaginationConfig(TypedDict, total=False):
    MaxItems: int
    PageSize: int
    StartingToken: str

class Stats(TypedDict):
    pages: int
    jobs: int
    bytes: int
    requests: int
    retries: int
    elapsed: float

# At run time a subclass of botocore.parsers.ResponseParserError (an
# Exception); botocore ships no type information, so the stub says Exception.
class InvalidResponseError(Exception):
    reason: str
    path: str
    status: Optional[int]
    request_id: Optional[str]
    operation: str
    def __init__(self, reason: str, path: str, status: Optional[int] = ...,
                 request_id: Optional[str] = ..., operation: str = ...) -> None: ...

_C = TypeVar("_C")

@overload
def get_paginator(client: Any, operation_name: Literal["list_jobs"] = ..., *, tz: Tz = ...,
                  max_body: int = ..., prefetch: bool = ..., progress: bool = ...) -> Paginator: ...
@overload
def get_paginator(client: Any, operation_name: Literal["ListJobs"], *, tz: Tz = ...,
                  max_body: int = ..., prefetch: bool = ..., progress: bool = ...) -> Paginator: ...
@overload
def get_paginator(client: Any, operation_name: str, *, tz: Tz = ...,
                  max_body: int = ..., prefetch: bool = ..., progress: bool = ...) -> AnyPaginator: ...

def accelerate(client: _C, *, tz: Tz = ..., max_body: int = ..., prefetch: bool = ...,
               progress: bool = ...) -> _C: ...

class Client:
    def __init__(self, region_name: Optional[str] = ..., endpoint_url: Optional[str] = ...,
                 aws_access_key_id: Optional[str] = ..., aws_secret_access_key: Optional[str] = ...,
                 aws_session_token: Optional[str] = ..., profile_name: Optional[str] = ...,
                 config: Any = ..., *, tz: Tz = ..., max_body: int = ..., prefetch: bool = ...,
                 progress: bool = ..., verify: Any = ...) -> None: ...
    @property
    def meta(self) -> Any: ...
    @property
    def exceptions(self) -> Any: ...
    def can_paginate(self, operation_name: str) -> bool: ...
    @overload
    def get_paginator(self, operation_name: Literal["list_jobs"]) -> Paginator: ...  # type: ignore[overload-overlap]
    @overload
    def get_paginator(self, operation_name: Literal["ListJobs"]) -> Paginator: ...  # type: ignore[overload-overlap]
    @overload
    def get_paginator(self, operation_name: str) -> AnyPaginator: ...
    def __getattr__(self, name: str) -> Any: ...   # list_things(...) and the other single calls
    def list_jobs(self, *, status: JobStatus = ..., targetSelection: TargetSelection = ...,
                  maxResults: int = ..., nextToken: str = ..., thingGroupName: str = ...,
                  thingGroupId: str = ..., namespaceId: str = ...) -> ListJobsPage: ...
