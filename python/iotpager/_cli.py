"""``iotpager list-jobs``: ``aws iot list-jobs`` (awscli v1) through iotpager's C core.

    iotpager list-jobs [--status ...] [--max-items N] [--output text] ...
    python -m iotpager list-jobs ...

The same arguments as ``aws iot list-jobs`` (the command line is parsed as
``aws iot <args>``, by argparse parsers built like awscli's), and the same
stdout, stderr and exit code: JSON (``json.dump(indent=4,
ensure_ascii=False)``), text and table output byte for byte as awscli's
formatters write them, timestamps as the service sent them (awscli v1's
default ``cli_timestamp_format = wire``; ``iso8601`` is honoured too),
``--max-items`` / ``--starting-token`` resume tokens interchangeable with
aws's, awscli's exit codes (0, 2 for argparse errors, 255 for everything
else, 130 for Ctrl-C) and error messages.

Start-up is kept small: no boto3, no awscli, no botocore session or client
in the common case (static credentials from the environment or the shared
files, a region, an ``--endpoint-url`` or a standard regional endpoint,
legacy retries). Everything else (assume-role and other credential
providers, other partitions, FIPS / dual-stack, configured endpoint URLs,
proxies, the standard / adaptive retry modes) goes through a real botocore
client, exactly as aws resolves it. botocore modules needed for error
messages are imported only when there is an error.

Every other paginated IoT list command (``iotpager list-things ...``) is
_cli_ops.py's: its arguments derived from botocore's model as awscli derives
them, its pages from the library's paginator, its output from the
formatters below.

Known differences from aws (by design or not done): ``--version``,
``help`` and ``--debug`` (accepted, no log) are iotpager's own; IoT
operations that are not paginated and ``--no-sign-request`` are refused
(exit 255); ``--v2-debug`` prints no migration warnings; no urllib3
InsecureRequestWarning with ``--no-verify-ssl``; TLS / libcurl error
details inside "SSL validation failed ..." messages are libcurl's; a 2xx
body that is not a ListJobs page is iotpager's InvalidResponseError (aws
prints nothing, or crashes); stdout is written in a few large pieces, so a
failure while writing (a closed pipe, a character the locale cannot
encode) leaves a different partial output; awscli plugins, aliases,
``cli_history`` and ``api_versions`` are not read.
"""

from __future__ import annotations

import argparse
import os
import sys

OPERATION = "ListJobs"
_CLI_OPERATION = "list-jobs"

# ---------------------------------------------------------------------------
# awscli's argument parsers (awscli/argparser.py, data/cli.json)
# ---------------------------------------------------------------------------

_AWS_CLI_V2_MESSAGE = (
    'Note: AWS CLI version 2, the latest major version '
    'of the AWS CLI, is now stable and recommended for general '
    'use. For more information, see the AWS CLI version 2 '
    'installation instructions at: https://docs.aws.amazon.com/cli/'
    'latest/userguide/install-cliv2.html'
)
_HELP_BLURB = (
    "To see help text, you can run:\n"
    "\n"
    "  aws help\n"
    "  aws <command> help\n"
    "  aws <command> <subcommand> help\n"
)
USAGE = (
    "\r%s\n\n"
    "usage: aws [options] <command> <subcommand> "
    "[<subcommand> ...] [parameters]\n"
    "%s" % (_AWS_CLI_V2_MESSAGE, _HELP_BLURB)
)
# awscli's parsers all report as "aws" (argv[0] for the sub-parsers).
_PROG = "aws"


class _CommandAction(argparse.Action):
    """awscli.argparser.CommandAction: choices from a (lazy) command table."""

    def __init__(self, option_strings, dest, command_table, **kwargs):
        self.command_table = command_table
        super().__init__(option_strings, dest, choices=self.choices, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)

    @property
    def choices(self):
        return self.command_table

    @choices.setter
    def choices(self, val):
        pass


class _CLIArgParser(argparse.ArgumentParser):
    Formatter = argparse.RawTextHelpFormatter
    ChoicesPerLine = 2

    def _check_value(self, action, value):
        # awscli.argparser.CLIArgParser._check_value, verbatim
        if action.choices is not None and value not in action.choices:
            from difflib import get_close_matches

            choices = list(action.choices)
            msg = ['Invalid choice, valid choices are:\n']
            for i in range(len(choices))[:: self.ChoicesPerLine]:
                current = []
                for choice in choices[i: i + self.ChoicesPerLine]:
                    current.append('%-40s' % choice)
                msg.append(' | '.join(current))
            possible = get_close_matches(value, choices, cutoff=0.8)
            if possible:
                extra = ['\n\nInvalid choice: %r, maybe you meant:\n' % value]
                for word in possible:
                    extra.append('  * %s' % word)
                msg.extend(extra)
            raise argparse.ArgumentError(action, '\n'.join(msg))


class _LazyOperations:
    """The iot command table's names (awscli: every IoT operation, then
    'help'). Membership of list-jobs / help is answered without loading the
    service model; anything else (an error, or another IoT operation) loads
    the operation names from botocore's data."""

    _names = None
    loader = None

    def __contains__(self, value):
        if value in (_CLI_OPERATION, "help"):
            return True
        return value in self._load()

    def __iter__(self):
        return iter(self._load())

    def __len__(self):
        return len(self._load())

    def _load(self):
        if self._names is None:
            import botocore.loaders
            from botocore import xform_name

            loader = botocore.loaders.create_loader()
            model = loader.load_service_model("iot", "service-2")
            names = [xform_name(op, "-") for op in model["operations"]]
            _LazyOperations._names = names + ["help"]
            _LazyOperations.loader = loader   # _cli_ops' session reuses what it loaded
        return self._names


def _main_parser():
    p = _CLIArgParser(formatter_class=argparse.RawTextHelpFormatter, add_help=False,
                      conflict_handler="resolve", description=None, usage=USAGE, prog=_PROG)
    # data/cli.json "options", in order, as CustomArgument.add_to_parser adds them
    p.add_argument("--debug", action="store_true")
    p.add_argument("--endpoint-url")
    p.add_argument("--no-verify-ssl", dest="verify_ssl", action="store_false")
    p.add_argument("--no-paginate", dest="paginate", action="store_false")
    p.add_argument("--output", choices=["json", "text", "table"])
    p.add_argument("--query")
    p.add_argument("--profile")
    p.add_argument("--region")
    p.add_argument("--version", action="version")
    p.add_argument("--color", default="auto", choices=["on", "off", "auto"])
    p.add_argument("--no-sign-request", dest="sign_request", action="store_false")
    p.add_argument("--ca-bundle", dest="ca_bundle")
    p.add_argument("--cli-read-timeout", dest="read_timeout")
    p.add_argument("--cli-connect-timeout", dest="connect_timeout")
    p.add_argument("--v2-debug", dest="v2_debug", action="store_true")
    p.add_argument("--version", action=_VersionAction, help="Display the version of this tool")
    p.add_argument("command", action=_CommandAction, command_table=["iot"])
    return p


def _service_parser():
    p = _CLIArgParser(formatter_class=argparse.RawTextHelpFormatter, add_help=False,
                      conflict_handler="resolve", usage=USAGE, prog=_PROG)
    # a metavar, so that argparse does not list the choices (loading the
    # operation names) when the argument is added; messages name it
    # "operation" either way
    p.add_argument("operation", action=_CommandAction, command_table=_LazyOperations(),
                   metavar="operation")
    return p


# (cli name, py name, kind): the ListJobs argument table as awscli builds it
# (model members, then cli-input-json, the paging arguments, the skeleton)
_ARG_TABLE = (
    ("--status", "status", "string", "status"),
    ("--target-selection", "target_selection", "string", "targetSelection"),
    ("--max-results", "max_results", "integer", "maxResults"),
    ("--next-token", "next_token", "string", "nextToken"),
    ("--thing-group-name", "thing_group_name", "string", "thingGroupName"),
    ("--thing-group-id", "thing_group_id", "string", "thingGroupId"),
    ("--namespace-id", "namespace_id", "string", "namespaceId"),
    ("--cli-input-json", "cli_input_json", "custom", None),
    ("--starting-token", "starting_token", "page", "StartingToken"),
    ("--page-size", "page_size", "page", "PageSize"),
    ("--max-items", "max_items", "page", "MaxItems"),
    ("--generate-cli-skeleton", "generate_cli_skeleton", "custom", None),
)


class _OperationParser(_CLIArgParser):
    def __init__(self):
        super().__init__(formatter_class=self.Formatter, add_help=False, usage=USAGE,
                         conflict_handler="resolve", prog=_PROG)
        for cli_name, _py, kind, _member in _ARG_TABLE:
            if kind in ("string", "integer"):
                # CLIArgument: TYPE_MAP gives str for both
                self.add_argument(cli_name, type=str, required=False)
            elif cli_name == "--cli-input-json":
                self.add_argument(cli_name)
            elif cli_name == "--generate-cli-skeleton":
                self.add_argument(cli_name, choices=["input", "output"], nargs="?",
                                  const="input")
            else:  # PageArgument
                self.add_argument(cli_name, dest=_py,
                                  type=str if cli_name == "--starting-token" else int)
        self.add_argument("help", nargs="?")

    def parse_known_args(self, args, namespace=None):
        if len(args) == 1 and args[0] == "help":
            namespace = argparse.Namespace()
            namespace.help = "help"
            return namespace, []
        return super().parse_known_args(args, namespace)


class _VersionAction(argparse.Action):
    """argparse's version action, with the version string built only when asked."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS,
                 help=None):
        super().__init__(option_strings=option_strings, dest=dest, default=default, nargs=0,
                         help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        parser._print_message(_version_string() + "\n", sys.stdout)
        parser.exit()


def _version_string():
    import platform

    return "iotpager-cli/%s Python/%s %s/%s" % (
        _iotpager_version(), platform.python_version(), platform.system(), platform.release())


def _iotpager_version():
    pkg = sys.modules.get("iotpager")
    return getattr(pkg, "__version__", "0")


# ---------------------------------------------------------------------------
# Errors with awscli's / botocore's messages
# ---------------------------------------------------------------------------

class _UnknownArgumentError(Exception):
    pass


class _ParamError(Exception):
    """awscli.argprocess.ParamError."""

    def __init__(self, cli_name, message):
        super().__init__("Error parsing parameter '%s': %s" % (cli_name, message))
        self.cli_name = cli_name
        self.message = message


class _ResourceLoadingError(Exception):
    pass


class _Unsupported(Exception):
    """Something iotpager's CLI does not do (message to stderr, exit 255)."""


def _botocore_exc():
    import botocore.exceptions

    return botocore.exceptions


def _class_names(exc):
    return {c.__name__ for c in type(exc).__mro__}


# ---------------------------------------------------------------------------
# Configuration: a botocore session's semantics for the few variables needed
# ---------------------------------------------------------------------------

class _Config:
    """Profile, region, output and friends as botocore.session.Session
    resolves them (instance variables, then environment, then the profile
    of the config file merged with the credentials file)."""

    def __init__(self, environ):
        self.env = environ
        self.instance = {}
        self._full = None

    # -- files ---------------------------------------------------------------

    def _config_file(self):
        return self.env.get("AWS_CONFIG_FILE", "~/.aws/config")

    def _credentials_file(self):
        return self.env.get("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")

    @staticmethod
    def _exists(path):
        return os.path.isfile(os.path.expanduser(os.path.expandvars(path)))

    def full_config(self):
        if self._full is None:
            config = {"profiles": {}}
            cfg, creds = self._config_file(), self._credentials_file()
            if self._exists(cfg) or self._exists(creds):
                import botocore.configloader as cl
                from botocore.exceptions import ConfigNotFound

                try:
                    config = cl.load_config(cfg)
                except ConfigNotFound:
                    config = {"profiles": {}}
                try:
                    cred_profiles = cl.raw_config_parse(creds)
                    for profile, cred_vars in cred_profiles.items():
                        if profile not in config["profiles"]:
                            config["profiles"][profile] = cred_vars
                        else:
                            config["profiles"][profile].update(cred_vars)
                except ConfigNotFound:
                    pass
            self._full = config
        return self._full

    def profile_name(self):
        if "profile" in self.instance:
            return self.instance["profile"]
        for name in ("AWS_DEFAULT_PROFILE", "AWS_PROFILE"):
            if name in self.env:
                return self.env[name]
        return None

    def scoped_config(self):
        name = self.profile_name()
        profiles = self.full_config()["profiles"]
        if name is None:
            return profiles.get("default", {})
        if name not in profiles:
            raise _botocore_exc().ProfileNotFound(profile=name)
        return profiles[name]

    def get(self, name, env_names=(), default=None):
        """instance -> environment -> scoped config -> default."""
        if name in self.instance:
            return self.instance[name]
        for env_name in env_names:
            if env_name in self.env:
                return self.env[env_name]
        value = self.scoped_config().get(name)
        if value is not None:
            return value
        return default

    def region(self):
        return self.get("region", ("AWS_DEFAULT_REGION",))

    def output(self):
        return self.get("output", ("AWS_DEFAULT_OUTPUT",), "json")


# ---------------------------------------------------------------------------
# ListJobs input: awscli's argument processing and botocore's validation
# ---------------------------------------------------------------------------

# botocore's ListJobs input shape: member -> (type, min)
_INPUT_SHAPE = {
    "status": ("string", None),
    "targetSelection": ("string", None),
    "maxResults": ("integer", 1),
    "nextToken": ("string", None),
    "thingGroupName": ("string", 1),
    "thingGroupId": ("string", 1),
    "namespaceId": ("string", None),
}

_INPUT_SKELETON_ENUMS = {
    "status": ("IN_PROGRESS", "CANCELED", "COMPLETED", "DELETION_IN_PROGRESS", "SCHEDULED"),
    "targetSelection": ("CONTINUOUS", "SNAPSHOT"),
}


def _validate(params):
    """botocore.validate.validate_parameters for the ListJobs input shape."""
    errors = []
    known = []
    for name in params:
        if name not in _INPUT_SHAPE:
            errors.append('Unknown parameter in input: "%s", must be one of: %s'
                          % (name, ", ".join(_INPUT_SHAPE)))
        else:
            known.append(name)
    for name in known:
        value = params[name]
        type_name, min_allowed = _INPUT_SHAPE[name]
        valid = (int,) if type_name == "integer" else (str,)
        if not isinstance(value, valid):
            errors.append("Invalid type for parameter %s, value: %s, type: %s, valid types: %s"
                          % (name, value, type(value), ", ".join(str(t) for t in valid)))
            continue
        if min_allowed is None:
            continue
        if type_name == "integer":
            if value < min_allowed:
                errors.append("Invalid value for parameter %s, value: %s, valid min value: %s"
                              % (name, value, min_allowed))
        elif len(value) < min_allowed:
            errors.append("Invalid length for parameter %s, value: %s, valid min length: %s"
                          % (name, len(value), min_allowed))
    if errors:
        raise _botocore_exc().ParamValidationError(report="\n".join(errors))


def _wire_value(value):
    """botocore's rest serializer for a query string value of ListJobs (no
    boolean members: an integer member's True goes out as str(True), 'True',
    as botocore.utils.percent_encode gives it)."""
    return value if isinstance(value, str) else str(value)


def _get_file(prefix, path, mode):
    # awscli.paramfile.get_file
    import locale

    file_path = os.path.expandvars(os.path.expanduser(path[len(prefix):]))
    try:
        if "b" in mode:
            with open(file_path, mode) as f:
                return f.read()
        with open(file_path, mode, encoding=locale.getpreferredencoding()) as f:
            return f.read()
    except UnicodeDecodeError:
        raise _ResourceLoadingError(
            'Unable to load paramfile (%s), text contents could '
            'not be decoded.  If this is a binary file, please use the '
            'fileb:// prefix instead of the file:// prefix.' % file_path)
    except OSError as e:
        raise _ResourceLoadingError(f'Unable to load paramfile {path}: {e}')


def _get_uri(prefix, uri):
    # awscli.paramfile.get_uri (botocore's urllib3 session, as awscli uses)
    try:
        from botocore.awsrequest import AWSRequest
        from botocore.httpsession import URLLib3Session

        session = URLLib3Session()
        r = session.send(AWSRequest("GET", uri).prepare())
        if r.status_code == 200:
            return r.text
        raise _ResourceLoadingError(f"received non 200 status code of {r.status_code}")
    except Exception as e:
        raise _ResourceLoadingError("Unable to retrieve %s: %s" % (uri, e))


_LOCAL_PREFIXES = (("file://", "r"), ("fileb://", "rb"))
_REMOTE_PREFIXES = ("http://", "https://")


def _get_paramfile(value, follow_urls):
    """awscli.paramfile.get_paramfile (every matching prefix is tried, in order)."""
    data = None
    if isinstance(value, str):
        for prefix, mode in _LOCAL_PREFIXES:
            if value.startswith(prefix):
                data = _get_file(prefix, value, mode)
        if follow_urls:
            for prefix in _REMOTE_PREFIXES:
                if value.startswith(prefix):
                    data = _get_uri(prefix, value)
    return data


# ---------------------------------------------------------------------------
# Timestamps: the raw value the service sent (awscli v1's "wire" default)
# ---------------------------------------------------------------------------

def _raw_timestamps():
    """(tz_mode, tzinfo) for raw timestamps: the C core's TZ_RAW mode hands
    out each timestamp as json.loads gives it (int or float)."""
    from . import _core

    return (_core.TZ_RAW, None)


_TIMESTAMP_MEMBERS = ("createdAt", "lastUpdatedAt", "completedAt")


def _iso_timestamp(value):
    # awscli.customizations.scalarparse.iso_format
    from botocore.utils import parse_timestamp

    return parse_timestamp(value).isoformat()


# ---------------------------------------------------------------------------
# Transport settings and the C core's controller
# ---------------------------------------------------------------------------

def _percent_encode(value):
    from urllib.parse import quote

    if not isinstance(value, (bytes, str)):
        value = str(value)
    if not isinstance(value, bytes):
        value = value.encode("utf-8")
    return quote(value, safe="-_.~")


def _urljoin(endpoint_url, url_path):
    # botocore.awsrequest._urljoin
    from urllib.parse import urlsplit, urlunsplit

    p = urlsplit(endpoint_url)
    if not url_path or url_path == "/":
        new_path = p[2] or "/"
    elif p[2].endswith("/") and url_path.startswith("/"):
        new_path = p[2][:-1] + url_path
    else:
        new_path = p[2] + url_path
    return urlunsplit((p[0], p[1], new_path, p[3], p[4]))


def _request_url(endpoint_url, kwargs):
    """The URL botocore would have requested for these ListJobs kwargs."""
    url = _urljoin(endpoint_url, "/jobs")
    pairs = []
    for name, value in kwargs.items():
        if name in _INPUT_SHAPE:
            pairs.append("%s=%s" % (_percent_encode(name), _percent_encode(_wire_value(value))))
    if pairs:
        url += ("&" if "?" in url else "?") + "&".join(pairs)
    return url


def _host_from_url(url):
    # botocore.auth._host_from_url
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = "[%s]" % host
    default_ports = {"http": 80, "https": 443}
    if parts.port is not None and parts.port != default_ports.get(parts.scheme):
        host = "%s:%d" % (host, parts.port)
    return host


def _default_ca_bundle():
    # botocore.httpsession.get_cert_path(True)
    try:
        from certifi import where
    except ImportError:  # pragma: no cover
        import importlib.util

        spec = importlib.util.find_spec("botocore")
        return os.path.join(os.path.dirname(spec.origin), "cacert.pem")
    return where()


class _Transport:
    def __init__(self, endpoint_url, region, verify, ca_bundle, connect_timeout, read_timeout,
                 proxy="", user_agent=None, service="iot"):
        from urllib.parse import urlsplit

        parts = urlsplit(endpoint_url)
        self.endpoint_url = endpoint_url
        self.endpoint = "%s://%s" % (parts.scheme, parts.netloc)
        self.path = urlsplit(_urljoin(endpoint_url, "/jobs")).path
        self.host = _host_from_url(endpoint_url)
        self.region = region
        self.service = service
        self.verify = verify
        self.ca_bundle = ca_bundle
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.proxy = proxy
        self.user_agent = user_agent


def _legacy_max_attempts(config):
    value = config.get("max_attempts", ("AWS_MAX_ATTEMPTS",))
    return 5 if value is None else int(value)


_LEGACY_STATUS = {500, 502, 503, 504, 509, 429}
_LEGACY_CODES = {"Throttling", "ThrottlingException", "ThrottledException",
                 "RequestThrottledException", "ProvisionedThroughputExceededException"}


class _FastController:
    """The C core's controller without a botocore client: static
    credentials, botocore's legacy retry rules (_retry.json's defaults, as
    aws v1 uses them), botocore's own error classes and messages."""

    def __init__(self, credentials, endpoint_url, max_attempts, timestamp):
        self._credentials = credentials
        self._endpoint_url = endpoint_url
        self._max_attempts = max_attempts
        self.timestamp = timestamp
        self.request_kwargs = {}
        self._parser = None

    def credentials(self):
        return self._credentials

    def _delay(self, attempt):
        import random

        return random.random() * (2 ** attempt)   # botocore: rand * 2 ** (attempts - 1)

    def http_error(self, status, headers, body, attempt):
        if self._parser is None:
            import botocore.parsers

            self._parser = botocore.parsers.create_parser("rest-json")
        response = {"status_code": status, "headers": headers, "body": body, "context": {}}
        parsed = self._parser.parse(response, None)
        code = parsed.get("Error", {}).get("Code")
        retryable = status in _LEGACY_STATUS or (status == 400 and code in _LEGACY_CODES)
        metadata = parsed.setdefault("ResponseMetadata", {})
        if retryable:
            if attempt + 1 < self._max_attempts:
                return self._delay(attempt)
            metadata["MaxAttemptsReached"] = True
        metadata["RetryAttempts"] = attempt
        raise _botocore_exc().ClientError(parsed, OPERATION)

    def transport_error(self, kind, curl_code, message, url, attempt):
        exc = _botocore_exc()
        url = _request_url(self._endpoint_url, self.request_kwargs)
        if kind == "connect":
            error = exc.EndpointConnectionError(endpoint_url=url, error=message)
        elif kind == "connect_timeout":
            error = exc.ConnectTimeoutError(endpoint_url=url, error=message)
        elif kind == "read_timeout":
            error = exc.ReadTimeoutError(endpoint_url=url, error=message)
        elif kind == "closed":
            error = exc.ConnectionClosedError(endpoint_url=url, error=message)
        elif kind == "ssl":
            error = exc.SSLError(endpoint_url=url, error=message)
        elif kind == "proxy":
            error = exc.ProxyConnectionError(proxy_url=url, error=message)
        elif kind == "too_big":
            from .exceptions import InvalidResponseError

            raise InvalidResponseError(message, "$", None, None)
        else:
            raise exc.HTTPClientError(error=f"{message} (curl error {curl_code})")
        # legacy "general_socket_errors": ConnectionError, ConnectionClosedError,
        # ReadTimeoutError, EndpointConnectionError
        if attempt + 1 < self._max_attempts:
            return self._delay(attempt)
        raise error

    def success(self, status, headers, page, attempt):
        return None

    def invalid_response(self, reason, path, metadata):
        from .exceptions import InvalidResponseError

        status = request_id = None
        if isinstance(metadata, dict):
            status = metadata.get("HTTPStatusCode")
            request_id = metadata.get("RequestId")
        raise InvalidResponseError(reason, path, status, request_id)

    def duplicate_token(self, token):
        raise _botocore_exc().PaginationError(
            message=f"The same next token was received twice: {({'nextToken': token})}")


def _slow_controller_class():
    from ._controller import Controller

    class _ClientController(Controller):
        """iotpager's controller over a real botocore client (its retry
        handlers, credentials and exception classes), with the CLI's
        timestamps."""

        def __init__(self, client, endpoint_url, timestamp):
            super().__init__(client, "local", endpoint_url)
            self.timestamp = timestamp

    return _ClientController


# ---------------------------------------------------------------------------
# Fetching: the C Pager behind botocore's PageIterator logic
# ---------------------------------------------------------------------------

class _Fetcher:
    """``client.list_jobs(**kwargs)`` for botocore's paginator loop: one C
    Pager follows the nextTokens; a request the Pager has not set up (the
    first one) starts a new Pager."""

    def __init__(self, backend):
        self._backend = backend
        self._pager = None
        self._key = None
        self.max_items = None
        self.skip = 0
        self.yielded = 0

    def __call__(self, kwargs, prefetch=True):
        _validate(kwargs)
        params = tuple((name, _wire_value(value)) for name, value in kwargs.items()
                       if name != "nextToken")
        token = kwargs.get("nextToken")
        if token is not None:
            token = _wire_value(token)
        pager = self._pager
        pending = None if pager is None else pager.next_token
        if pending == "None":
            pending = None
        if (pager is None or pager.finished or self._key != params
                or pending != (None if token == "None" else token)):
            if pager is not None:
                pager.close()
            first = self.yielded == 0
            from ._limits import c_count, c_skip

            max_items = c_count(None if self.max_items is None
                                else max(self.max_items - self.yielded, 0))
            self._pager = pager = self._backend.new_pager(
                list(params), token, prefetch=prefetch, max_items=max_items,
                skip=c_skip(self.skip) if first else 0)
            self._key = params
        self._backend.controller.request_kwargs = kwargs
        page = next(pager)
        jobs = page.get("jobs")
        if isinstance(jobs, list) and self._backend.iso:
            # cli_timestamp_format = iso8601: awscli's iso_format of the raw value
            for job in jobs:
                if isinstance(job, dict):
                    for key in _TIMESTAMP_MEMBERS:
                        if key in job:
                            job[key] = _iso_timestamp(job[key])
        if isinstance(jobs, (list, _jobs_text_type())):
            n = len(jobs)
            if self.yielded == 0 and self.skip:
                n = max(n - self.skip, 0)
            self.yielded += n
        return page

    def close(self):
        if self._pager is not None:
            self._pager.close()
            self._pager = None


class _Backend:
    """Everything a C Pager needs: transport, controller, timestamps."""

    def __init__(self, transport, controller):
        self.transport = transport
        self.controller = controller
        self._ts = _raw_timestamps()
        self.iso = getattr(controller, "timestamp", None) is _iso_timestamp
        self.jobs_text = False   # "jobs" as a _core.JobsText (plain JSON output)

    def new_pager(self, params, token, prefetch, max_items, skip):
        from . import _core

        t = self.transport
        mode, tzinfo = self._ts
        kwargs = dict(
            service=t.service, path=t.path, connect_timeout=t.connect_timeout,
            read_timeout=t.read_timeout, verify=t.verify, ca_bundle=t.ca_bundle,
            proxy=t.proxy, user_agent=t.user_agent, max_body=64 * 1024 * 1024,
            prefetch=prefetch, max_items=max_items, skip=skip,
            success_hook=getattr(self.controller, "success_hook", False),
            jobs_text=self.jobs_text)
        return _core.Pager(self.controller, t.endpoint, t.host, t.region, params, token,
                           mode, tzinfo, **kwargs)


def _jobs_text_type():
    from . import _core

    return _core.JobsText


class _TokenCodec:
    # botocore.paginate.TokenEncoder / TokenDecoder
    @staticmethod
    def encode(token):
        import base64
        import json

        try:
            json_string = json.dumps(token)
        except (TypeError, UnicodeDecodeError):
            return _botocore_token_encoder().encode(token)
        return base64.b64encode(json_string.encode("utf-8")).decode("utf-8")

    @staticmethod
    def decode(token):
        import base64
        import json

        json_string = base64.b64decode(token.encode("utf-8")).decode("utf-8")
        decoded = json.loads(json_string)
        if isinstance(decoded, dict) and "boto_encoded_keys" in decoded:
            return _botocore_token_decoder().decode(token)
        decoded.pop("boto_encoded_keys", None)
        return decoded


def _botocore_token_encoder():
    from botocore.paginate import TokenEncoder

    return TokenEncoder()


def _botocore_token_decoder():
    from botocore.paginate import TokenDecoder

    return TokenDecoder()


_INPUT_TOKEN = ["nextToken"]


class _PageIterator:
    """botocore.paginate.PageIterator for ListJobs (input/output token
    nextToken, result key jobs, limit key maxResults, no more_results, no
    non-aggregate keys), over a _Fetcher."""

    result_keys = ("jobs",)

    def __init__(self, fetcher, max_items, starting_token, page_size, op_kwargs):
        self._fetcher = fetcher
        self._max_items = max_items
        self._starting_token = starting_token
        self._page_size = page_size
        self._op_kwargs = op_kwargs
        self._resume_token = None
        self.non_aggregate_part = {}

    @property
    def resume_token(self):
        return self._resume_token

    @resume_token.setter
    def resume_token(self, value):
        if not isinstance(value, dict):
            raise ValueError(f"Bad starting token: {value}")
        if "boto_truncate_amount" in value:
            token_keys = sorted(_INPUT_TOKEN + ["boto_truncate_amount"])
        else:
            token_keys = sorted(_INPUT_TOKEN)
        if token_keys == sorted(value.keys()):
            self._resume_token = _TokenCodec.encode(value)
        else:
            raise ValueError(f"Bad starting token: {value}")

    def _parse_starting_token(self):
        if self._starting_token is None:
            return None
        next_token = self._starting_token
        try:
            next_token = _TokenCodec.decode(next_token)
            index = 0
            if "boto_truncate_amount" in next_token:
                index = next_token.get("boto_truncate_amount")
                del next_token["boto_truncate_amount"]
        except (ValueError, TypeError):
            next_token, index = self._parse_starting_token_deprecated()
        return next_token, index

    def _parse_starting_token_deprecated(self):
        parts = self._starting_token.split("___")
        next_token = []
        index = 0
        if len(parts) == len(_INPUT_TOKEN) + 1:
            try:
                index = int(parts.pop())
            except ValueError:
                parts = [self._starting_token]
        for part in parts:
            next_token.append(None if part == "None" else part)
        if len(next_token) > len(_INPUT_TOKEN):
            raise ValueError(f"Bad starting token: {self._starting_token}")
        while len(next_token) < len(_INPUT_TOKEN):
            next_token.append(None)
        return dict(zip(_INPUT_TOKEN, next_token)), index

    @staticmethod
    def _inject_token_into_kwargs(op_kwargs, next_token):
        for name, token in next_token.items():
            if (token is not None) and (token != "None"):
                op_kwargs[name] = token
            elif name in op_kwargs:
                del op_kwargs[name]

    def _inject_starting_params(self, op_kwargs):
        if self._starting_token is not None:
            next_token = self._parse_starting_token()[0]
            self._inject_token_into_kwargs(op_kwargs, next_token)
        if self._page_size is not None:
            op_kwargs["maxResults"] = self._page_size

    def __iter__(self):
        fetcher = self._fetcher
        skip = 0
        if self._starting_token is not None:
            try:
                skip = self._parse_starting_token()[1]
            except Exception:
                skip = 0
        fetcher.max_items = self._max_items
        fetcher.skip = skip if isinstance(skip, int) and skip > 0 else 0
        fetcher.yielded = 0
        try:
            yield from self._iter()
        finally:
            fetcher.close()

    def _iter(self):
        current_kwargs = self._op_kwargs
        previous_next_token = None
        next_token = {key: None for key in _INPUT_TOKEN}
        if self._starting_token is not None:
            next_token = self._parse_starting_token()[0]
        total_items = 0
        first_request = True
        starting_truncation = 0
        self._inject_starting_params(current_kwargs)
        while True:
            parsed = self._fetcher(current_kwargs)
            if first_request:
                if self._starting_token is not None:
                    starting_truncation = self._parse_starting_token()[1]
                    all_data = parsed.get("jobs")
                    if isinstance(all_data, (list, str, _jobs_text_type())):
                        data = all_data[starting_truncation:]
                    else:
                        data = None
                    parsed["jobs"] = data
                first_request = False
            else:
                starting_truncation = 0
            current_response = parsed.get("jobs")
            if current_response is None:
                current_response = []
            num_current_response = len(current_response)
            truncate_amount = 0
            if self._max_items is not None:
                truncate_amount = total_items + num_current_response - self._max_items
            if truncate_amount > 0:
                original = parsed.get("jobs")
                if original is None:
                    original = []
                amount_to_keep = len(original) - truncate_amount
                parsed["jobs"] = original[:amount_to_keep]
                next_token["boto_truncate_amount"] = amount_to_keep + starting_truncation
                self.resume_token = next_token
                yield parsed
                break
            yield parsed
            total_items += num_current_response
            token = parsed.get("nextToken")
            next_token = {"nextToken": token if token else None}
            if all(t is None for t in next_token.values()):
                break
            if self._max_items is not None and total_items == self._max_items:
                self.resume_token = next_token
                break
            if previous_next_token is not None and previous_next_token == next_token:
                raise _botocore_exc().PaginationError(
                    message=f"The same next token was received twice: {next_token}")
            self._inject_token_into_kwargs(current_kwargs, next_token)
            previous_next_token = next_token

    def build_full_result(self):
        complete_result = {}
        jobs_text = _jobs_text_type()
        pieces = []   # JobsText pages, joined at the end as lists are extended
        for page in self:
            result_value = page.get("jobs")
            if result_value is None:
                continue
            if type(result_value) is jobs_text:
                complete_result.setdefault("jobs", None)
                pieces.append(result_value)
                continue
            existing_value = complete_result.get("jobs")
            if existing_value is None:
                complete_result["jobs"] = result_value
                continue
            if isinstance(result_value, list):
                existing_value.extend(result_value)
            elif isinstance(result_value, (int, float, str)):
                complete_result["jobs"] = existing_value + result_value
        if pieces:
            complete_result["jobs"] = jobs_text.join(pieces)
        if self.resume_token is not None:
            complete_result["NextToken"] = self.resume_token
        return complete_result


# ---------------------------------------------------------------------------
# Output: awscli's formatters, same bytes
# ---------------------------------------------------------------------------

def _json_default(obj):
    # awscli.utils.json_encoder
    import datetime

    if isinstance(obj, datetime.datetime):
        return obj.isoformat()
    if isinstance(obj, bytes):
        import base64

        return base64.b64encode(obj).decode("utf-8")
    raise TypeError("Encountered unrecognized type in JSON encoder.")


def _json_text(obj, chunks=False):
    """json.dumps(obj, indent=4, ensure_ascii=False, default=json_encoder):
    awscli's JSONFormatter. The C encoder gives the same text; for what only
    json.dumps does the same way (a non-str dict key, a dict or list
    subclass) it returns NotImplemented and json.dumps runs. chunks: the
    text's UTF-8 as a list of bytes-like pieces where the C encoder can
    (see _core.awscli_json), else the text."""
    from iotpager import _core

    text = _core.awscli_json(obj, _json_default, chunks)
    if text is NotImplemented:
        import json

        text = json.dumps(obj, indent=4, default=_json_default, ensure_ascii=False)
    return text


class _Stdout:
    """sys.stdout, or colorama's autoreset wrapper (a reset after every
    write), which awscli's ColorizedStyler installs."""

    def __init__(self, autoreset=False):
        self._stream = sys.stdout
        self._autoreset = autoreset
        # text that may go out as its UTF-8 bytes: a UTF-8 stdout with a binary
        # buffer. Its error handler (strict, or surrogateescape in the C
        # locale) does not matter: chunks never hold a lone surrogate, the
        # only code points UTF-8 cannot encode.
        self.utf8 = False
        if not autoreset and getattr(self._stream, "buffer", None) is not None:
            import codecs

            try:
                self.utf8 = codecs.lookup(self._stream.encoding).name == "utf-8"
            except (LookupError, TypeError, AttributeError):
                self.utf8 = False

    def write_utf8(self, chunks):
        """Write UTF-8 bytes-like chunks (only when self.utf8), after any text
        written so far."""
        self._stream.flush()
        write = self._stream.buffer.write
        for chunk in chunks:
            write(chunk)

    def write(self, text):
        self._stream.write(text)
        if self._autoreset:
            self._stream.write("\x1b[0m")

    def flush(self):
        try:
            self._stream.flush()
        except OSError:
            pass


def _format_json(response, stream):
    if response != {}:
        # UTF-8 chunks (the jobs' own texts among them) when stdout takes bytes
        data = _json_text(response, stream.utf8)
        if isinstance(data, list):
            stream.write_utf8(data + [b"\n"])
        else:
            stream.write(data)
            stream.write("\n")


# -- text (awscli/text.py) ----------------------------------------------------

def _format_text(item, out, identifier=None, scalar_keys=None):
    if isinstance(item, dict):
        _format_text_dict(scalar_keys, item, identifier, out)
    elif isinstance(item, list):
        _format_text_list(item, identifier, out)
    else:
        out.append(str(item))
        out.append("\n")


def _format_text_list(item, identifier, out):
    if not item:
        return
    if any(isinstance(el, dict) for el in item):
        all_keys = _all_scalar_keys(item)
        key_set = frozenset(all_keys)
        for element in item:
            if isinstance(element, dict):
                _format_text_dict(all_keys, element, identifier, out, key_set)
            else:
                _format_text(element, out, identifier=identifier, scalar_keys=all_keys)
    elif any(isinstance(el, list) for el in item):
        scalars = [el for el in item if not isinstance(el, (list, dict))]
        non_scalars = [el for el in item if isinstance(el, (list, dict))]
        if scalars:
            _format_scalar_list(scalars, identifier, out)
        for non_scalar in non_scalars:
            _format_text(non_scalar, out, identifier=identifier)
    else:
        _format_scalar_list(item, identifier, out)


def _format_scalar_list(elements, identifier, out):
    if identifier is not None:
        upper = identifier.upper()
        for item in elements:
            out.append(f"{upper}\t{item}\n")
    else:
        out.append("\t".join([str(item) for item in elements]))
        out.append("\n")


def _format_text_dict(scalar_keys, item, identifier, out, key_set=None):
    scalar = []
    non_scalar = []
    if scalar_keys is None:
        for key, value in sorted(item.items()):
            if isinstance(value, (dict, list)):
                non_scalar.append((key, value))
            else:
                scalar.append(str(value))
    else:
        get = item.get
        scalar = [str(get(key, "")) for key in scalar_keys]
        if key_set is None:
            key_set = frozenset(scalar_keys)
        if not key_set.issuperset(item):
            for key in sorted(set(item.keys()) - key_set):
                non_scalar.append((key, item[key]))
    if scalar:
        if identifier is not None:
            scalar.insert(0, identifier.upper())
        out.append("\t".join(scalar))
        out.append("\n")
    for new_identifier, value in non_scalar:
        _format_text(value, out, identifier=new_identifier)


def _all_scalar_keys(list_of_dicts):
    keys_seen = set()
    for item_dict in list_of_dicts:
        for key, value in item_dict.items():
            if not isinstance(value, (dict, list)):
                keys_seen.add(key)
    return sorted(keys_seen)


def _text_out(data, stream):
    out = []
    _format_text(data, out)
    stream.write("".join(out))


# -- table (awscli/table.py, formatter.TableFormatter) ----------------------

def _text_length(text):
    text = str(text)
    if text.isascii():
        return len(text)
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WFA" else 1 for c in text)


def _terminal_width(default_width=80):
    try:
        import struct
        from fcntl import ioctl
        from termios import TIOCGWINSZ
    except ImportError:
        return default_width
    try:
        _h, width = struct.unpack("hhhh", ioctl(sys.stdout, TIOCGWINSZ, "\000" * 8))[0:2]
    except Exception:
        return default_width
    return width


def _center_text(text, length=80, left_edge="|", right_edge="|", text_length=None):
    if text_length is None:
        text_length = _text_length(text)
    char_start = (length // 2) - (text_length // 2) - 1
    length_so_far = _text_length(left_edge) + char_start + text_length
    right_side_spaces = length - _text_length(right_edge) - length_so_far
    return (left_edge + " " * char_start + text + " " * right_side_spaces + right_edge)


def _align_left(text, length, left_edge="|", right_edge="|", text_length=None, left_padding=2):
    if text_length is None:
        text_length = _text_length(text)
    computed_length = (text_length + left_padding + _text_length(left_edge)
                       + _text_length(right_edge))
    padding = left_padding if length - computed_length >= 0 else 0
    length_so_far = len(left_edge) + padding + text_length
    return (left_edge + " " * padding + text
            + " " * (length - length_so_far - len(right_edge)) + right_edge)


class _Section:
    def __init__(self):
        self.title = ""
        self.headers = []
        self.rows = []
        self.indent_level = 0
        self._num_cols = None
        self._max_widths = []

    def calculate_column_widths(self, padding=0, max_width=None):
        unscaled_widths = [w + padding for w in self._max_widths]
        if max_width is None or not unscaled_widths:
            return unscaled_widths
        scale_factor = max_width / float(sum(unscaled_widths))
        scaled = [int(round(scale_factor * w)) for w in unscaled_widths]
        off_by = sum(scaled) - max_width
        while off_by != 0:
            iter_order = range(len(scaled))
            if off_by < 0:
                iter_order = reversed(iter_order)
            for i in iter_order:
                if off_by > 0:
                    scaled[i] -= 1
                    off_by -= 1
                else:
                    scaled[i] += 1
                    off_by += 1
                if off_by == 0:
                    break
        return scaled

    def total_width(self, padding=0, with_border=False, outer_padding=0):
        total = 0
        border_padding = 2
        for w in self.calculate_column_widths():
            total += w + padding
        if with_border:
            total += border_padding
        total += outer_padding + outer_padding
        return max(_text_length(self.title) + border_padding + outer_padding + outer_padding,
                   total)

    def add_title(self, title):
        self.title = title

    def add_header(self, headers):
        self._update_max_widths(headers)
        if self._num_cols is None:
            self._num_cols = len(headers)
        self.headers = headers

    def add_row(self, row):
        if self._num_cols is None:
            self._num_cols = len(row)
        if len(row) != self._num_cols:
            raise ValueError(f"Row should have {self._num_cols} elements, instead "
                             f"it has {len(row)}")
        row = [str(r) for r in row]
        self.rows.append(row)
        self._update_max_widths(row)

    def _update_max_widths(self, row):
        if not self._max_widths:
            self._max_widths = [_text_length(el) for el in row]
        else:
            for i, el in enumerate(row):
                self._max_widths[i] = max(_text_length(el), self._max_widths[i])


class _Styler:
    def style_title(self, text):
        return text

    def style_header_column(self, text):
        return text

    def style_row_element(self, text):
        return text

    def style_indentation_char(self, text):
        return text


class _ColorizedStyler(_Styler):
    # colorama: Style.BRIGHT, Fore.BLUE, Style.DIM, Fore.YELLOW, Style.RESET_ALL
    def style_row_element(self, text):
        return "\x1b[1m\x1b[34m" + text + "\x1b[0m"

    def style_indentation_char(self, text):
        return "\x1b[2m\x1b[33m" + text + "\x1b[0m"


class _IndentedStream:
    def __init__(self, stream, indent_level, left_indent_char="|", right_indent_char="|"):
        self._stream = stream
        self._indent_level = indent_level
        self._left = left_indent_char
        self._right = right_indent_char

    def write(self, text):
        self._stream.write(self._left * self._indent_level)
        if text.endswith("\n"):
            self._stream.write(text[:-1])
            self._stream.write(self._right * self._indent_level)
            self._stream.write("\n")
        else:
            self._stream.write(text)


class _MultiTable:
    def __init__(self, styler, column_separator="|"):
        self._current_section = None
        self._sections = []
        self._styler = styler
        self._column_separator = column_separator
        self._terminal_width = _terminal_width()

    def add_row_header(self, headers):
        self._current_section.add_header(headers)

    def add_row(self, row_elements):
        self._current_section.add_row(row_elements)

    def new_section(self, title, indent_level=0):
        self._current_section = _Section()
        self._sections.append(self._current_section)
        self._current_section.add_title(title)
        self._current_section.indent_level = indent_level

    def render(self, stream):
        max_width = self._calculate_max_width()
        if max_width > self._terminal_width:
            self._convert_to_vertical_table()
            max_width = self._calculate_max_width()
        stream.write("-" * max_width + "\n")
        for section in self._sections:
            self._render_section(section, max_width, stream)

    def _convert_to_vertical_table(self):
        sections = self._sections
        for i, section in enumerate(sections):
            if len(section.rows) == 1 and section.headers:
                new_section = _Section()
                new_section.title = section.title
                new_section.indent_level = section.indent_level
                for header, element in zip(section.headers, section.rows[0]):
                    new_section.add_row([header, element])
                sections[i] = new_section

    def _calculate_max_width(self):
        return max(s.total_width(padding=4, with_border=True, outer_padding=s.indent_level)
                   for s in self._sections)

    def _render_section(self, section, max_width, stream):
        stream = _IndentedStream(stream, section.indent_level,
                                 self._styler.style_indentation_char("|"),
                                 self._styler.style_indentation_char("|"))
        max_width -= section.indent_level * 2
        self._render_title(section, max_width, stream)
        self._render_column_titles(section, max_width, stream)
        self._render_rows(section, max_width, stream)

    def _render_title(self, section, max_width, stream):
        if section.title:
            title = self._styler.style_title(section.title)
            stream.write(_center_text(title, max_width, "|", "|",
                                      _text_length(section.title)) + "\n")
            if not section.headers and not section.rows:
                stream.write("+%s+" % ("-" * (max_width - 2)) + "\n")

    def _render_column_titles(self, section, max_width, stream):
        if not section.headers:
            return
        widths = section.calculate_column_widths(padding=4, max_width=max_width)
        current = ""
        first = True
        for width, header in zip(widths, section.headers):
            stylized_header = self._styler.style_header_column(header)
            if first:
                left_edge = "|"
                first = False
            else:
                left_edge = ""
            current += _center_text(text=stylized_header, length=width, left_edge=left_edge,
                                    right_edge="|", text_length=_text_length(header))
        self._write_line_break(stream, widths)
        stream.write(current + "\n")

    def _write_line_break(self, stream, widths):
        parts = []
        first = True
        for width in widths:
            if first:
                parts.append("+%s+" % ("-" * (width - 2)))
                first = False
            else:
                parts.append("%s+" % ("-" * (width - 1)))
        parts.append("\n")
        stream.write("".join(parts))

    def _render_rows(self, section, max_width, stream):
        if not section.rows:
            return
        widths = section.calculate_column_widths(padding=4, max_width=max_width)
        if not widths:
            return
        self._write_line_break(stream, widths)
        style = self._styler.style_row_element
        sep = self._column_separator
        for row in section.rows:
            current = []
            first = True
            for width, element in zip(widths, row):
                if first:
                    left_edge = "|"
                    first = False
                else:
                    left_edge = ""
                current.append(_align_left(text=style(element), length=width,
                                           left_edge=left_edge, right_edge=sep,
                                           text_length=_text_length(element)))
            stream.write("".join(current) + "\n")
        self._write_line_break(stream, widths)


class _TableBuilder:
    """awscli.formatter.TableFormatter's table building."""

    def __init__(self, table):
        self.table = table

    def build(self, title, current, indent_level=0):
        if not current:
            return False
        if title is not None:
            self.table.new_section(title, indent_level=indent_level)
        if isinstance(current, list):
            if isinstance(current[0], dict):
                self._sub_table_from_list(current, indent_level, title)
            else:
                for item in current:
                    if self._scalar(item):
                        self.table.add_row([item])
                    elif all(self._scalar(el) for el in item):
                        self.table.add_row(item)
                    else:
                        self.build(title=None, current=item)
        if isinstance(current, dict):
            self._sub_table_from_dict(current, indent_level)
        return True

    def _sub_table_from_dict(self, current, indent_level):
        headers, more = self._group_scalar_keys(current)
        if len(headers) == 1:
            self.table.add_row([headers[0], current[headers[0]]])
        elif headers:
            self.table.add_row_header(headers)
            self.table.add_row([current[k] for k in headers])
        for remaining in more:
            self.build(remaining, current[remaining], indent_level=indent_level + 1)

    def _sub_table_from_list(self, current, indent_level, title):
        headers, more = self._group_scalar_keys_from_list(current)
        self.table.add_row_header(headers)
        first = True
        for element in current:
            if not first and more:
                self.table.new_section(title, indent_level=indent_level)
                self.table.add_row_header(headers)
            first = False
            self.table.add_row([element.get(header, "") for header in headers])
            for remaining in more:
                if remaining in element:
                    self.build(remaining, element[remaining], indent_level=indent_level + 1)

    @staticmethod
    def _scalar(element):
        return not isinstance(element, (list, dict))

    def _group_scalar_keys_from_list(self, list_of_dicts):
        headers = set()
        more = set()
        for item in list_of_dicts:
            current_headers, current_more = self._group_scalar_keys(item)
            headers.update(current_headers)
            more.update(current_more)
        return sorted(headers), sorted(more)

    def _group_scalar_keys(self, current):
        more = []
        headers = []
        for element in current:
            if self._scalar(current[element]):
                headers.append(element)
            else:
                more.append(element)
        headers.sort()
        more.sort()
        return headers, more


def _is_a_tty():
    try:
        return os.isatty(sys.stdout.fileno())
    except Exception:
        return False


class _Formatter:
    """awscli.formatter.get_formatter(output, args)(command_name, response)."""

    def __init__(self, output, query, color):
        if output not in ("json", "text", "table"):
            raise ValueError("Unknown output type: %s" % output)
        self.output = output
        self.query = query
        self.colorized = False
        if output == "table":
            if color == "on" or (color == "auto" and _is_a_tty()):
                self.colorized = True
            elif color not in ("off", "auto"):
                raise ValueError("Unknown color option: %s" % color)
            self.table = _MultiTable(_ColorizedStyler() if self.colorized else _Styler())

    def __call__(self, command_name, response, paginated):
        if self.output == "text":
            return self._text(response, paginated)
        stream = _Stdout(autoreset=self.colorized)
        if paginated:
            response_data = response.build_full_result()
        else:
            response_data = response
        if "ResponseMetadata" in response_data:
            del response_data["ResponseMetadata"]
        if self.query is not None:
            response_data = self.query.search(response_data)
        try:
            if self.output == "json":
                _format_json(response_data, stream)
            elif _TableBuilder(self.table).build(command_name, response_data):
                try:
                    self.table.render(stream)
                except OSError:
                    pass
        except OSError:
            pass
        finally:
            stream.flush()

    def _text(self, response, paginated):
        stream = _Stdout()
        try:
            if paginated:
                for page in response:
                    current = {"jobs": page.get("jobs")}
                    self._text_response(current, stream)
                if response.resume_token:
                    self._text_response({"NextToken": {"NextToken": response.resume_token}},
                                        stream)
            else:
                if "ResponseMetadata" in response:
                    del response["ResponseMetadata"]
                self._text_response(response, stream)
        finally:
            stream.flush()

    def _text_response(self, response, stream):
        if self.query is not None:
            response = self.query.search(response)
        _text_out(response, stream)


def _output_skeleton():
    # botocore's ArgumentGenerator(use_member_names=True) for the ListJobs output
    import datetime

    ts = datetime.datetime(1970, 1, 1, 0, 0, 0)
    return {"jobs": [{
        "jobArn": "jobArn", "jobId": "jobId", "thingGroupId": "thingGroupId",
        "targetSelection": "targetSelection", "status": "status", "createdAt": ts,
        "lastUpdatedAt": ts, "completedAt": ts, "isConcurrent": True}],
        "nextToken": "nextToken"}


# ---------------------------------------------------------------------------
# The driver (awscli.clidriver.CLIDriver / ServiceOperation / CLIOperationCaller)
# ---------------------------------------------------------------------------

_COMPLEX_CREDENTIAL_KEYS = ("role_arn", "web_identity_token_file", "credential_source",
                            "source_profile", "login_session", "credential_process",
                            "sso_session", "sso_start_url", "sso_account_id", "sso_role_name",
                            "sso_region")
_PROXY_ENV = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")
_CONFIGURED_ENDPOINT_ENV = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_IOT")
_AWS_REGION_RE = r"^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$"


class _Driver:
    def __init__(self, environ=None):
        self.env = os.environ if environ is None else environ
        self.config = _Config(self.env)
        self.ts_format = "wire"
        self.follow_urls = True

    def main(self, args):
        parser = _main_parser()
        parsed_args, remaining = parser.parse_known_args(args)
        try:
            self._handle_top_level_args(parsed_args)
            self._session_initialized()
            return self._service(remaining, parsed_args)
        except _UnknownArgumentError as e:
            sys.stderr.write("usage: %s\n" % USAGE)
            sys.stderr.write(str(e))
            sys.stderr.write("\n")
            return 255
        except KeyboardInterrupt:
            sys.stdout.write("\n")
            return 130
        except Exception as e:
            names = _class_names(e)
            if "NoRegionError" in names:
                self._show_error('%s You can also configure your region by running '
                                 '"aws configure".' % e)
            elif "NoCredentialsError" in names:
                self._show_error(f'{e}. You can configure credentials by running '
                                 f'"aws configure".')
            else:
                sys.stderr.write("\n")
                sys.stderr.write(str(e))
                sys.stderr.write("\n")
            return 255

    @staticmethod
    def _show_error(msg):
        sys.stderr.write(msg)
        sys.stderr.write("\n")

    # -- top level (awscli.customizations.globalargs) ------------------------

    def _handle_top_level_args(self, args):
        if args.query is not None:
            import jmespath

            value = args.query
            try:
                args.query = jmespath.compile(value)
            except Exception as e:
                raise ValueError("Bad value for --query %s: %s" % (value, str(e)))
        if args.endpoint_url is not None:
            from urllib.parse import urlparse

            if not urlparse(args.endpoint_url).scheme:
                raise ValueError('Bad value for --endpoint-url "%s": scheme is '
                                 'missing.  Must be of the form '
                                 'http://<hostname>/ or https://<hostname>/' % args.endpoint_url)
        if args.verify_ssl is not None:
            args.verify_ssl = False if not args.verify_ssl else args.ca_bundle
        for name in ("read_timeout", "connect_timeout"):
            value = getattr(args, name, None)
            if value is None:
                value = 60
            value = int(value)
            setattr(args, name, None if value == 0 else value)
        if args.profile:
            self.config.instance["profile"] = args.profile
        if args.region:
            self.config.instance["region"] = args.region

    def _session_initialized(self):
        # awscli.customizations.scalarparse and paramfile's handler registration
        try:
            fmt = self.config.scoped_config().get("cli_timestamp_format", None)
        except Exception as e:
            if "ProfileNotFound" not in _class_names(e):
                raise
            fmt = None
        fmt = "wire" if fmt is None else fmt
        if fmt not in ("wire", "none", "iso8601"):
            raise ValueError('Unknown cli_timestamp_format value: %s, valid values'
                             ' are "none", "wire" or "iso8601"' % fmt)
        self.ts_format = fmt
        try:
            self.follow_urls = (self.config.scoped_config().get("cli_follow_urlparam", "true")
                                == "true")
        except Exception as e:
            if "ProfileNotFound" not in _class_names(e):
                raise
            self.follow_urls = True

    # -- iot <operation> -----------------------------------------------------

    def _service(self, args, parsed_globals):
        parsed, remaining = _service_parser().parse_known_args(args)
        if parsed.operation == "help":
            raise _Unsupported("iotpager: help is not available; see `aws iot list-jobs help`")
        if parsed.operation != _CLI_OPERATION:
            # every other paginated IoT command: _cli_ops, on the library's engine
            from . import _cli_ops

            return _cli_ops.run(self, parsed.operation, remaining, parsed_globals)
        return self._list_jobs(remaining, parsed_globals)

    def _list_jobs(self, args, parsed_globals):
        parsed_args, remaining = _OperationParser().parse_known_args(args)
        if parsed_args.help == "help":
            raise _Unsupported("iotpager: help is not available; see `aws iot list-jobs help`")
        elif parsed_args.help:
            remaining.append(parsed_args.help)
        if remaining:
            raise _UnknownArgumentError("Unknown options: %s" % ", ".join(remaining))

        # operation-args-parsed: awscli.customizations.paginate
        if parsed_args.max_results is not None or parsed_args.next_token is not None:
            parsed_globals.paginate = False
        if not parsed_globals.paginate:
            used = [p for p in ("starting_token", "page_size", "max_items")
                    if getattr(parsed_args, p, None)]
            if used:
                raise _botocore_exc().PaginationError(
                    message="Cannot specify --no-paginate along with pagination "
                            "arguments: %s" % ", ".join("--" + p.replace("_", "-") for p in used))

        call_parameters = self._build_call_parameters(parsed_args)
        # ServiceOperation._detect_binary_file_migration_change reads the
        # scoped config: a missing profile fails here
        self.config.scoped_config()

        # calling-command: cli-input-json, then generate-cli-skeleton
        if parsed_args.cli_input_json is not None:
            self._add_cli_input_json(parsed_args.cli_input_json, call_parameters)
        if parsed_args.generate_cli_skeleton:
            if parsed_args.generate_cli_skeleton != "output":
                import json
                import random

                skeleton = {}
                for name, (type_name, _min) in _INPUT_SHAPE.items():
                    if name in _INPUT_SKELETON_ENUMS:
                        skeleton[name] = random.choice(_INPUT_SKELETON_ENUMS[name])
                    else:
                        skeleton[name] = 0 if type_name == "integer" else ""
                sys.stdout.write(json.dumps(skeleton, indent=4, default=_json_default))
                sys.stdout.write("\n")
                return 0
            self._resolve_region()
            _validate(call_parameters)
            response = _output_skeleton()
            self._display(response, parsed_globals, paginated=False)
            return 0
        return self._invoke(call_parameters, parsed_globals)

    def _build_call_parameters(self, parsed_args):
        params = {}
        for cli_name, py_name, kind, member in _ARG_TABLE:
            value = getattr(parsed_args, py_name)
            # load-cli-arg: awscli.paramfile.URIArgumentHandler
            if isinstance(value, str):
                try:
                    loaded = _get_paramfile(value, self.follow_urls)
                except _ResourceLoadingError as e:
                    raise _ParamError(cli_name, str(e))
                if loaded is not None:
                    value = loaded
            if value is None or kind == "custom":
                continue
            if kind == "page":
                if member == "MaxItems" and int(value) <= 0:
                    sys.stderr.write("warning: Non-positive values for --max-items may result "
                                     "in undefined behavior.\n")
                params.setdefault("PaginationConfig", {})[member] = value
            elif kind == "integer":
                params[member] = int(value)
            else:
                params[member] = value
        return params

    def _add_cli_input_json(self, input_json, call_parameters):
        import json

        retrieved = None
        if isinstance(input_json, str):
            for prefix, mode in _LOCAL_PREFIXES:
                if input_json.startswith(prefix):
                    retrieved = _get_file(prefix, input_json, mode)
        if retrieved is None:
            retrieved = input_json
        try:
            input_data = json.loads(retrieved)
        except ValueError as e:
            raise _ParamError("cli-input-json", "Invalid JSON: %s\nJSON received: %s"
                              % (e, retrieved))
        for key in input_data.keys():
            if key not in call_parameters:
                call_parameters[key] = input_data[key]

    # -- the call (CLIOperationCaller.invoke) ---------------------------------

    def _resolve_region(self):
        region = self.config.region()
        if region is None:
            raise _botocore_exc().NoRegionError()
        import re

        if not re.match(r"^(?![0-9]+$)(?!-)[a-zA-Z0-9-]{,63}(?<!-)$", region):
            raise _botocore_exc().InvalidRegionError(region_name=region)
        return region

    def _invoke(self, call_parameters, parsed_globals):
        if not parsed_globals.sign_request:
            raise _Unsupported("iotpager: --no-sign-request is not supported "
                               "(iotpager always signs its requests)")
        backend = self._backend(parsed_globals)
        output = parsed_globals.output
        if output is None:
            output = self.config.output()
        # plain JSON output: the jobs come as JSON text written in C (a
        # JobsText per page), not as dicts; the same bytes, a fraction of the work
        backend.jobs_text = (output == "json" and parsed_globals.query is None
                             and not backend.iso and isinstance(backend.controller, _FastController))
        fetcher = _Fetcher(backend)
        if parsed_globals.paginate:
            pc = call_parameters.pop("PaginationConfig", {})
            max_items = pc.get("MaxItems", None)
            if max_items is not None:
                max_items = int(max_items)
            page_size = pc.get("PageSize", None)
            if page_size is not None:
                page_size = int(page_size)
            response = _PageIterator(fetcher, max_items, pc.get("StartingToken", None),
                                     page_size, call_parameters)
            self._display(response, parsed_globals, paginated=True)
        else:
            try:
                response = fetcher(call_parameters, prefetch=False)
            finally:
                fetcher.close()
            self._display(response, parsed_globals, paginated=False)
        return 0

    def _display(self, response, parsed_globals, paginated):
        output = parsed_globals.output
        if output is None:
            output = self.config.output()
        formatter = _Formatter(output, parsed_globals.query, parsed_globals.color)
        formatter(OPERATION, response, paginated)

    # -- transport and credentials ---------------------------------------------

    def _timestamp_fn(self):
        return _iso_timestamp if self.ts_format == "iso8601" else (lambda value: value)

    def _backend(self, parsed_globals):
        fast = self._fast_backend(parsed_globals)
        if fast is not None:
            return fast
        return self._client_backend(parsed_globals)

    def _fast_backend(self, parsed_globals):
        """Static credentials, a known endpoint, legacy retries: no botocore
        client. None when anything needs botocore's own resolution."""
        env = self.env
        config = self.config
        region = config.region()
        if region is None:
            return None
        import re

        if not re.match(r"^(?![0-9]+$)(?!-)[a-zA-Z0-9-]{,63}(?<!-)$", region):
            return None
        if any(name in env for name in _PROXY_ENV):
            return None
        if config.get("retry_mode", ("AWS_RETRY_MODE",), "legacy") != "legacy":
            return None
        try:
            max_attempts = _legacy_max_attempts(config)
        except ValueError:
            return None
        credentials = self._static_credentials()
        if credentials is None:
            return None
        endpoint_url = parsed_globals.endpoint_url
        if endpoint_url is None:
            scoped = config.scoped_config()
            if any(name in env for name in _CONFIGURED_ENDPOINT_ENV) or "endpoint_url" in scoped \
                    or "services" in scoped or any(
                        k.startswith(("AWS_USE_FIPS", "AWS_USE_DUALSTACK")) for k in env) \
                    or "use_fips_endpoint" in scoped or "use_dualstack_endpoint" in scoped \
                    or not re.match(_AWS_REGION_RE, region):
                return None
            endpoint_url = "https://iot.%s.amazonaws.com" % region
        verify = parsed_globals.verify_ssl
        if verify is None:
            verify = config.get("ca_bundle", ("AWS_CA_BUNDLE",))
        ca_bundle = None
        if verify is not False and endpoint_url.lower().startswith("https:"):
            ca_bundle = verify if isinstance(verify, str) else _default_ca_bundle()
        transport = _Transport(
            endpoint_url, region, verify is not False, ca_bundle,
            connect_timeout=float(parsed_globals.connect_timeout or 0),
            read_timeout=float(parsed_globals.read_timeout or 0),
            user_agent="iotpager-cli/%s" % _iotpager_version())
        controller = _FastController(credentials, endpoint_url, max_attempts,
                                     self._timestamp_fn())
        return _Backend(transport, controller)

    def _static_credentials(self):
        """Environment or shared-file static keys, when botocore's chain
        would pick exactly those; None otherwise."""
        env = self.env
        config = self.config
        if "profile" not in config.instance:
            access_key = env.get("AWS_ACCESS_KEY_ID", "")
            if access_key:
                secret_key = env.get("AWS_SECRET_ACCESS_KEY", "")
                if not secret_key or env.get("AWS_CREDENTIAL_EXPIRATION", ""):
                    return None
                token = None
                for name in ("AWS_SECURITY_TOKEN", "AWS_SESSION_TOKEN"):
                    if env.get(name, ""):
                        token = env[name]
                        break
                return (access_key, secret_key, token)
        if "AWS_WEB_IDENTITY_TOKEN_FILE" in env or "AWS_ROLE_ARN" in env:
            return None
        profile_name = config.profile_name() or "default"
        profiles = config.full_config()["profiles"]
        profile = profiles.get(profile_name, {})
        if any(k in profile for k in _COMPLEX_CREDENTIAL_KEYS) or any(
                k.startswith("sso_") for k in profile):
            return None
        import botocore.configloader as cl
        from botocore.exceptions import ConfigNotFound

        for path, tokens in ((config._credentials_file(), ("aws_security_token", "aws_session_token")),
                             (config._config_file(), ("aws_security_token", "aws_session_token"))):
            try:
                if path == config._config_file():
                    section = cl.load_config(path)["profiles"].get(profile_name, {})
                else:
                    section = cl.raw_config_parse(path).get(profile_name, {})
            except ConfigNotFound:
                continue
            if "aws_access_key_id" in section:
                if "aws_secret_access_key" not in section:
                    return None   # botocore: PartialCredentialsError
                token = None
                for name in tokens:
                    if name in section:
                        token = section[name]
                        break
                return (section["aws_access_key_id"], section["aws_secret_access_key"], token)
        return None

    def _client_backend(self, parsed_globals):
        """A real botocore client, created as aws creates it."""
        import botocore.session
        from botocore.config import Config

        from ._config import transport_from_client

        session = botocore.session.Session(
            {"ca_bundle": ("ca_bundle", "AWS_CA_BUNDLE", None, None),
             "output": ("output", "AWS_DEFAULT_OUTPUT", "json", None)})
        session.user_agent_name = "iotpager-cli"
        session.user_agent_version = _iotpager_version()
        if "profile" in self.config.instance:
            session.set_config_variable("profile", self.config.instance["profile"])
        if "region" in self.config.instance:
            session.set_config_variable("region", self.config.instance["region"])
        client_config = Config(connect_timeout=parsed_globals.connect_timeout,
                               read_timeout=parsed_globals.read_timeout)
        client = session.create_client(
            "iot", region_name=parsed_globals.region, endpoint_url=parsed_globals.endpoint_url,
            verify=parsed_globals.verify_ssl, config=client_config)
        transport = transport_from_client(client, OPERATION)
        t = _Transport(client.meta.endpoint_url, transport.region, transport.verify,
                       transport.ca_bundle,
                       connect_timeout=float(parsed_globals.connect_timeout or 0),
                       read_timeout=float(parsed_globals.read_timeout or 0),
                       proxy=transport.proxy, user_agent=transport.user_agent,
                       service=transport.service)
        t.endpoint, t.path, t.host = transport.endpoint, transport.path, transport.host
        controller = _slow_controller_class()(client, client.meta.endpoint_url,
                                              self._timestamp_fn())
        return _Backend(t, controller)


def main(argv=None):
    """Entry point: ``iotpager [global options] <list command> [options]``; returns the exit code."""
    if argv is None:
        argv = sys.argv[1:]
    return _Driver().main(["iot"] + list(argv))
