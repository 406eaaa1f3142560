"""``iotpager <command>``: every paginated IoT list command but list-jobs.

``iotpager list-things ...`` is ``aws iot list-things ...`` (awscli v1): the
argument table is derived from botocore's model the way awscli derives it
(awscli/clidriver.py ServiceOperation, awscli/arguments.py, the paginate,
cli-input-json and generate-cli-skeleton customizations), the command line
is parsed by an argparse parser built like awscli's ArgTableArgParser, the
values are unpacked as awscli unpacks them (awscli/argprocess.py,
awscli/paramfile.py), and the output goes through _cli.py's formatters
(json / text / table, ``--query``), byte for byte as awscli's.

The pages come from iotpager's engine: ``iotpager.get_paginator`` on a
botocore client created as aws creates it (region, endpoint, profile,
verify, timeouts), with timestamps as the service sent them (awscli v1's
``cli_timestamp_format = wire``) or as ISO 8601 (``iso8601``).

``list-jobs`` keeps _cli.py's own fast path; this module is imported only
for the other commands.

Structure (and list / map) arguments in shorthand syntax are parsed by
awscli's own code (awscli.argprocess.ParamShorthandParser and
unpack_cli_arg), imported only when such an argument is given: awscli is
not a dependency of iotpager, so without it such an argument (not in JSON)
is refused with a message naming it, and every other argument still works.
"""

from __future__ import annotations

import argparse
import sys
from collections import OrderedDict

from . import _cli

# awscli.argprocess: SCALAR_TYPES / COMPLEX_TYPES (awscli/__init__.py)
_SCALAR_TYPES = {"string", "float", "integer", "long", "boolean", "double", "blob", "timestamp"}
_COMPLEX_TYPES = {"structure", "map", "list"}

# awscli.arguments.CLIArgument.TYPE_MAP
_TYPE_MAP = {
    "structure": str, "map": str, "timestamp": str, "list": str, "string": str,
    "float": float, "integer": str, "long": int, "boolean": bool, "double": float, "blob": str,
}
# awscli.customizations.paginate.PageArgument.type_map
_PAGE_TYPE_MAP = {"string": str, "integer": int, "long": int}


# ---------------------------------------------------------------------------
# The argument table (awscli.arguments / customizations), from the model
# ---------------------------------------------------------------------------

class _Arg:
    """One entry of the argument table: what awscli's argument classes
    do with argparse and with the call parameters."""

    no_paramfile = False

    def __init__(self, name, argument_model=None, serialized_name=None, required=False):
        self.name = name
        self.argument_model = argument_model
        self.serialized_name = serialized_name
        self.required = required

    @property
    def cli_name(self):
        return "--" + self.name

    @property
    def py_name(self):
        return self.name.replace("-", "_")

    def add_to_parser(self, parser):
        pass

    def add_to_params(self, params, value, command):
        pass


class _MemberArg(_Arg):
    """awscli.arguments.CLIArgument (and ListArgument: nargs='*')."""

    def add_to_parser(self, parser):
        kwargs = dict(type=_TYPE_MAP.get(self.argument_model.type_name, str),
                      required=self.required)
        if self.argument_model.type_name == "list":
            kwargs["nargs"] = "*"
        parser.add_argument(self.cli_name, **kwargs)

    def add_to_params(self, params, value, command):
        if value is None:
            return
        params[self.serialized_name] = command.unpack(self, value)


class _BoolArg(_Arg):
    """awscli.arguments.BooleanArgument: --flag / --no-flag, one dest."""

    def __init__(self, name, argument_model, serialized_name, action, dest):
        super().__init__(name, argument_model, serialized_name)
        self.action = action
        self.dest = dest

    def add_to_parser(self, parser):
        parser.add_argument(self.cli_name, action=self.action, default=None, dest=self.dest)

    def add_to_params(self, params, value, command):
        if value is not None:
            params[self.serialized_name] = value


class _PageArg(_Arg):
    """awscli.customizations.paginate.PageArgument."""

    def __init__(self, name, parse_type, serialized_name):
        super().__init__(name, None, serialized_name)
        self.parse_type = parse_type

    def add_to_parser(self, parser):
        parser.add_argument(self.cli_name, dest=self.py_name,
                            type=_PAGE_TYPE_MAP[self.parse_type])

    def add_to_params(self, params, value, command):
        if value is not None:
            if self.serialized_name == "MaxItems" and int(value) <= 0:
                sys.stderr.write("warning: Non-positive values for --max-items may result "
                                 "in undefined behavior.\n")
            params.setdefault("PaginationConfig", {})[self.serialized_name] = value


class _CliInputJsonArg(_Arg):
    """awscli.customizations.cliinputjson.CliInputJSONArgument."""

    def __init__(self):
        super().__init__("cli-input-json")

    def add_to_parser(self, parser):
        parser.add_argument(self.cli_name)


class _SkeletonArg(_Arg):
    """awscli.customizations.generatecliskeleton.GenerateCliSkeletonArgument."""

    def __init__(self):
        super().__init__("generate-cli-skeleton")

    def add_to_parser(self, parser):
        parser.add_argument(self.cli_name, nargs="?", const="input",
                            choices=["input", "output"])


def _input_tokens(config):
    tokens = config["input_token"]
    return tokens if isinstance(tokens, list) else [tokens]


def argument_table(operation_model, paginator_config):
    """(table, shadowed, cli input tokens): the argument table awscli builds
    for a paginated operation, in awscli's order."""
    from botocore import xform_name

    table = OrderedDict()
    input_shape = operation_model.input_shape
    required_members = input_shape.required_members if input_shape is not None else []
    members = input_shape.members if input_shape is not None else {}
    for member_name, shape in members.items():
        cli_name = xform_name(member_name, "-")
        is_token = shape.metadata.get("idempotencyToken", False)
        required = member_name in required_members and not is_token
        if shape.type_name == "boolean":
            positive = _BoolArg(cli_name, shape, member_name, "store_true",
                                cli_name.replace("-", "_"))
            positive.required = required
            table[cli_name] = positive
            negative = "no-%s" % cli_name
            table[negative] = _BoolArg(negative, shape, member_name, "store_false",
                                       cli_name.replace("-", "_"))
        else:
            table[cli_name] = _MemberArg(cli_name, shape, member_name, required)
    # building-argument-table handlers, in awscli's registration order
    table["cli-input-json"] = _CliInputJsonArg()
    shadowed = {}

    def add_paging(name, arg):
        if name in table:
            shadowed[name] = table[name]
        table[name] = arg

    add_paging("starting-token", _PageArg("starting-token", "string", "StartingToken"))
    type_name = "integer"
    if "limit_key" in paginator_config:
        type_name = members[paginator_config["limit_key"]].type_name
        if type_name not in _PAGE_TYPE_MAP:
            raise TypeError("Unsupported pagination type %s for operation %s and parameter %s"
                            % (type_name, operation_model.name, paginator_config["limit_key"]))
        add_paging("page-size", _PageArg("page-size", type_name, "PageSize"))
    add_paging("max-items", _PageArg("max-items", type_name, "MaxItems"))
    table["generate-cli-skeleton"] = _SkeletonArg()
    cli_tokens = [xform_name(t, "-") for t in _input_tokens(paginator_config)]
    if "limit_key" in paginator_config:
        cli_tokens.append(xform_name(paginator_config["limit_key"], "-"))
    return table, shadowed, cli_tokens


class _ArgTableParser(_cli._CLIArgParser):
    """awscli.argparser.ArgTableArgParser, plus ServiceOperation's 'help'."""

    def __init__(self, table):
        super().__init__(formatter_class=self.Formatter, add_help=False, usage=_cli.USAGE,
                         conflict_handler="resolve", prog=_cli._PROG)
        for arg in table.values():
            arg.add_to_parser(self)
        self.add_argument("help", nargs="?")

    def parse_known_args(self, args, namespace=None):
        if len(args) == 1 and args[0] == "help":
            namespace = argparse.Namespace()
            namespace.help = "help"
            return namespace, []
        return super().parse_known_args(args, namespace)


# ---------------------------------------------------------------------------
# Argument values (awscli.argprocess / awscli.paramfile)
# ---------------------------------------------------------------------------

def _awscli_argprocess():
    try:
        from awscli import argprocess
    except ImportError:
        return None
    return argprocess


def _is_json_value_header(model):
    return (model.type_name == "string" and model.serialization.get("jsonvalue")
            and model.serialization.get("location") == "header")


def _is_document(model):
    return bool(getattr(model, "is_document_type", False))


def _unpack_scalar(model, value, cli_name):
    # awscli.argprocess.unpack_scalar_cli_arg
    t = model.type_name
    if t in ("integer", "long"):
        return int(value)
    if t in ("float", "double"):
        return float(value)
    if t == "blob" and model.serialization.get("streaming"):
        raise _cli._Unsupported("iotpager: streaming blob arguments are not supported (%s)"
                                % cli_name)
    if t == "boolean":
        if isinstance(value, str) and value.lower() == "false":
            return False
        return bool(value)
    return value


def _looks_like_json(value):
    check = value[0] if value and isinstance(value, list) else value
    return isinstance(check, str) and check.strip().startswith(("[", "{"))


def _unpack_json(value, cli_name):
    # awscli.argprocess._unpack_json_cli_arg
    import json

    try:
        return json.loads(value, object_pairs_hook=OrderedDict)
    except ValueError as e:
        raise _cli._ParamError(cli_name, "Invalid JSON: %s\nJSON received: %s" % (e, value))


def _supports_shorthand(model):
    # awscli.argprocess._supports_shorthand_syntax (IoT has no document types)
    if model.type_name not in ("structure", "list", "map"):
        return False
    if model.type_name == "list" and model.member.type_name not in ("structure", "list", "map"):
        return False
    return True


def _unpack_without_awscli(arg, value):
    """What awscli's unpack_cli_arg does for a JSON value or a list of
    scalars, which need nothing of awscli's; shorthand syntax is refused
    (for this argument only) with a message saying what is missing."""
    model = arg.argument_model
    cli_name = arg.cli_name
    if _is_json_value_header(model) or _is_document(model):
        return _unpack_json(value, cli_name)
    if _supports_shorthand(model) and not _looks_like_json(value):
        raise _cli._ParamError(
            cli_name, "the shorthand syntax needs awscli, which is not installed "
            "(pip install awscli); give the value as JSON instead")
    if model.type_name in ("structure", "map"):
        if value.lstrip()[0] == "{":
            return _unpack_json(value, cli_name)
        raise _cli._ParamError(cli_name, "Invalid JSON:\n%s" % value)
    if isinstance(value, str):
        if value.lstrip()[0] == "[":
            return _unpack_json(value, cli_name)
    elif isinstance(value, list) and len(value) == 1:
        single = value[0].strip()
        if single and single[0] == "[":
            return _unpack_json(value[0], cli_name)
    if model.member.type_name not in _SCALAR_TYPES:
        raise _cli._ParamError(
            cli_name, "this value needs awscli, which is not installed (pip install awscli); "
            "give the whole list as one JSON value instead")
    try:
        return [_unpack_scalar(model.member, v, cli_name) for v in value]
    except (ValueError, TypeError):
        raise _cli._ParamError(cli_name, value[0])


class Command:
    """One ``aws iot <command>`` run (awscli.clidriver.ServiceOperation and
    CLIOperationCaller), for a paginated operation."""

    def __init__(self, driver, session, operation_model, paginator_config, cli_name):
        self.driver = driver
        self.session = session
        self.model = operation_model
        self.config = paginator_config
        self.cli_name = cli_name

    # -- process-cli-arg: awscli's shorthand / JSON, or a scalar --------------

    def unpack(self, arg, value):
        model = arg.argument_model
        if _is_json_value_header(model) or _is_document(model) or \
                model.type_name in _COMPLEX_TYPES:
            return self._unpack_with_awscli(arg, value)
        if model.type_name in _SCALAR_TYPES:
            return _unpack_scalar(model, value, arg.cli_name)
        return str(value)

    def _unpack_with_awscli(self, arg, value):
        argprocess = _awscli_argprocess()
        if argprocess is None:
            return _unpack_without_awscli(arg, value)
        event_name = "process-cli-arg.%s.%s" % (
            self.model.service_model.service_name, self.cli_name)
        parsed = argprocess.ParamShorthandParser()(arg, value, event_name=event_name)
        if parsed is not None:
            return parsed
        return argprocess.unpack_cli_arg(arg, value)

    # -- load-cli-arg: file://, fileb://, http(s):// ------------------------

    def load(self, arg, value):
        if arg.no_paramfile:
            return value
        check = value[0] if isinstance(value, list) and len(value) == 1 else value
        try:
            loaded = _cli._get_paramfile(check, self.driver.follow_urls)
        except _cli._ResourceLoadingError as e:
            raise _cli._ParamError(arg.cli_name, str(e))
        return value if loaded is None else loaded

    # -- ServiceOperation.__call__ ------------------------------------------

    def __call__(self, args, parsed_globals):
        table, shadowed, cli_tokens = argument_table(self.model, self.config)
        # before-building-argument-table-parser: --cli-input-json and
        # --generate-cli-skeleton (but 'output') make every argument optional
        optional = "--cli-input-json" in args
        if "--generate-cli-skeleton" in args:
            i = args.index("--generate-cli-skeleton")
            if not (i + 1 < len(args) and args[i + 1] == "output"):
                optional = True
        if optional:
            for arg in table.values():
                arg.required = False
        parsed_args, remaining = _ArgTableParser(table).parse_known_args(args)
        if parsed_args.help == "help":
            raise _cli._Unsupported("iotpager: help is not available; see `aws iot %s help`"
                                    % self.cli_name)
        elif parsed_args.help:
            remaining.append(parsed_args.help)
        if remaining:
            raise _cli._UnknownArgumentError("Unknown options: %s" % ", ".join(remaining))

        # operation-args-parsed: awscli.customizations.paginate
        for token in cli_tokens:
            py_name = token.replace("-", "_")
            if getattr(parsed_args, py_name) is not None and \
                    py_name not in ("start_token", "max_items"):
                parsed_globals.paginate = False
        if not parsed_globals.paginate:
            shadowed_py = [p.replace("-", "_") for p in shadowed]
            used = [p for p in ("starting_token", "page_size", "max_items")
                    if p not in shadowed_py and getattr(parsed_args, p, None)]
            if used:
                raise _cli._botocore_exc().PaginationError(
                    message="Cannot specify --no-paginate along with pagination "
                            "arguments: %s" % ", ".join("--" + p.replace("_", "-") for p in used))
            for key, value in shadowed.items():
                table[key] = value

        call_parameters = {}
        parsed = vars(parsed_args)
        for arg in table.values():
            if arg.py_name in parsed:
                value = parsed[arg.py_name]
                if value is not None:
                    value = self.load(arg, value)
                arg.add_to_params(call_parameters, value, self)
        # ServiceOperation._detect_binary_file_migration_change reads the
        # scoped config: a missing profile fails here
        self.driver.config.scoped_config()

        # calling-command: cli-input-json, then generate-cli-skeleton
        if getattr(parsed_args, "cli_input_json", None) is not None:
            self.driver._add_cli_input_json(parsed_args.cli_input_json, call_parameters)
        skeleton = getattr(parsed_args, "generate_cli_skeleton", None)
        if skeleton:
            if skeleton != "output":
                return self._input_skeleton()
            return self._output_skeleton(call_parameters, parsed_globals)
        return self.invoke(call_parameters, parsed_globals)

    def _input_skeleton(self):
        import json

        from botocore.utils import ArgumentGenerator

        shape = self.model.input_shape
        skeleton = {} if shape is None else ArgumentGenerator().generate_skeleton(shape)
        sys.stdout.write(json.dumps(skeleton, indent=4, default=_cli._json_default))
        sys.stdout.write("\n")
        return 0

    def _output_skeleton(self, call_parameters, parsed_globals):
        # awscli's StubbedCLIOperationCaller: a botocore Stubber's call
        from botocore import xform_name
        from botocore.stub import Stubber
        from botocore.utils import ArgumentGenerator

        client = self._client(parsed_globals)
        method = xform_name(self.model.name)
        fake = {}
        if self.model.output_shape:
            fake = ArgumentGenerator(use_member_names=True).generate_skeleton(
                self.model.output_shape)
        with Stubber(client) as stubber:
            stubber.add_response(method, fake)
            response = getattr(client, method)(**call_parameters)
        self._display(response, parsed_globals, paginated=False)
        return 0

    # -- CLIOperationCaller.invoke ------------------------------------------

    def _client(self, parsed_globals):
        """The botocore client aws would create (create_nested_client)."""
        from botocore.config import Config

        client_config = Config(connect_timeout=parsed_globals.connect_timeout,
                               read_timeout=parsed_globals.read_timeout)
        return self.session.create_client(
            "iot", region_name=parsed_globals.region, endpoint_url=parsed_globals.endpoint_url,
            verify=parsed_globals.verify_ssl, config=client_config)

    def invoke(self, call_parameters, parsed_globals):
        if not parsed_globals.sign_request:
            raise _cli._Unsupported("iotpager: --no-sign-request is not supported "
                                    "(iotpager always signs its requests)")
        client = self._client(parsed_globals)
        from ._api import get_paginator

        iso = self.driver.ts_format == "iso8601"
        tz = "local" if iso else "raw"
        if parsed_globals.paginate:
            paginator = get_paginator(client, self.model.name, tz=tz)
            response = paginator.paginate(**call_parameters)
            if iso:
                response._method = _IsoEngine(response._method)
            self._display(response, parsed_globals, paginated=True)
        else:
            paginator = get_paginator(client, self.model.name, tz=tz, prefetch=False)
            response = paginator._make_engine().one_page(**call_parameters)
            if iso:
                response = _iso_timestamps(response)
            self._display(response, parsed_globals, paginated=False)
        return 0

    def _display(self, response, parsed_globals, paginated):
        output = parsed_globals.output
        if output is None:
            output = self.driver.config.output()
        formatter = Formatter(output, parsed_globals.query, parsed_globals.color)
        formatter(self.model.name, response, paginated)


def _iso_timestamps(value):
    """cli_timestamp_format = iso8601: every timestamp (a datetime in
    botocore's local zone) as awscli's iso_format gives it."""
    import datetime

    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, (dict, list, datetime.datetime)):
                value[k] = _iso_timestamps(v)
        return value
    if isinstance(value, list):
        for i, v in enumerate(value):
            if isinstance(v, (dict, list, datetime.datetime)):
                value[i] = _iso_timestamps(v)
        return value
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return value


class _IsoEngine:
    """The paginator's engine, its pages' timestamps in ISO 8601."""

    def __init__(self, engine):
        self._engine = engine

    def __call__(self, **kwargs):
        return _iso_timestamps(self._engine(**kwargs))

    def __getattr__(self, name):
        return getattr(self._engine, name)


class Formatter(_cli._Formatter):
    """_cli's formatters; text output of a paginated response as awscli's
    TextFormatter writes it for any operation (the non-aggregate part with
    the first page, each result key's data per page, then the NextToken)."""

    def _text(self, response, paginated):
        if not paginated:
            return super()._text(response, paginated)
        from botocore.utils import set_value_from_jmespath

        stream = _cli._Stdout()
        try:
            result_keys = response.result_keys
            for i, page in enumerate(response):
                current = {} if i > 0 else response.non_aggregate_part
                for result_key in result_keys:
                    data = result_key.search(page)
                    set_value_from_jmespath(current, result_key.expression, data)
                self._text_response(current, stream)
            if response.resume_token:
                self._text_response({"NextToken": {"NextToken": response.resume_token}},
                                    stream)
        finally:
            stream.flush()


# ---------------------------------------------------------------------------
# Entry from _cli._Driver
# ---------------------------------------------------------------------------

def _session(driver):
    """A botocore session configured as _cli's client path configures it."""
    import botocore.session

    session = botocore.session.Session(
        {"ca_bundle": ("ca_bundle", "AWS_CA_BUNDLE", None, None),
         "output": ("output", "AWS_DEFAULT_OUTPUT", "json", None)})
    session.user_agent_name = "iotpager-cli"
    session.user_agent_version = _cli._iotpager_version()
    # the data loader first, before --profile / --region are set (awscli's
    # exists before them: a missing profile fails later, as in aws)
    loader = _cli._LazyOperations.loader
    try:
        data_path = session.get_config_variable("data_path")
    except Exception:
        data_path = True
    if loader is not None and data_path is None:
        # the loader that read the model for the command table (the session
        # would make the same one): the model is parsed once
        session.register_component("data_loader", loader)
    else:
        session.get_component("data_loader")
    if "profile" in driver.config.instance:
        session.set_config_variable("profile", driver.config.instance["profile"])
    if "region" in driver.config.instance:
        session.set_config_variable("region", driver.config.instance["region"])
    return session


def commands(session=None):
    """{cli name: model name} of every paginated operation of the IoT model
    (list-jobs included)."""
    from botocore import xform_name

    if session is None:
        import botocore.session

        session = botocore.session.Session()
    config = session.get_paginator_model("iot")._paginator_config
    model = session.get_service_model("iot")
    return {xform_name(name, "-"): name for name in model.operation_names if name in config}


def run(driver, cli_name, args, parsed_globals):
    """``aws iot <cli_name> <args>`` for a paginated operation; the exit code."""
    session = _session(driver)
    names = commands(session)
    name = names.get(cli_name)
    if name is None:
        raise _cli._Unsupported("iotpager: only the paginated IoT list commands are "
                                "implemented, not %r" % cli_name)
    model = session.get_service_model("iot").operation_model(name)
    config = session.get_paginator_model("iot").get_paginator(name)
    return Command(driver, session, model, config, cli_name)(args, parsed_globals)
