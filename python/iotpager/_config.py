"""Configuration taken over from a boto3/botocore IoT client.

Everything here runs once per paginate() call, never per page: region,
endpoint, TLS verification and CA bundle, proxies, timeouts, user agent,
the credentials object (asked for frozen credentials on every request, so
refreshing credentials work) and the client's exception classes.
"""

from __future__ import annotations

import dataclasses
import functools
import socket
from typing import Any, Optional
from urllib.parse import urlsplit

import botocore.auth
import botocore.httpsession


@dataclasses.dataclass
class Transport:
    endpoint: str          # scheme://netloc
    path: str              # "/jobs" under the endpoint's own path, if any
    host: str              # Host header value, as botocore signs it
    region: str            # signing region
    service: str
    connect_timeout: float
    read_timeout: float
    verify: bool
    ca_bundle: Optional[str]
    proxy: Optional[str]   # "" = no proxy
    user_agent: Optional[str]
    join_folds: bool       # obs-fold header lines joined with a space (see below)
    base_path: str = ""    # the endpoint URL's own path, without a trailing "/"


@functools.lru_cache(maxsize=1)
def header_folds_joined() -> bool:
    """How the installed botocore's HTTP stack hands over an obs-fold header
    line: kept as http.client keeps it ("one \\r\\n\\t two": False), or joined
    with one space ("one two": True, urllib3 >= 2.8). Asked of botocore's own
    connection class once per process, over a socket pair: a response with a
    folded header is read through it, as botocore reads every response."""
    from botocore.awsrequest import AWSHTTPConnection

    mine, theirs = socket.socketpair()
    try:
        theirs.sendall(b"HTTP/1.1 200 OK\r\nX-Fold: one \r\n\t two\r\n"
                       b"Content-Length: 0\r\n\r\n")
        # a real timeout: urllib3 1.26's request() hands the default (a
        # sentinel object) to sock.settimeout(), a TypeError
        conn = AWSHTTPConnection("localhost", timeout=10)
        conn.sock = mine
        conn.request("GET", "/")
        value = conn.getresponse().headers.get("x-fold")
    finally:
        mine.close()
        theirs.close()
    return "\r\n" not in (value or "")


def _host_from_url(url: str) -> str:
    fn = getattr(botocore.auth, "_host_from_url", None)
    if fn is not None:
        return fn(url)
    parts = urlsplit(url)
    host = parts.hostname or ""
    default_ports = {"http": 80, "https": 443}
    if parts.port is not None and parts.port != default_ports.get(parts.scheme):
        host = f"{host}:{parts.port}"
    return host


def _user_agent(client: Any) -> Optional[str]:
    creator = getattr(client, "_user_agent_creator", None)
    if creator is not None:
        try:
            return creator.to_string()
        except Exception:  # pragma: no cover - older botocore
            pass
    return getattr(client.meta.config, "user_agent", None)


def transport_from_client(client: Any, operation: str = "ListJobs") -> Transport:
    """Read the transport settings of a botocore IoT client."""
    meta = client.meta
    endpoint_url = meta.endpoint_url
    parts = urlsplit(endpoint_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"iotpager: unsupported endpoint URL {endpoint_url!r}")
    base_path = parts.path.rstrip("/")
    op = meta.service_model.operation_model(operation)
    path = base_path + op.http["requestUri"]
    config = meta.config
    session = getattr(client._endpoint, "http_session", None)
    verify_value = getattr(session, "_verify", True)
    verify = verify_value is not False
    ca_bundle = None
    if verify:
        ca_bundle = botocore.httpsession.get_cert_path(verify_value)
    proxy = ""
    proxy_config = getattr(session, "_proxy_config", None)
    if proxy_config is not None:
        proxy = proxy_config.proxy_url_for(endpoint_url) or ""
    signer = client._request_signer
    region = getattr(signer, "_region_name", None) or meta.region_name
    service = getattr(signer, "_signing_name", None) or meta.service_model.signing_name
    return Transport(
        endpoint=f"{parts.scheme}://{parts.netloc}",
        path=path,
        host=_host_from_url(endpoint_url),
        region=region,
        service=service,
        connect_timeout=float(config.connect_timeout or 60),
        read_timeout=float(config.read_timeout or 60),
        verify=verify,
        ca_bundle=ca_bundle if isinstance(ca_bundle, str) else None,
        proxy=proxy,
        user_agent=_user_agent(client),
        join_folds=header_folds_joined(),
        base_path=base_path,
    )
