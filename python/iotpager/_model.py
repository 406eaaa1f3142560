"""botocore's model of a paginated operation, compiled once for the C core.

``operation(client, name)`` gives an ``Operation``: the operation's name, its
botocore OperationModel and paginator config, and a ``_core.Plan`` - the
output shape as a tree of nodes (structure / list / map / string / integer /
double / boolean / timestamp, with the JSON names, member names and enum
values) that the C walker follows over simdjson and the builder turns into
the page dict botocore's parser would make. Nothing here knows IoT: any
rest-json operation with a paginator compiles.

Values the C builder does not judge itself (a wrong type for a structure,
list, map, integer or double; a blob; a string timestamp; a shape botocore
treats specially) go back to botocore's own parser for the node's shape:
``shapes[node]`` is that shape.

``parse_body(client, name, body, ...)`` builds one page from bytes, exactly as
the iterator does: for the same-bytes tests.
"""

from __future__ import annotations

import json
import threading
import weakref
from typing import Any, Dict, List, Optional, Tuple

import botocore.loaders

from . import _core

T_STRUCTURE, T_LIST, T_MAP, T_STRING, T_INTEGER, T_DOUBLE, T_BOOLEAN, T_TIMESTAMP, T_OTHER = range(1, 10)
NF_BOTOCORE, NF_RESULT = 1, 2

_TYPES = {
    "structure": T_STRUCTURE, "list": T_LIST, "map": T_MAP, "string": T_STRING,
    "integer": T_INTEGER, "long": T_INTEGER, "double": T_DOUBLE, "float": T_DOUBLE,
    "boolean": T_BOOLEAN, "timestamp": T_TIMESTAMP,
}


class UnsupportedOperation(ValueError):
    """The operation cannot run through iotpager (not paginated, another
    protocol, or a shape the C core does not follow)."""


def _as_list(value) -> List[str]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


class Operation:
    """One compiled operation. Immutable; shared by every paginator of
    clients with the same service model."""

    def __init__(self, service_model: Any, name: str, config: Dict[str, Any]):
        model = service_model.operation_model(name)
        protocol = getattr(model.service_model, "resolved_protocol", None) or \
            model.service_model.protocol
        if protocol != "rest-json":
            raise UnsupportedOperation(f"iotpager: {name} uses the {protocol} protocol, "
                                       "not rest-json")
        self.name = name
        self.model = model
        self.config = config
        self.input_token = _as_list(config.get("input_token"))
        self.output_token = _as_list(config.get("output_token"))
        self.result_keys = _as_list(config.get("result_key"))
        self.non_aggregate_keys = _as_list(config.get("non_aggregate_keys"))
        self.limit_key = config.get("limit_key")
        if len(self.input_token) != 1 or len(self.output_token) != 1:
            raise UnsupportedOperation(f"iotpager: {name} has more than one pagination token")
        if "?" in model.http.get("requestUri", ""):
            raise UnsupportedOperation(f"iotpager: {name}'s request URI has a query part")
        self.input_token_name = self.input_token[0]
        self.output_token_name = self.output_token[0]
        input_shape = model.input_shape
        member = input_shape.members.get(self.input_token_name) if input_shape else None
        if member is None:
            raise UnsupportedOperation(f"iotpager: {name}'s input token is not a member")
        location = member.serialization.get("location")
        if location == "querystring":
            self.token_in_body = False
            self.token_param = member.serialization.get("name", self.input_token_name)
        elif location is None:
            self.token_in_body = True
            self.token_param = member.serialization.get("name", self.input_token_name)
        else:
            raise UnsupportedOperation(f"iotpager: {name}'s input token is in the {location}")
        self.plan, self.shapes = _compile_output(model, self.result_keys, self.output_token_name)


def _compile_output(model: Any, result_keys: List[str], token: str) -> Tuple[Any, List[Any]]:
    shape = model.output_shape
    if shape is None or shape.type_name != "structure":
        raise UnsupportedOperation(f"iotpager: {model.name} has no output structure")
    if "payload" in shape.serialization:
        raise UnsupportedOperation(f"iotpager: {model.name}'s output has a payload member")
    names = list(shape.members)
    for name, member in shape.members.items():
        if member.serialization.get("location"):
            raise UnsupportedOperation(
                f"iotpager: {model.name}'s output member {name} is not in the body")
    for key in result_keys + [token]:
        if key not in shape.members:
            raise UnsupportedOperation(
                f"iotpager: {model.name}'s paginator names {key!r}, not a top-level member")
    nodes: List[Optional[tuple]] = []
    shapes: List[Any] = []

    def node(sh: Any, wire: str, key: Optional[str], ancestors: frozenset, flags: int = 0) -> int:
        index = len(nodes)
        nodes.append(None)
        shapes.append(sh)
        tname = sh.type_name
        ntype = _TYPES.get(tname, T_OTHER)
        children: List[int] = []
        enums: Tuple[str, ...] = ()
        special = (
            ntype == T_OTHER
            or sh.name in ancestors                          # recursive
            or getattr(sh, "is_tagged_union", False)
            or getattr(sh, "is_document_type", False)
            or bool(sh.serialization.get("jsonvalue"))
            or bool(sh.serialization.get("location"))
            or bool(sh.serialization.get("eventstream"))
        )
        if special:
            ntype, flags = T_OTHER, flags | NF_BOTOCORE
        elif ntype == T_STRUCTURE:
            inner = ancestors | {sh.name}
            for name, member in sh.members.items():
                children.append(node(member, member.serialization.get("name", name), name, inner))
        elif ntype == T_LIST:
            children.append(node(sh.member, "", None, ancestors | {sh.name}))
        elif ntype == T_MAP:
            inner = ancestors | {sh.name}
            children.append(node(sh.key, "", None, inner))
            children.append(node(sh.value, "", None, inner))
        elif ntype == T_STRING:
            enums = tuple(e for e in (getattr(sh, "enum", None) or []) if isinstance(e, str))
        nodes[index] = (ntype, flags, wire, key, tuple(children), enums)
        return index

    root = len(nodes)
    nodes.append(None)
    shapes.append(shape)
    children = []
    for name, member in shape.members.items():
        flags = NF_RESULT if name in result_keys and member.type_name == "list" else 0
        children.append(node(member, member.serialization.get("name", name), name,
                             frozenset({shape.name}), flags))
    nodes[root] = (T_STRUCTURE, 0, "", None, tuple(children), ())
    primary = names.index(result_keys[0]) if result_keys else -1
    plan = _core.Plan(nodes, primary, names.index(token), sparse_lists=lists_are_sparse())
    return plan, shapes


def lists_are_sparse() -> bool:
    """Whether the installed botocore's parser keeps a null list item as None
    (botocore 1.44: every list sparse) or parses it by the member's shape
    (older: float(None) raises), asked of botocore once."""
    global _SPARSE
    if _SPARSE is None:
        import botocore.model
        import botocore.parsers

        shape = botocore.model.ListShape(
            "L", {"type": "list", "member": {"shape": "I"}},
            botocore.model.ShapeResolver({"I": {"type": "integer"}}))
        try:
            _SPARSE = botocore.parsers.RestJSONParser()._handle_list(shape, [None]) == [None]
        except Exception:
            _SPARSE = False
    return _SPARSE


_SPARSE: Optional[bool] = None
_lock = threading.Lock()
_cache: "weakref.WeakKeyDictionary[Any, Dict[str, Any]]" = weakref.WeakKeyDictionary()
_configs: Dict[Tuple[str, str], Dict[str, Any]] = {}


def _pagination(client: Any) -> Dict[str, Any]:
    """The service's paginators-1 config, as the client's own get_paginator
    loads it."""
    model = client.meta.service_model
    key = (model.service_name, model.api_version)
    config = _configs.get(key)
    if config is None:
        loader = getattr(client, "_loader", None) or botocore.loaders.create_loader()
        try:
            config = loader.load_service_model(model.service_name, "paginators-1",
                                               model.api_version)["pagination"]
        except Exception:   # no paginators for this service
            config = {}
        _configs[key] = config
    return config


def operation_name(client: Any, name: str) -> Optional[str]:
    """The model's name (ListThings) for a method name (list_things) or a
    model name; None when there is no such operation."""
    if not isinstance(name, str):
        return None
    mapping = getattr(client.meta, "method_to_api_mapping", None) or {}
    if name in mapping:
        return mapping[name]
    if name in client.meta.service_model.operation_names:
        return name
    return None


def operation(client: Any, name: str) -> Operation:
    """The compiled Operation for a paginated operation of the client's
    service; UnsupportedOperation when there is none."""
    op_name = operation_name(client, name)
    config = _pagination(client).get(op_name) if op_name else None
    if config is None:
        raise UnsupportedOperation(f"iotpager: {name!r} is not a paginated operation of "
                                   f"{client.meta.service_model.service_name}")
    model = client.meta.service_model
    with _lock:
        per_model = _cache.get(model)
        if per_model is None:
            per_model = _cache[model] = {}
        compiled = per_model.get(op_name)
        if compiled is None:
            compiled = per_model[op_name] = Operation(model, op_name, config)
    if isinstance(compiled, UnsupportedOperation):   # pragma: no cover
        raise compiled
    return compiled


def can_paginate(client: Any, name: str) -> bool:
    try:
        operation(client, name)
    except UnsupportedOperation:
        return False
    return True


def paginated_operations(client: Any) -> List[str]:
    """The model names of every operation iotpager can paginate."""
    return [name for name in _pagination(client) if can_paginate(client, name)]


def body_template(serializer: Any, op: Operation, kwargs: Dict[str, Any]) -> Tuple[bytes, bytes]:
    """The request body with the input token, split around the token's JSON
    string: botocore's serializer writes the body with the token where
    botocore's PageIterator puts it (in place when the caller's kwargs have
    it, else after every other parameter), so C only splices in the token."""
    sentinel = "iotpager\u0000token\u0000sentinel"
    probe = dict(kwargs)
    probe[op.input_token_name] = sentinel
    body = serializer.serialize_to_request(probe, op.model)["body"]
    if isinstance(body, str):
        body = body.encode("utf-8")
    marker = json.dumps(sentinel).encode("ascii")
    if body.count(marker) != 1:
        raise UnsupportedOperation(f"iotpager: cannot place the token in {op.name}'s body")
    prefix, suffix = body.split(marker)
    return prefix, suffix


def parse_body(client: Any, name: str, body: bytes, *, status: int = 200,
               headers: Optional[List[Tuple[str, str]]] = None, tz: str = "local") -> Dict[str, Any]:
    """The page iotpager builds from one response body of operation `name`
    (what the iterator yields for it), without any HTTP: for tests that hand
    the same bytes to botocore's parser."""
    import datetime

    from dateutil.tz import tzlocal

    from ._controller import Controller

    op = operation(client, name)
    if tz == "utc":
        mode, tzinfo = _core.TZ_UTC, datetime.timezone.utc
    elif tz == "raw":
        mode, tzinfo = _core.TZ_RAW, datetime.timezone.utc
    elif tz == "local":
        mode, tzinfo = _core.TZ_LOCAL, tzlocal()
    else:
        raise ValueError(f"iotpager: tz must be 'local', 'utc' or 'raw', not {tz!r}")
    controller = Controller(client, tz, operation=op)
    return _core.parse_page(body, controller, mode, tzinfo, status=status, headers=headers,
                            plan=op.plan)
