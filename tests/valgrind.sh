#!/usr/bin/env bash
# valgrind memcheck over a representative subset: whole listings with
# prefetch (threads), scripted bodies through the builder, MaxItems and
# resume tokens, early stops and cancels, the CLI's JSON text (jsonout.c),
# and a plan's walker and builder (a POST listing with its token in the body,
# and the bodies that are pages after all).
# Python's own allocator is off (PYTHONMALLOC=malloc) so every allocation
# is checked.
#
# This Python is not built for valgrind, so memcheck also reports CPython's
# own well-known false positives (no suppression file ships with it). The
# run fails on any memcheck error whose stack passes through iotpager's C
# code (csrc/) or on a failed test; the CPython-only reports are counted.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=$("${PYTHON:-python3}" -c "import sys; print(sys.executable)")   # the binary, not a shim
command -v valgrind >/dev/null || { echo "valgrind missing (apt-get install valgrind)" >&2; exit 1; }
log=$(mktemp /tmp/iotpager-valgrind.XXXXXX)
trap 'rm -f "$log"' EXIT
status=0
PYTHONMALLOC=malloc valgrind --quiet --log-file="$log" --leak-check=no \
    --num-callers=40 --trace-children=no \
    "$PY" -m pytest -q -p no:cacheprovider -x \
    "tests/test_parity.py::test_whole_listing" \
    "tests/test_all_listings.py::test_pages_build_full_result_and_search[ListAuditFindings]" \
    "tests/test_model_parity.py::test_what_is_a_page_after_all[ListThings]" \
    "tests/test_parity.py::test_scripted_body" \
    "tests/test_parity.py::test_max_items_resume_tokens_and_build_full_result" \
    "tests/test_prefetch.py::test_stopping_early_leaves_no_thread_or_connection" \
    "tests/test_prefetch.py::test_close_cancels_a_request_in_flight" \
    "tests/test_paginator_parity.py::test_max_items_cuts_a_page" \
    "tests/test_jsonout.py::test_jobs_text_encodes_as_the_builders_list" \
    "tests/test_jsonout.py::test_jobs_text_slices_like_a_list" \
    "tests/test_jsonout.py::test_jobs_text_errors_are_the_builders" \
    "tests/test_jsonout.py::test_chunks_are_the_utf8_of_the_text" "$@" || status=$?
"$PY" - "$log" <<'PY'
import re, sys
text = open(sys.argv[1], errors="replace").read()
blocks = re.split(r"\n==\d+== \n", text)
ours = re.compile(r"\((?:pager|builder|module|errors|timeconv|http|sigv4|uri|buf|jsonout)\.c:\d+\)|json_shim\.cpp:\d+|_core\.cpython")
errors = [b for b in blocks if re.search(r"==\d+== (Invalid|Conditional|Use of uninit|Syscall param|Mismatched|Source and destination)", b)]
mine = [b for b in errors if ours.search(b)]
print(f"valgrind: {len(errors)} memcheck reports, {len(mine)} through iotpager's C code")
for b in mine[:5]:
    print(b)
sys.exit(1 if mine else 0)
PY
exit $status
