"""Exact comparison of pages (and exception responses) for the botocore parity tests.

``==`` is not enough to say that iotpager built the page botocore builds:

* dicts compare equal whatever their key order, and botocore's key order
  (the service model's member order; ResponseMetadata first) is part of
  what iotpager promises;
* ``1 == 1.0 == True``, so a wrong scalar type would go unnoticed;
* aware datetimes compare by instant, and two datetimes in a repeated
  (DST fall-back) hour compare UNEQUAL across tzinfo instances even when
  they are the same wall time with the same fold, while a wrong fold with
  the same tzinfo can compare equal.

``canon(obj)`` turns a value into a tree of tuples that compares equal only
when types (exact, no subclasses), dict key order, float bit patterns and
datetimes (tzinfo type, naive wall time, fold, utcoffset, tzname) are all the
same. ``assert_same(a, b)`` compares two values with ``canon`` and on a
difference says where it is (``$.jobs[3].createdAt``) and what differs.
"""

from __future__ import annotations

import datetime
import math

__all__ = ["canon", "describe_datetime", "first_difference", "assert_same", "to_utc",
           "walk_datetimes"]


def _type_name(obj):
    t = type(obj)
    return f"{t.__module__}.{t.__qualname__}"


def describe_datetime(dt):
    """(tzinfo type name, naive isoformat, fold, utcoffset, tzname)."""
    return (
        type(dt.tzinfo).__name__,
        dt.replace(tzinfo=None).isoformat(),
        dt.fold,
        repr(dt.utcoffset()),
        dt.tzname(),
    )


def canon(obj):
    """A comparable tree of ``obj`` capturing exact types, key order and datetimes."""
    name = _type_name(obj)
    if isinstance(obj, dict):
        return (name, tuple((canon(k), canon(v)) for k, v in obj.items()))
    if isinstance(obj, (list, tuple)):
        return (name, tuple(canon(x) for x in obj))
    if isinstance(obj, datetime.datetime):
        return (name,) + describe_datetime(obj)
    if isinstance(obj, float):
        # repr keeps -0.0, inf and every bit of the value; nan == nan here
        return (name, "nan" if math.isnan(obj) else repr(obj))
    if obj is None or isinstance(obj, (str, bytes, int)):  # bool is an int; the name differs
        return (name, obj)
    return (name, repr(obj))


def _short(v, limit=300):
    r = repr(v)
    return r if len(r) <= limit else r[:limit] + "..."


def first_difference(a, b, path="$"):
    """None when canon(a) == canon(b), else a message saying where and how they differ."""
    ta, tb = _type_name(a), _type_name(b)
    if ta != tb:
        return f"{path}: type {ta} != {tb} ({_short(a)} vs {_short(b)})"
    if isinstance(a, dict):
        ka, kb = list(a), list(b)
        if ka != kb:
            if sorted(map(repr, ka)) == sorted(map(repr, kb)):
                return f"{path}: same keys in another order: {ka} vs {kb}"
            return (f"{path}: keys differ: only left {[k for k in ka if k not in b]}, "
                    f"only right {[k for k in kb if k not in a]} ({ka} vs {kb})")
        for k in ka:
            d = first_difference(a[k], b[k], f"{path}.{k}" if isinstance(k, str) else f"{path}[{k!r}]")
            if d:
                return d
        return None
    if isinstance(a, (list, tuple)):
        if len(a) != len(b):
            return f"{path}: length {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    if canon(a) != canon(b):
        if isinstance(a, datetime.datetime):
            return f"{path}: {describe_datetime(a)} != {describe_datetime(b)}"
        return f"{path}: {_short(a)} != {_short(b)}"
    return None


def assert_same(want, got, what="value"):
    """Assert canon(want) == canon(got); want is botocore's, got is iotpager's."""
    if canon(want) != canon(got):
        diff = first_difference(want, got)
        raise AssertionError(f"{what} differs from botocore's: {diff or 'canon() differs'}")


def walk_datetimes(obj):
    """Every datetime in a page (dicts and lists, depth first)."""
    if isinstance(obj, datetime.datetime):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from walk_datetimes(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from walk_datetimes(v)


def to_utc(obj):
    """A copy of botocore's value with every aware datetime converted to
    datetime.timezone.utc (what iotpager's tz="utc" promises); naive ones stay."""
    if isinstance(obj, datetime.datetime):
        return obj.astimezone(datetime.timezone.utc) if obj.tzinfo is not None else obj
    if isinstance(obj, dict):
        return {k: to_utc(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [to_utc(v) for v in obj]
    return obj
