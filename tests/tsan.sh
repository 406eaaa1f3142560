#!/usr/bin/env bash
# ThreadSanitizer run of the tests that drive the prefetch worker thread and
# the Pager from several Python threads: the extension built with
# IOTPAGER_SANITIZE=thread into a scratch folder, libtsan preloaded (Python
# itself is not instrumented; its locks are pthread ones, which TSan sees).
# Called by .ci/run; arguments replace the default test selection. A report
# stops the run (halt_on_error) and is written to $TSAN_LOG.<pid>, which this
# script prints. Left to the plain run, because TSan itself changes what they
# measure: the Ctrl-C tests count the process's threads (TSan adds a
# background thread of its own after the first pthread_create), the
# 320,000-job plateau test has a time budget, and the error-path leak test
# checks RSS, which TSan's allocator and shadow memory grow by themselves
# (~17 MB over its 540 listings with no prefetch thread at all; as
# tests/sanitize.sh does for ASan); the fork test's child starts a
# thread, which TSan does not support after a fork of a threaded process.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-$(python3 -c "import sys; print(sys.executable)")}
out=$(mktemp -d /tmp/iotpager-tsan.XXXXXX)
trap 'rm -rf "$out"' EXIT
mkdir -p "$out/pkg"
cp -r python/iotpager "$out/pkg/"
find "$out/pkg" -name '*.so' -delete
IOTPAGER_SANITIZE=thread IOTPAGER_WERROR=1 "$PY" setup.py -q build_ext \
    --build-lib "$out/pkg" --build-temp "$out/tmp" >/dev/null
log=${TSAN_LOG:-$out/tsan}
if [ $# -eq 0 ]; then
    set -- tests/test_prefetch.py tests/test_threads.py tests/test_lifetimes.py \
        tests/test_faults.py tests/test_paginator_parity.py tests/test_parity.py \
        "tests/test_all_listings.py::test_max_items_resume_tokens_and_cross_resume[ListThings]" \
        "tests/test_all_listings.py::test_max_items_resume_tokens_and_cross_resume[ListAuditFindings]" \
        "tests/test_all_listings.py::test_max_items_resume_tokens_and_cross_resume[ListPolicies]" \
        --deselect "tests/test_lifetimes.py::test_ctrl_c_during_a_wait_is_prompt_and_clean" \
        --deselect tests/test_lifetimes.py::test_leak_plateau_over_320000_jobs \
        --deselect tests/test_lifetimes.py::test_error_paths_do_not_leak
fi
rc=0
LD_PRELOAD="$(gcc -print-file-name=libtsan.so)" \
TSAN_OPTIONS="halt_on_error=1:report_signal_unsafe=0:second_deadlock_stack=1:log_path=$log" \
PYTHONPATH="$out/pkg" \
    "$PY" -m pytest -q -p no:cacheprovider "$@" \
    --deselect tests/test_prefetch.py::test_a_listing_does_not_cross_fork || rc=$?
if ls "$log".* >/dev/null 2>&1; then
    cat "$log".*
    echo "tsan.sh: ThreadSanitizer reports above" >&2
    exit 1
fi
exit $rc
