#!/usr/bin/env bash
# The test matrix: the whole suite against the installed wheel on each
# Python, each in a fresh venv with the newest dependencies from PyPI, and
# once more on one Python with the oldest botocore that pyproject.toml admits.
#
#   bash tests/matrix.sh                 # 3.10 3.11 3.12 3.13, then the floor run on 3.11
#   bash tests/matrix.sh 3.12            # only these Pythons (the floor run still follows)
#   MATRIX_FLOOR= bash tests/matrix.sh   # no floor run
#
# Environment:
#   MATRIX_SKIP   Pythons to leave out of the newest-deps runs, e.g. "3.11"
#                 (.ci/run skips the one `examples/run.sh test` just ran)
#   MATRIX_FLOOR  the Python of the floor run (default 3.11; empty: none)
#
# How: the sdist is made once from this checkout (python -m build --sdist)
# and unpacked; everything below uses that sdist, so a file left out of it
# fails here. Per Python: the interpreter is the newest patch release of
# that version under $(pyenv root)/versions (a missing one is an error); a
# venv in a scratch folder; pip install --upgrade pip; the wheel built once
# from the sdist (pip wheel, isolated build); pip install 'wheel[test]'; then
# the README's test command, python -X dev -m pytest -q -p no:cacheprovider
# tests, run from the unpacked sdist (whose python/ is not on sys.path, so
# the installed package is what is imported; checked before the run). The
# floor run installs the same wheel with botocore==FLOOR, FLOOR read from
# pyproject.toml's "botocore>=FLOOR", and lets pip pick the boto3 and awscli
# releases that go with it. A summary line per run (Python, botocore, boto3,
# urllib3, pytest's last line) is printed at the end; any failed run, a run
# with no tests (pytest's exit code 5) included, fails the script.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
unset PYTHONPATH PYTHONHOME

if [ $# -gt 0 ]; then
    MINORS=("$@")
else
    MINORS=(3.10 3.11 3.12 3.13)
fi
FLOOR_PY=${MATRIX_FLOOR-3.11}
read -r -a SKIP <<<"${MATRIX_SKIP:-}"

say() { echo "matrix: $*" >&2; }
die() { say "$*"; exit 1; }

runs=()
for m in "${MINORS[@]}"; do
    skip=0
    for s in "${SKIP[@]}"; do [ "$s" = "$m" ] && skip=1; done
    [ $skip = 1 ] && say "Python $m left out (MATRIX_SKIP)" || runs+=("$m")
done

if command -v pyenv >/dev/null 2>&1; then
    PYENV_ROOT=$(pyenv root)
else
    PYENV_ROOT=${PYENV_ROOT:-$HOME/.pyenv}
fi

# The newest patch release of one minor version under pyenv's versions.
find_python() {
    local minor=$1 best
    best=$(find "$PYENV_ROOT/versions" -mindepth 1 -maxdepth 1 -name "$minor.*" -printf '%f\n' 2>/dev/null \
        | grep -E "^${minor//./\\.}\.[0-9]+$" | sort -V | tail -n 1 || true)
    if [ -z "$best" ] || [ ! -x "$PYENV_ROOT/versions/$best/bin/python" ]; then
        return 1
    fi
    echo "$PYENV_ROOT/versions/$best/bin/python"
}

# Every interpreter is looked up before anything is built.
declare -A PYS
for m in "${runs[@]}" ${FLOOR_PY:+"$FLOOR_PY"}; do
    PYS[$m]=$(find_python "$m") \
        || die "no Python $m under $PYENV_ROOT/versions (install it: pyenv install $m)"
done
[ ${#PYS[@]} -gt 0 ] || die "nothing to run"

FLOOR=
if [ -n "$FLOOR_PY" ]; then
    mapfile -t floors < <(sed -n 's/^[[:space:]]*"botocore>=\([0-9][0-9.]*\)".*$/\1/p' "$ROOT/pyproject.toml")
    [ ${#floors[@]} = 1 ] || die "expected one \"botocore>=X\" dependency in pyproject.toml, found ${#floors[@]}"
    FLOOR=${floors[0]}
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/iotpager-matrix.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
PIPQ=(-q --disable-pip-version-check)

new_venv() {   # python, dir
    "$1" -m venv "$2"
    "$2/bin/python" -m pip install "${PIPQ[@]}" --upgrade pip
}

# The sdist, once, from this checkout.
t0=$SECONDS
first=${runs[0]:-$FLOOR_PY}
say "sdist (with Python $first's build)"
new_venv "${PYS[$first]}" "$WORK/venv-sdist"
"$WORK/venv-sdist/bin/python" -m pip install "${PIPQ[@]}" build
"$WORK/venv-sdist/bin/python" -m build --sdist --outdir "$WORK/dist" "$ROOT" >"$WORK/sdist.log" 2>&1 \
    || { cat "$WORK/sdist.log"; die "the sdist did not build"; }
SDIST=$(ls "$WORK"/dist/*.tar.gz)
mkdir "$WORK/src"
tar -xzf "$SDIST" -C "$WORK/src"
SRC=$(ls -d "$WORK"/src/*/)
SRC=${SRC%/}
say "sdist $(basename "$SDIST"): $(tar -tzf "$SDIST" | grep -vc '/$') files ($((SECONDS - t0)) s)"

summary=()
failed=0

# One run: label, minor version, extra requirements for pip.
run_one() {
    local label=$1 minor=$2; shift 2
    local py=${PYS[$minor]} venv="$WORK/venv-$label" wheels="$WORK/wheels-$minor"
    local log="$WORK/pytest-$label.log" t0=$SECONDS rc=0 whl versions last
    say "== $label: $py ${*:+(with $*)}"
    new_venv "$py" "$venv" || { record "$label" "$py" "" "venv failed" 1 "$t0"; return; }
    if ! ls "$wheels"/*.whl >/dev/null 2>&1; then
        "$venv/bin/python" -m pip wheel "${PIPQ[@]}" --no-deps --wheel-dir "$wheels" "$SDIST" \
            || { record "$label" "$py" "" "the wheel did not build" 1 "$t0"; return; }
    fi
    whl=$(ls "$wheels"/*.whl)
    "$venv/bin/python" -m pip install "${PIPQ[@]}" "$whl[test]" "$@" \
        || { record "$label" "$py" "" "pip install failed" 1 "$t0"; return; }
    # From the unpacked sdist, the installed package must be the one imported.
    versions=$(cd "$SRC" && "$venv/bin/python" - "$venv" "$FLOOR" "$label" <<'PYEOF'
import os, sys
from importlib.metadata import version
import iotpager
venv, floor, label = sys.argv[1:]
where = os.path.realpath(iotpager.__file__)
if not where.startswith(os.path.realpath(venv) + os.sep):
    sys.exit(f"iotpager imported from {where}, not from the venv's install")
def key(v):
    parts = [int(p) for p in v.split(".")]
    return parts + [0] * (4 - len(parts))
if label == "floor" and key(version("botocore")) != key(floor):
    sys.exit(f"botocore {version('botocore')} installed, not the floor {floor}")
print("python %s  botocore %s  boto3 %s  urllib3 %s" % (
    ".".join(map(str, sys.version_info[:3])), version("botocore"), version("boto3"), version("urllib3")))
PYEOF
    ) || { record "$label" "$py" "" "the installed package is not the one tested" 1 "$t0"; return; }
    say "$label: $versions"
    # the generated-body parity: fewer bodies per operation than the main
    # stage's 60, from a seed of each run's own, so the runs add coverage;
    # the CLI's byte comparison with aws for every list command
    # (test_cli_all.py, aws start-up bound) on the newest Python only (and in
    # the main stage), with the default-JSON case for 16 commands
    local pyargs=(tests) newest=""
    [ ${#runs[@]} -eq 0 ] || newest=${runs[${#runs[@]}-1]}
    [ "$label" = "$newest" ] || pyargs+=(--ignore=tests/test_cli_all.py)
    (cd "$SRC" && IOTPAGER_BODYGEN_N=${MATRIX_BODYGEN_N:-20} IOTPAGER_CLI_ALL_JSON=16 \
        IOTPAGER_BODYGEN_SEED=$(printf %s "$label" | cksum | cut -d' ' -f1) \
        "$venv/bin/python" -X dev -m pytest -q -p no:cacheprovider "${pyargs[@]}") 2>&1 | tee "$log" \
        || rc=${PIPESTATUS[0]}
    last=$(grep -v '^[[:space:]]*$' "$log" | tail -n 1)
    [ $rc = 5 ] && last="no tests ran (pytest exit code 5): $last"
    record "$label" "$py" "$versions" "$last" "$rc" "$t0"
    rm -rf "$venv"
}

record() {   # label, python, versions, result, rc, start
    local line
    line=$(printf '%-8s %s  %s  [exit %s, %d s]' "$1" "${3:-$2}" "$4" "$5" $((SECONDS - $6)))
    summary+=("$line")
    [ "$5" = 0 ] || failed=1
    say "$line"
}

for m in "${runs[@]}"; do
    run_one "$m" "$m"
done
if [ -n "$FLOOR_PY" ]; then
    run_one floor "$FLOOR_PY" "botocore==$FLOOR"
fi

echo
echo "matrix summary (sdist $(basename "$SDIST"), botocore floor ${FLOOR:-not run}):"
printf '  %s\n' "${summary[@]}"
if [ $failed != 0 ]; then
    echo "matrix: FAILED" >&2
    exit 1
fi
echo "matrix: all passed"
