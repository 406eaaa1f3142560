#!/usr/bin/env bash
# Build and run iotpager's fuzz targets (issue #6).
#
#   bash tests/fuzz/run.sh [target ...]      # default: all five, FUZZ_SECONDS each
#
# Targets:
#   json      tests/fuzz/fuzz_json.cc   libFuzzer: csrc/json_shim.cpp + buf.c (ASan+UBSan);
#             an input is a ListJobs body, or '#' + an output plan + a body
#             (plan mode: the tape checked against simdjson's DOM tree)
#   sigv4     tests/fuzz/fuzz_sigv4.c   libFuzzer: csrc/uri.c + sigv4.c + buf.c (ASan+UBSan)
#   token     tests/fuzz/fuzz_token.py  atheris: StartingToken through PageIterator, vs botocore
#   tokendec  tests/fuzz/fuzz_token_decode.py  atheris: the CLI's own resume-token decoder
#             and encoder vs botocore's, no listing around them (fast)
#   page      tests/fuzz/fuzz_parse_page.py  atheris: _core.parse_page (ListJobs, no plan)
#             and _model.parse_body (a few operations, with their plans) vs
#             botocore's parser, on the extension built with clang, ASan+UBSan
#             and libFuzzer coverage
#
# Environment:
#   FUZZ_SECONDS  seconds per target (default 60, as CI runs it; raise it for a
#                 long campaign, e.g. FUZZ_SECONDS=3600)
#   FUZZ_RUNS     stop each target after this many executions instead (e.g.
#                 FUZZ_RUNS=10000000 for the campaign's 10 million); the time
#                 limit then defaults to a day
#   FUZZ_JOBS     parallel libFuzzer workers for the C targets (default 1)
#   FUZZ_WORK     build and corpus directory (default /tmp/iotpager-fuzz); the
#                 corpora there grow from run to run
#   PYTHON        the interpreter (default python3)
#   FUZZ_PAGE_ASAN  1 (default): the page target's extension is built with
#                 ASan+UBSan at -O0 (IOTPAGER_SANITIZE) and ASan+libFuzzer
#                 preloaded; 0: UBSan only, at -O2, with atheris's
#                 ubsan_with_fuzzer.so preloaded: ~20x the executions per
#                 second, for a long campaign (memory errors show as crashes
#                 only, not as ASan reports)
#   FUZZ_PAGE_MAX_LEN  -max_len for the page target (default: libFuzzer's);
#                 4096 keeps bodies small and the differential check fast
#   IOTPAGER_FUZZ_KNOWN  1: the targets pass over the findings already
#                 reported (tests/fuzz/crashes/README.md; each has an xfail
#                 regression test); 0 (default, all are fixed): report them again
#
# Needs clang with its runtimes (Debian: apt-get install clang libclang-rt-14-dev),
# the build dependencies of iotpager, and atheris (pip install atheris) for the
# Python targets. A crash's input is copied to tests/fuzz/crashes/<target>-<name>;
# the script then exits non-zero. Each target prints its execution count.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=${PYTHON:-python3}
RUNS=${FUZZ_RUNS:-}
if [ -n "$RUNS" ]; then
    SECONDS_EACH=${FUZZ_SECONDS:-86400}
    LIMIT=(-runs="$RUNS")
else
    SECONDS_EACH=${FUZZ_SECONDS:-60}
    LIMIT=()
fi
JOBS=${FUZZ_JOBS:-1}
WORK=${FUZZ_WORK:-/tmp/iotpager-fuzz}
CC=${FUZZ_CC:-clang}
CXX=${FUZZ_CXX:-clang++}
CRASHES="$HERE/crashes"
export IOTPAGER_FUZZ_KNOWN=${IOTPAGER_FUZZ_KNOWN:-0}
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(json sigv4 token tokendec page)
mkdir -p "$WORK" "$CRASHES"
CSRC="$ROOT/csrc"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
status=0

command -v "$CC" >/dev/null || { echo "fuzz: $CC not found (apt-get install clang libclang-rt-14-dev)"; exit 2; }

seeds() {
    # a seed corpus from real pages (iotpager.testing) and the parity suites' odd bodies;
    # made again when make_seeds.py is newer than it
    [ -d "$WORK/seeds-$1" ] && [ "$WORK/seeds-$1" -nt "$HERE/make_seeds.py" ] && return
    rm -rf "$WORK/seeds-$1"
    PYTHONPATH="$ROOT/python" "$PY" "$HERE/make_seeds.py" "$1" "$WORK/seeds-$1"
}

save_crashes() {   # target, directory holding crash-*/timeout-*/leak-* files
    local t=$1 dir=$2 found=0 f
    for f in "$dir"/crash-* "$dir"/timeout-* "$dir"/leak-* "$dir"/oom-*; do
        [ -e "$f" ] || continue
        cp "$f" "$CRASHES/$t-$(basename "$f")"
        echo "fuzz: $t: saved $CRASHES/$t-$(basename "$f")"
        found=1
    done
    return $found
}

run_libfuzzer() {   # target, binary, seed kind, extra args...
    local t=$1 bin=$2 kind=$3
    shift 3
    local corpus="$WORK/corpus-$t" art="$WORK/artifacts-$t/"
    mkdir -p "$corpus" "$art"
    rm -f "$art"/crash-* "$art"/timeout-* "$art"/leak-* "$art"/oom-*
    seeds "$kind"
    echo "== fuzz $t: ${SECONDS_EACH}s, $JOBS worker(s)"
    local log="$WORK/$t.log"
    set +e
    if [ "$JOBS" -gt 1 ]; then
        (cd "$WORK" && "$bin" "$corpus" "$WORK/seeds-$kind" -max_total_time="$SECONDS_EACH" ${LIMIT[@]+"${LIMIT[@]}"} \
            -artifact_prefix="$art" -jobs="$JOBS" -workers="$JOBS" -print_final_stats=1 "$@" >"$log" 2>&1)
        cat "$WORK"/fuzz-*.log >>"$log" 2>/dev/null; rm -f "$WORK"/fuzz-*.log
    else
        "$bin" "$corpus" "$WORK/seeds-$kind" -max_total_time="$SECONDS_EACH" ${LIMIT[@]+"${LIMIT[@]}"} \
            -artifact_prefix="$art" -print_final_stats=1 "$@" >"$log" 2>&1
    fi
    local rc=$?
    set -e
    grep -E "stat::number_of_executed_units|Done [0-9]+ runs" "$log" |
        awk -v t="$t" '/number_of_executed_units/ {n += $2} /Done/ {d += $2}
             END {print "fuzz " t ": " (n ? n : d) " executions"}'
    if ! save_crashes "$t" "$art" || [ $rc -ne 0 ]; then
        echo "fuzz: $t FAILED (rc $rc); the end of $log:"
        tail -40 "$log"
        status=1
    fi
}

build_c() {
    local b="$WORK/build"
    mkdir -p "$b"
    local common="-g -O1 $SAN -fsanitize=fuzzer-no-link -I$CSRC"
    "$CC" $common -std=c11 -D_GNU_SOURCE -c "$CSRC/buf.c" -o "$b/buf.o"
    "$CC" $common -std=c11 -D_GNU_SOURCE -c "$CSRC/uri.c" -o "$b/uri.o"
    "$CC" $common -std=c11 -D_GNU_SOURCE $(pkg-config --cflags libcrypto) -c "$CSRC/sigv4.c" -o "$b/sigv4.o"
    "$CXX" $common -std=c++17 -fno-exceptions -fno-rtti $(pkg-config --cflags simdjson) \
        -c "$CSRC/json_shim.cpp" -o "$b/json_shim.o"
    "$CXX" $common -std=c++17 -fno-exceptions $(pkg-config --cflags simdjson) \
        -c "$HERE/fuzz_json.cc" -o "$b/fuzz_json.o"
    "$CC" $common -std=c11 -D_GNU_SOURCE -c "$HERE/fuzz_sigv4.c" -o "$b/fuzz_sigv4.o"
    "$CXX" $SAN -fsanitize=fuzzer "$b/fuzz_json.o" "$b/json_shim.o" "$b/buf.o" \
        $(pkg-config --libs simdjson) -o "$b/fuzz_json"
    "$CC" $SAN -fsanitize=fuzzer "$b/fuzz_sigv4.o" "$b/uri.o" "$b/sigv4.o" "$b/buf.o" \
        $(pkg-config --libs libcrypto) -o "$b/fuzz_sigv4"
}

# The extension built with clang: ASan+UBSan (setup.py's IOTPAGER_SANITIZE=1)
# plus libFuzzer edge coverage for atheris; run with the combined
# ASan+libFuzzer runtime preloaded, as atheris documents for native code.
build_ext() {
    local out="$WORK/pkg"
    rm -rf "$out" && mkdir -p "$out"
    cp -r "$ROOT/python/iotpager" "$out/"
    find "$out" -name '*.so' -delete
    if [ "${FUZZ_PAGE_ASAN:-1}" = 0 ]; then
        # UBSan and libFuzzer coverage at -O2; atheris ships the runtime
        (cd "$ROOT" && CC="$CC" CXX="$CXX" LDSHARED="$CC -shared" LDCXXSHARED="$CXX -shared" \
            CFLAGS="-fsanitize=fuzzer-no-link,undefined -fno-sanitize-recover=undefined" \
            LDFLAGS="-fsanitize=undefined" \
            "$PY" setup.py -q build_ext --build-lib "$out" --build-temp "$WORK/ext-tmp-ubsan" >/dev/null)
        PAGE_PRELOAD="$("$PY" -c "import atheris; print(atheris.path())")/ubsan_with_fuzzer.so"
        return
    fi
    (cd "$ROOT" && CC="$CC" CXX="$CXX" LDSHARED="$CC -shared" LDCXXSHARED="$CXX -shared" \
        CFLAGS="-fsanitize=fuzzer-no-link" IOTPAGER_SANITIZE=1 \
        "$PY" setup.py -q build_ext --build-lib "$out" --build-temp "$WORK/ext-tmp" >/dev/null)
    local rt
    rt=$(dirname "$("$CC" -print-file-name=libclang_rt.asan-x86_64.a)")
    if [ ! -f "$WORK/asan_with_fuzzer.so" ]; then
        # atheris's recipe: ASan (with UBSan's handlers) and libFuzzer in one
        # preloadable library; the preinit object cannot go into a DSO
        cp "$rt/libclang_rt.asan-x86_64.a" "$WORK/asan.a"
        ar d "$WORK/asan.a" asan_preinit.cpp.o
        "$CXX" -shared -o "$WORK/asan_with_fuzzer.so" -Wl,--whole-archive \
            "$WORK/asan.a" "$rt/libclang_rt.asan_cxx-x86_64.a" \
            "$rt/libclang_rt.fuzzer_no_main-x86_64.a" -Wl,--no-whole-archive \
            -lpthread -ldl -lrt -lm
        rm -f "$WORK/asan.a"
    fi
    PAGE_PRELOAD="$WORK/asan_with_fuzzer.so"
}

run_atheris() {   # target, script, seed kind
    local t=$1 script=$2 kind=$3
    local corpus="$WORK/corpus-$t" art="$WORK/artifacts-$t/"
    mkdir -p "$corpus" "$art"
    rm -f "$art"/crash-* "$art"/timeout-* "$art"/oom-*
    seeds "$kind"
    "$PY" -c "import atheris" 2>/dev/null || { echo "fuzz: atheris missing (pip install atheris)"; exit 2; }
    echo "== fuzz $t: ${SECONDS_EACH}s"
    # the iotpager under test: installed, or built in place under python/
    local log="$WORK/$t.log" pre="" pp
    pp=$(cd "$WORK" && "$PY" -c "import iotpager, os; print(os.path.dirname(os.path.dirname(iotpager.__file__)))" 2>/dev/null || echo "$ROOT/python")
    local extra=()
    if [ "$t" = page ]; then
        pre="$PAGE_PRELOAD"
        pp="$WORK/pkg"
        [ -n "${FUZZ_PAGE_MAX_LEN:-}" ] && extra=(-max_len="$FUZZ_PAGE_MAX_LEN")
    fi
    set +e
    LD_PRELOAD="$pre" PYTHONPATH="$pp:$ROOT/tests" \
    ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:allocator_may_return_null=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$PY" "$script" "$corpus" "$WORK/seeds-$kind" -max_total_time="$SECONDS_EACH" ${LIMIT[@]+"${LIMIT[@]}"} ${extra[@]+"${extra[@]}"} \
        -artifact_prefix="$art" -print_final_stats=1 -rss_limit_mb=4096 >"$log" 2>&1
    local rc=$?
    set -e
    grep -E "stat::number_of_executed_units|Done [0-9]+ runs" "$log" |
        awk -v t="$t" '/number_of_executed_units/ {n += $2} /Done/ {d += $2}
             END {print "fuzz " t ": " (n ? n : d) " executions"}'
    if ! save_crashes "$t" "$art" || [ $rc -ne 0 ]; then
        echo "fuzz: $t FAILED (rc $rc); the end of $log:"
        tail -40 "$log"
        status=1
    fi
}

for t in "${TARGETS[@]}"; do
    case $t in
        json|sigv4)
            [ -n "${built_c:-}" ] || { build_c; built_c=1; }
            if [ "$t" = json ]; then
                run_libfuzzer json "$WORK/build/fuzz_json" plan -dict="$HERE/json.dict" -max_len=${FUZZ_JSON_MAX_LEN:-16384}
            else
                run_libfuzzer sigv4 "$WORK/build/fuzz_sigv4" sigv4 -max_len=4096
            fi ;;
        token)
            run_atheris token "$HERE/fuzz_token.py" token ;;
        tokendec)
            run_atheris tokendec "$HERE/fuzz_token_decode.py" token ;;
        page)
            build_ext
            run_atheris page "$HERE/fuzz_parse_page.py" json ;;
        *)
            echo "fuzz: unknown target $t"; exit 2 ;;
    esac
done
exit $status
