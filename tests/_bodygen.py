"""Deterministic JSON response bodies for any botocore output shape.

``BodyGen(seed, profile).body(shape)`` writes the TEXT of a response body
(bytes, UTF-8) for a botocore ``StructureShape``. The text is written token
by token, never through ``json.dumps`` alone, so that a body can hold what a
serialiser would never produce but a parser must still read as ``json.loads``
reads it:

* every member of the model, in the model's order or shuffled;
* ``null`` at member level, as list entries and as map values;
* unknown members at every level (including case twins of real members such
  as ``NextToken``, an empty key and keys written with escapes);
* wrongly typed values: a string or an object where a number is expected, an
  object where a string is expected, a list where a structure is expected, a
  string where a list is expected, ...;
* strings with raw UTF-8 and escapes: ``\\u00e9``, a surrogate pair
  ``\\ud83d\\ude00``, a lone surrogate ``\\udc80``, ``\\n``, ``\\"``, ``\\/``,
  upper- and lower-case hex, keys with escapes (``"\\u006aobId"``);
* timestamps as epoch integers, epoch floats with a fraction, numeric
  strings, ISO 8601 with ``Z`` or an offset, RFC 822, and out of range;
* numbers beyond int64, ``1e400``, ``-0.0``, ``1.5e300``, ``5e-324``;
* duplicate keys (the last one wins, as in ``json.loads``; in a map the key
  keeps its first position);
* empty lists and maps, white space between tokens.

Nothing here predicts what a parser makes of a body: the tests ask botocore.

Profiles:

``typical``   what a service sends: valid types only, no nulls, no
              duplicates, epoch timestamps, enum values from the model,
              occasionally an unknown member (a newer model) or another key
              order; botocore never raises on these.
``edge``      valid types only, but every edge of them: nulls, unknown
              members, duplicates whose last value is valid, escapes, big and
              odd numbers of the right JSON type, ISO timestamps, empty
              containers, shuffled keys.
``wild``      ``edge`` plus wrongly typed values, at a rate chosen per body
              (some bodies have none, some many).

Run as a script to print one generated body of an IoT operation:
``python tests/_bodygen.py ListThings wild 12345``.
"""

from __future__ import annotations

import collections
import random

__all__ = ["BodyGen", "PROFILES", "FEATURES", "body_seed", "count_nodes"]

PROFILES = ("typical", "edge", "wild")

# What the self-check in tests/test_model_parity.py requires the generator to
# have produced over a run (see BodyGen.features).
FEATURES = (
    "null_member", "null_list_entry", "null_map_value", "unknown_member", "unknown_top_level",
    "wrong_type", "wrong_type_structure", "wrong_type_list", "wrong_type_map",
    "wrong_type_number", "wrong_type_string", "duplicate_key", "duplicate_map_key",
    "shuffled_keys", "empty_list", "empty_map", "escaped_key",
    "escape_short", "escape_solidus", "escape_quote", "escape_u_bmp", "escape_surrogate_pair",
    "escape_lone_surrogate", "raw_non_bmp", "raw_utf8",
    "ts_epoch_int", "ts_epoch_float", "ts_iso_z", "ts_iso_offset", "ts_numeric_string",
    "ts_out_of_range", "num_beyond_int64", "num_1e400", "num_neg_zero", "num_1_5e300",
    "whitespace",
)

WS = " \t\n\r"

# ------------------------------------------------------------------ value pools
# (JSON text, feature names)

INT_VALID = [
    ("0", ()), ("1", ()), ("-1", ()), ("42", ()), ("2147483647", ()), ("-2147483648", ()),
    ("9007199254740993", ()), ("9223372036854775807", ()), ("-9223372036854775808", ()),
    ("9223372036854775808", ("num_beyond_int64",)), ("18446744073709551616", ("num_beyond_int64",)),
    ("-18446744073709551617", ("num_beyond_int64",)),
    (str(10 ** 30), ("num_beyond_int64",)), (str(-(3 ** 80)), ("num_beyond_int64",)),
    (str(7 ** 300), ("num_beyond_int64",)),   # 254 digits
    ("-0", ()), ("1000000", ()),
]

FLOAT_VALID = [
    ("0.0", ()), ("-0.0", ("num_neg_zero",)), ("1.5", ()), ("-2.25", ()), ("0.1", ()),
    ("1e3", ()), ("1E+3", ()), ("2.5e-3", ()), ("1.5e300", ("num_1_5e300",)),
    ("-1.5e300", ("num_1_5e300",)), ("5e-324", ()), ("1e-400", ()), ("1e400", ("num_1e400",)),
    ("-1e400", ("num_1e400",)), ("1.7976931348623157e308", ()), ("123456789012345678901234567890.5", ()),
    ("0.95000000000000000000", ()), ("-0.04073709551615446744073709551615", ()),
    ("3.141592653589793238462643383279", ()), ("100", ()), ("-7", ()), ("0", ()),
    (str(10 ** 30), ("num_beyond_int64",)),
]

# wrong JSON types (or strings) where a number is expected; botocore converts
# some (int("12"), float("nan"), int(1.5)) and raises on others
NUMBER_WRONG = [
    '"12"', '" -7 "', '"1_000"', '"+5"', '"-0"', '"0x1f"', '"1.5"', '""', '"abc"',
    '"\\u0661\\u0662"', '"\\u0031\\u0032"', '"nan"', '"-inf"', '"Infinity"', '" 2.5e3 "',
    '"1e400"', "true", "false", "{}", "[]", "[1]", '{"a":1}', "1.5", "-1.9", "1e400", "-1e400",
    "1.5e300", "-0.0", "1e18", '"9223372036854775808"', str(10 ** 400), "-" + str(10 ** 310),
]

BOOLEAN_VALID = ["true", "false"]
BOOLEAN_WRONG = ['"true"', '"TRUE"', '"True"', '"tRuE"', '"yes"', '"false"', '""', '"true "',
                 '"tr\\u0075e"', '"tr\\u00fce"', "1", "0", "1.5", "{}", "[]", '{"a":true}',
                 "[true]", "-0.0", '"1"']

# timestamps that botocore's parse_timestamp accepts (in any zone)
TS_VALID = [
    ("0", ("ts_epoch_int",)), ("1", ("ts_epoch_int",)), ("-1", ("ts_epoch_int",)),
    ("1700000000", ("ts_epoch_int",)), ("2147483648", ("ts_epoch_int",)),
    ("1636266600", ("ts_epoch_int",)), ("1699165800", ("ts_epoch_int",)),
    ("-2208988800", ("ts_epoch_int",)), ("4102444800", ("ts_epoch_int",)),
    ("1700000000.5", ("ts_epoch_float",)), ("1700000000.123", ("ts_epoch_float",)),
    ("1.5e9", ("ts_epoch_float",)), ("1E9", ("ts_epoch_float",)), ("-0.5", ("ts_epoch_float",)),
    ("1700000000.0", ("ts_epoch_float",)), ("1699165799.9999995", ("ts_epoch_float",)),
    ("1700000000.0000005", ("ts_epoch_float",)), ("0.0000005", ("ts_epoch_float",)),
    ("1700000000.1234567890123456789", ("ts_epoch_float",)), ("-0.0", ("ts_epoch_float", "num_neg_zero")),
    ('"1700000000"', ("ts_numeric_string",)), ('"1700000000.5"', ("ts_numeric_string",)),
    ('" 1700000000 "', ("ts_numeric_string",)), ('"1e9"', ("ts_numeric_string",)),
    ('"-1.25"', ("ts_numeric_string",)),
    ('"2023-11-14T22:13:20Z"', ("ts_iso_z",)), ('"2023-11-14T22:13:20.123456Z"', ("ts_iso_z",)),
    ('"2023-11-14T22:13:20.5Z"', ("ts_iso_z",)), ('"20231114T221320Z"', ("ts_iso_z",)),
    ('"2023-11-14T22:13:20+05:30"', ("ts_iso_offset",)), ('"2023-11-14T22:13:20-08:00"', ("ts_iso_offset",)),
    ('"2023-11-14T22:13:20.5+00:00"', ("ts_iso_offset",)), ('"2023-11-14T22:13:20-0800"', ("ts_iso_offset",)),
    ('"2023-11-14T22:13:20"', ()), ('"2023-11-14 22:13:20"', ()), ('"2023-11-14"', ()),
    ('"2021-11-07T01:30:00"', ()), ('"Tue, 14 Nov 2023 22:13:20 GMT"', ()),
    ('"2023-11-14T22:13:20\\u005a"', ("ts_iso_z",)),
]

# timestamps botocore rejects (ValueError, RuntimeError, ...) or takes oddly
TS_WRONG = [
    ("1e20", ("ts_out_of_range",)), ("-1e20", ("ts_out_of_range",)), ("1e400", ("ts_out_of_range", "num_1e400")),
    ("99999999999999999999", ("ts_out_of_range", "num_beyond_int64")),
    ("253402300800", ("ts_out_of_range",)), ("-62135596801", ("ts_out_of_range",)),
    ("253402300799", ()), ("-62135596800", ()), ("-62135596000", ()), ("253402250000", ()),
    ('"0001-01-01T00:00:00+05:00"', ("ts_iso_offset",)), ('"9999-12-31T23:59:59-05:00"', ("ts_iso_offset",)),
    ('"0001-01-01T00:00:00Z"', ("ts_iso_z",)),
    ('"not a date"', ()), ('"nan"', ()), ('"2023-13-45T00:00:00Z"', ()), ('""', ()),
    ("true", ()), ("false", ()), ("{}", ()), ('{"a":1}', ()), ("[1]", ()), ("[]", ()),
    ('"\\udc80"', ("escape_lone_surrogate",)),
]

STRING_PIECES = [
    "a", "thing", "job-1", "arn:aws:iot:us-east-1:123456789012:thing/x", " ", "",
    "\u00e9", "caf\u00e9", "\u4e2d\u6587", "\u2713", "\U0001F600", "\U0001F680", "\U0010FFFF",
    "\u00e9\u0301", "\ufeff", "\u2028", "\x7f", "\x00", "\x1f", "\n", "\t", "\r", "\b", "\f",
    '"', "\\", "/", "\\u0041", "%2F", "+", "=", "\udc80", "\ud800x", "\U00010000",
]

UNKNOWN_NAMES = ["zzz", "extra", "x", "", "ResponseMetadata", "message", "__type",
                 "unknownMember", "\u00e9t\u00e9", "\U0001F600", "a.b", "a[0]", "$"]


def body_seed(*parts):
    """A stable 32-bit seed from strings and ints (not Python's salted hash)."""
    import zlib

    return zlib.crc32("\x1f".join(map(str, parts)).encode("utf-8", "surrogatepass"))


def count_nodes(shape, type_name, _seen=None):
    """How many shapes of ``type_name`` the tree under ``shape`` holds (recursion cut)."""
    seen = _seen or frozenset()
    n = 1 if shape.type_name == type_name else 0
    if shape.type_name == "structure":
        if shape.name in seen:
            return n
        for m in shape.members.values():
            n += count_nodes(m, type_name, seen | {shape.name})
    elif shape.type_name == "list":
        n += count_nodes(shape.member, type_name, seen)
    elif shape.type_name == "map":
        n += count_nodes(shape.key, type_name, seen) + count_nodes(shape.value, type_name, seen)
    return n


class BodyGen:
    """One generator per body (or per stream of bodies): ``BodyGen(seed, profile).body(shape)``.

    ``features`` counts what the generated text holds (FEATURES names).
    ``extra_timestamps``: more JSON texts for timestamp members (e.g. the DST
    changes of a zone), picked as often as the built-in pool.
    """

    def __init__(self, seed, profile="wild", *, extra_timestamps=(), max_depth=8):
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}")
        self.rnd = random.Random(seed)
        self.profile = profile
        self.features = collections.Counter()
        self.extra_timestamps = [(t, ()) for t in extra_timestamps]
        self.max_depth = max_depth
        r = self.rnd
        if profile == "typical":
            self.p = dict(null=0.0, wrong=0.0, unknown=0.05, dup=0.0, missing=0.1, shuffle=0.1,
                          escape=0.0, ws=0.02, odd_value=0.0, empty=0.1)
        elif profile == "edge":
            self.p = dict(null=r.choice([0.02, 0.08, 0.2]), wrong=0.0,
                          unknown=r.choice([0.05, 0.2, 0.5]), dup=r.choice([0.0, 0.05, 0.2]),
                          missing=r.choice([0.05, 0.2, 0.5]), shuffle=r.choice([0.2, 0.6, 1.0]),
                          escape=r.choice([0.0, 0.1, 0.4]), ws=r.choice([0.0, 0.1, 0.3]),
                          odd_value=r.choice([0.2, 0.5]), empty=0.2)
        else:
            self.p = dict(null=r.choice([0.02, 0.08, 0.2]),
                          wrong=r.choice([0.0, 0.005, 0.02, 0.05, 0.15]),
                          unknown=r.choice([0.05, 0.2, 0.5]), dup=r.choice([0.0, 0.05, 0.2]),
                          missing=r.choice([0.05, 0.2, 0.5]), shuffle=r.choice([0.2, 0.6, 1.0]),
                          escape=r.choice([0.0, 0.1, 0.4]), ws=r.choice([0.0, 0.1, 0.3]),
                          odd_value=r.choice([0.2, 0.5]), empty=0.2)

    # ------------------------------------------------------------ small helpers

    def _chance(self, name):
        return self.rnd.random() < self.p[name]

    def _pick(self, pool):
        text, feats = self.rnd.choice(pool)
        for f in feats:
            self.features[f] += 1
        return text

    def _ws(self):
        if self.p["ws"] and self.rnd.random() < self.p["ws"]:
            self.features["whitespace"] += 1
            return "".join(self.rnd.choice(WS) for _ in range(self.rnd.randint(1, 3)))
        return ""

    def _hex4(self, cp):
        h = f"{cp:04x}"
        return h.upper() if self.rnd.random() < 0.3 else h

    # ------------------------------------------------------------ strings

    def string_text(self, s, *, key=False):
        """JSON text of str ``s`` (lone surrogates allowed), each character written
        raw or escaped at random (escapes where JSON requires them)."""
        p = self.p["escape"]
        out = ['"']
        for ch in s:
            cp = ord(ch)
            esc = self.rnd.random() < p
            if ch == '"':
                self.features["escape_quote"] += 1
                out.append("\\u0022" if esc else '\\"')
            elif ch == "\\":
                out.append("\\u005c" if esc else "\\\\")
            elif ch == "/":
                if esc or self.rnd.random() < 0.3:
                    self.features["escape_solidus"] += 1
                    out.append("\\/")
                else:
                    out.append("/")
            elif cp < 0x20:
                short = {"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch)
                if short and not esc:
                    self.features["escape_short"] += 1
                    out.append(short)
                else:
                    self.features["escape_u_bmp"] += 1
                    out.append("\\u" + self._hex4(cp))
            elif 0xD800 <= cp <= 0xDFFF:
                self.features["escape_lone_surrogate"] += 1
                out.append("\\u" + self._hex4(cp))
            elif cp > 0xFFFF:
                if esc or self.rnd.random() < 0.4:
                    self.features["escape_surrogate_pair"] += 1
                    v = cp - 0x10000
                    out.append("\\u" + self._hex4(0xD800 + (v >> 10)) + "\\u" + self._hex4(0xDC00 + (v & 0x3FF)))
                else:
                    self.features["raw_non_bmp"] += 1
                    out.append(ch)
            elif esc:
                self.features["escape_u_bmp"] += 1
                out.append("\\u" + self._hex4(cp))
            else:
                if cp > 0x7F:
                    self.features["raw_utf8"] += 1
                out.append(ch)
        out.append('"')
        if key and any(o.startswith("\\u") for o in out):
            self.features["escaped_key"] += 1
        return "".join(out)

    def random_str(self, typical=False):
        r = self.rnd
        if typical:
            base = r.choice(["thing", "job", "group", "cert", "arn:aws:iot:us-east-1:123456789012:x/y",
                             "caf\u00e9", "\u4e2d\u6587", "\U0001F600", "a b", "t+/="])
            return f"{base}-{r.randint(0, 99999)}"
        n = r.choice([0, 1, 1, 2, 3, 5])
        return "".join(r.choice(STRING_PIECES) for _ in range(n))

    # ------------------------------------------------------------ containers

    def object_text(self, pairs):
        """``pairs``: (key text, value text); written in the given order."""
        if not pairs:
            return "{" + self._ws() + "}"
        items = [self._ws() + k + self._ws() + ":" + self._ws() + v + self._ws() for k, v in pairs]
        return "{" + ",".join(items) + "}"

    def array_text(self, items):
        if not items:
            return "[" + self._ws() + "]"
        return "[" + ",".join(self._ws() + v + self._ws() for v in items) + "]"

    def any_json(self, depth=0):
        """Any JSON value (an unknown member's value, a string member's wrong value)."""
        r = self.rnd
        k = r.randint(0, 9 if depth < 3 else 6)
        if k <= 1:
            return self.string_text(self.random_str())
        if k == 2:
            return self._pick(INT_VALID)
        if k == 3:
            return self._pick(FLOAT_VALID)
        if k == 4:
            return r.choice(["true", "false"])
        if k in (5, 6):
            return "null"
        if k == 7:
            return self.array_text([self.any_json(depth + 1) for _ in range(r.randint(0, 3))])
        pairs = []
        for _ in range(r.randint(0, 3)):
            name = r.choice(["a", "b", "c", "\u00e9", ""])
            pairs.append((self.string_text(name, key=True), self.any_json(depth + 1)))
        if len({p[0] for p in pairs}) < len(pairs):
            self.features["duplicate_key"] += 1
        return self.object_text(pairs)

    # ------------------------------------------------------------ shapes

    def body(self, shape):
        """The body of a response whose output shape is ``shape`` (bytes)."""
        text = self.structure_text(shape, 0, top=True)
        if self.p["ws"] and self.rnd.random() < 0.3:
            text = self._ws() + text + self._ws()
        return text.encode("utf-8")

    def value_text(self, shape, depth):
        """A value for ``shape``: mostly of its type, sometimes null or of another type."""
        if self.p["wrong"] and self.rnd.random() < self.p["wrong"]:
            return self.wrong_text(shape, depth)
        t = shape.type_name
        if t == "structure":
            if getattr(shape, "is_document_type", False):
                return self.any_json(depth)
            return self.structure_text(shape, depth)
        if t == "list":
            return self.list_text(shape, depth)
        if t == "map":
            return self.map_text(shape, depth)
        return self.scalar_text(shape)

    def member_value_text(self, shape, depth):
        if self.p["null"] and self.rnd.random() < self.p["null"]:
            self.features["null_member"] += 1
            return "null"
        return self.value_text(shape, depth)

    def _unknown_pairs(self, names_taken):
        pairs = []
        for _ in range(self.rnd.randint(1, 3)):
            name = self.rnd.choice(UNKNOWN_NAMES + [n.upper() for n in names_taken][:3]
                                   + [n[:1].upper() + n[1:] for n in names_taken][:3]
                                   + [n + "X" for n in names_taken][:2])
            if name in names_taken:
                continue
            pairs.append((self.string_text(name, key=True), self.any_json(2)))
        return pairs

    def structure_text(self, shape, depth, top=False):
        r = self.rnd
        groups = []     # one group per key: [(key text, value text), ...], the last one wins
        wire_names = []
        for name, mshape in shape.members.items():
            wire = mshape.serialization.get("name", name)
            wire_names.append(wire)
            if mshape.serialization.get("location"):
                continue    # headers, status code: not in the body
            if depth >= self.max_depth and mshape.type_name in ("structure", "list", "map"):
                continue
            if r.random() < (min(self.p["missing"], 0.1) if top else self.p["missing"]):
                continue
            key = self.string_text(wire, key=True)
            group = []
            if self.p["dup"] and r.random() < self.p["dup"]:
                self.features["duplicate_key"] += 1
                decoy = r.choice(["null", self.any_json(2), self.value_text(mshape, depth + 1)])
                group.append((key if r.random() < 0.5 else self.string_text(wire, key=True), decoy))
            if top and r.random() >= 0.1:
                group.append((key, self.value_text(mshape, depth + 1)))   # mostly not null
            else:
                group.append((key, self.member_value_text(mshape, depth + 1)))
            groups.append(group)
        if self.p["unknown"] and r.random() < self.p["unknown"]:
            self.features["unknown_top_level" if top else "unknown_member"] += 1
            for kv in self._unknown_pairs(wire_names):
                groups.insert(r.randint(0, len(groups)), [kv])
        if len(groups) > 1 and r.random() < self.p["shuffle"]:
            self.features["shuffled_keys"] += 1
            r.shuffle(groups)
        return self.object_text([kv for g in groups for kv in g])

    def _length(self, depth):
        r = self.rnd
        if r.random() < self.p["empty"]:
            return 0
        if depth <= 1:
            if self.profile == "typical" and r.random() < 0.05:
                return 100      # a page of a real size now and then
            return r.choice([1, 1, 2, 3, 4, 5, 8, 12])
        return r.choice([0, 1, 1, 2, 3])

    def list_text(self, shape, depth):
        n = self._length(depth)
        if n == 0:
            self.features["empty_list"] += 1
        items = []
        for _ in range(n):
            if self.p["null"] and self.rnd.random() < self.p["null"]:
                self.features["null_list_entry"] += 1
                items.append("null")
            else:
                items.append(self.value_text(shape.member, depth + 1))
        return self.array_text(items)

    def map_text(self, shape, depth):
        r = self.rnd
        n = self._length(depth)
        if n == 0:
            self.features["empty_map"] += 1
        pairs = []
        for _ in range(n):
            if pairs and self.p["dup"] and r.random() < self.p["dup"]:
                self.features["duplicate_map_key"] += 1
                key = r.choice(pairs)[0]
            else:
                key = self.string_text(self.random_str(self.profile == "typical"), key=True)
            if self.p["null"] and r.random() < self.p["null"]:
                self.features["null_map_value"] += 1
                pairs.append((key, "null"))
            else:
                pairs.append((key, self.value_text(shape.value, depth + 1)))
        return self.object_text(pairs)

    def scalar_text(self, shape):
        r = self.rnd
        t = shape.type_name
        typical = self.profile == "typical" or r.random() >= self.p["odd_value"]
        if t == "string":
            enum = getattr(shape, "enum", None) or []
            if enum and (typical or r.random() < 0.5):
                return self.string_text(r.choice(enum))
            return self.string_text(self.random_str(typical))
        if t in ("integer", "long"):
            if typical:
                return str(r.randint(-2 ** 31, 2 ** 31 - 1) if t == "integer" else r.randint(-2 ** 62, 2 ** 62))
            return self._pick(INT_VALID)
        if t in ("double", "float"):
            if typical:
                x = r.uniform(-1e6, 1e6)
                return r.choice([repr(x), str(int(x)), f"{x:.3f}", f"{x:e}"])
            return self._pick(FLOAT_VALID)
        if t == "boolean":
            return r.choice(BOOLEAN_VALID)
        if t == "timestamp":
            if typical and not self.extra_timestamps:
                v = r.uniform(946684800, 1893456000)
                if r.random() < 0.5:
                    self.features["ts_epoch_int"] += 1
                    return str(int(v))
                self.features["ts_epoch_float"] += 1
                return f"{v:.3f}"
            return self._pick(TS_VALID + self.extra_timestamps * 3)
        if t == "blob":
            import base64
            raw = bytes(r.randrange(256) for _ in range(r.randint(0, 12)))
            return '"' + base64.b64encode(raw).decode("ascii") + '"'
        # an unknown scalar type: any JSON (botocore passes it through)
        return self.any_json(2)

    def wrong_text(self, shape, depth):
        """A value of a type the model does not give ``shape``."""
        r = self.rnd
        t = shape.type_name
        self.features["wrong_type"] += 1
        if t == "structure":
            self.features["wrong_type_structure"] += 1
            return r.choice(['"abc"', '""', "1", "1.5", "true", "false", "[]", "[{}]", "[1]",
                             "[" + self.structure_text(shape, min(depth + 1, self.max_depth)) + "]"])
        if t == "list":
            self.features["wrong_type_list"] += 1
            return r.choice(['"abc"', '""', '"\\u00e9\\ud83d\\ude00"', "{}", '{"a":1,"b":null}',
                             "1", "0", "true", "false", "1e400",
                             '{"k":' + self.value_text(shape.member, depth + 1) + "}"])
        if t == "map":
            self.features["wrong_type_map"] += 1
            return r.choice(['"abc"', '""', "[]", '[["a","b"]]', '[{"a":"b"}]', "1", "true", "false"])
        if t in ("integer", "long", "double", "float"):
            self.features["wrong_type_number"] += 1
            return r.choice(NUMBER_WRONG)
        if t == "boolean":
            return r.choice(BOOLEAN_WRONG)
        if t == "timestamp":
            return self._pick(TS_WRONG)
        if t == "blob":
            return r.choice(['"abc"', '"YWJj"', '"YW Jj"', '"a!b@c="', '"\\u00e9"', "1", "{}", "[]", "true"])
        self.features["wrong_type_string"] += 1
        return r.choice([self._pick(INT_VALID), self._pick(FLOAT_VALID), "true", "false",
                         "{}", "[]", '{"a":[1,{"b":null}],"c":"d"}', "[1,2,[3]]", self.any_json(1)])


def _main(argv):
    import boto3

    op, profile, seed = argv[1], argv[2], int(argv[3])
    client = boto3.client("iot", region_name="us-east-1", aws_access_key_id="a",
                          aws_secret_access_key="b")
    shape = client.meta.service_model.operation_model(op).output_shape
    import sys

    sys.stdout.buffer.write(BodyGen(seed, profile).body(shape) + b"\n")


if __name__ == "__main__":
    import sys

    _main(sys.argv)
