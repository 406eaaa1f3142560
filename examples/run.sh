#!/usr/bin/env bash
# iotpager's two commands on a fresh Debian machine with Python 3:
#
#   bash examples/run.sh demo   # install, then list jobs from a local endpoint (vs boto3)
#   bash examples/run.sh test   # install, then run the whole test suite
#
# Installs what is missing: Debian packages (when root; else says which to
# install), then this package with its test extras (pip install '.[test]').
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
APT_PKGS=(pkg-config g++ make libcurl4-openssl-dev libssl-dev libsimdjson-dev tzdata)

missing=()
for p in "${APT_PKGS[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "installing Debian packages: ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "missing Debian packages; run: sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
fi

"$PY" -m pip install -q --disable-pip-version-check "setuptools>=64" wheel
"$PY" -m pip install -q --disable-pip-version-check --no-build-isolation '.[test]'

case "${1:-}" in
    demo)
        shift
        cd examples   # import the installed package, not the source tree
        exec "$PY" demo.py "$@"
        ;;
    test)
        shift
        exec "$PY" -X dev -m pytest -q -p no:cacheprovider tests "$@"
        ;;
    *)
        echo "usage: bash examples/run.sh demo|test" >&2
        exit 2
        ;;
esac
