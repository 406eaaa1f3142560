#!/usr/bin/env bash
# iotpager's two commands on a fresh Debian machine with Python 3.10+:
#
#   bash examples/run.sh demo     # install, then list jobs from a local endpoint (vs boto3)
#   bash examples/run.sh test     # install, then run the whole test suite
#                                 # (arguments: pytest's, instead of tests/)
#   bash examples/run.sh python   # print the venv's python (no install; for scripts)
#
# PYTHON=/path/to/python3 picks the interpreter (default: python3).
#
# Installs what is missing: the Debian packages (with apt-get when run as
# root; otherwise it says which to install), then a virtual environment
# inside the checkout, .venv/py<version>-<hash of the interpreter's path>
# (one per interpreter; pip never touches the interpreter itself, which
# PEP 668 forbids for Debian's own python3), with the newest pip, setuptools
# and wheel, then this package with its test extras (pip install '.[test]',
# the newest releases from PyPI). A venv that is already there is reused:
# its dependencies are kept, the package itself is rebuilt and reinstalled
# every time, so code changes are picked up.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${PYTHON:-python3}
APT_PKGS=(pkg-config g++ make libcurl4-openssl-dev libssl-dev libsimdjson-dev tzdata)

say() { echo "run.sh: $*" >&2; }
die() { say "$*"; exit 1; }

usage() {
    echo "usage: bash examples/run.sh demo|test|python [args...]" >&2
    exit 2
}
cmd=${1:-}
case "$cmd" in demo|test|python) shift ;; *) usage ;; esac

command -v "$PY" >/dev/null 2>&1 || die "no interpreter '$PY' (set PYTHON=/path/to/python3)"
# version, the real path of the interpreter (for the venv's name), and
# whether it has what `python -m venv` needs (Debian keeps ensurepip in a
# package of its own, python3.X-venv).
info=$("$PY" - <<'PYEOF'
import hashlib, os, sys
exe = os.path.realpath(sys.executable)
import sysconfig
try:
    import ensurepip, venv  # noqa: F401
    has_venv = 1
except ImportError:
    has_venv = 0
# the C build needs Python.h (Debian: python3.X-dev)
has_dev = int(os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))
print("%d.%d.%d" % sys.version_info[:3], sys.version_info[1],
      hashlib.sha256(exe.encode()).hexdigest()[:8], has_venv, has_dev, exe)
PYEOF
) || die "cannot run '$PY'"
read -r version minor exe_hash has_venv has_dev exe <<<"$info"
if [ "${version%%.*}" != 3 ] || [ "$minor" -lt 10 ]; then
    die "iotpager needs Python 3.10 or newer; '$PY' is $version (set PYTHON=...)"
fi
VENV=".venv/py$version-$exe_hash"
VPY="$ROOT/$VENV/bin/python"

if [ "$cmd" = python ]; then
    [ -f "$VENV/.iotpager-venv" ] && "$VPY" -c pass 2>/dev/null \
        || die "no venv for $exe yet: run 'bash examples/run.sh test' (or demo) first"
    echo "$VPY"
    exit 0
fi

missing=()
for p in "${APT_PKGS[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "$has_venv" = 0 ] || [ "$has_dev" = 0 ]; then
    dpkg -S "$exe" >/dev/null 2>&1 \
        || die "$exe lacks the venv/ensurepip module or Python.h; use a Python that has both (pyenv's have)"
    # Debian's own interpreter: ensurepip comes with python3.X-venv, the
    # headers with python3.X-dev.
    [ "$has_venv" = 1 ] || missing+=("python3.$minor-venv")
    [ "$has_dev" = 1 ] || missing+=("python3.$minor-dev")
fi
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        say "installing Debian packages: ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        die "missing Debian packages; run: sudo apt-get install ${missing[*]}"
    fi
fi

# The venv: reused when it is complete (the marker is written last) and its
# interpreter still runs; else made again from scratch.
if [ -f "$VENV/.iotpager-venv" ] && "$VPY" -c pass 2>/dev/null; then
    say "venv $ROOT/$VENV (reused; Python $version from $exe)"
else
    say "venv $ROOT/$VENV (new; Python $version from $exe)"
    rm -rf "$VENV"
    mkdir -p .venv
    "$PY" -m venv "$VENV"
    "$VPY" -m pip install -q --disable-pip-version-check --upgrade pip setuptools wheel
    touch "$VENV/.iotpager-venv"
fi

say "installing iotpager with its test extras into the venv (pip install '.[test]'; the C build takes a minute)"
"$VPY" -m pip install -q --disable-pip-version-check '.[test]'

case "$cmd" in
    demo)
        cd examples   # import the installed package, not the source tree
        exec "$VPY" demo.py "$@"
        ;;
    test)
        # Arguments replace the default selection (the whole of tests/),
        # e.g. `bash examples/run.sh test tests/test_cli.py -x`; options
        # alone keep it (pyproject's testpaths).
        [ $# -gt 0 ] || set -- tests
        exec "$VPY" -X dev -m pytest -q -p no:cacheprovider "$@"
        ;;
esac
