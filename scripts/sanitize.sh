#!/usr/bin/env bash
# synchdb: the core unit tests built with clang under AddressSanitizer and
# UndefinedBehaviorSanitizer (-fno-sanitize-recover=all: any report fails).
#
#   bash scripts/sanitize.sh [gtest options]
#
# Objects go to test/unit/obj-asan/ (tests) and test/fuzz/obj/ (the core,
# shared with the fuzzers); the normal build is not touched.  Prints gtest's
# summary; exits non-zero on a failed test or a sanitizer report.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log="${SYNCHDB_SANITIZE_LOG:-/tmp/synchdb-sanitize-build.log}"
if ! nice make -C test/fuzz -j"${SANITIZE_JOBS:-1}" unittest-asan >"$log" 2>&1; then
    tail -30 "$log"
    echo "sanitizer build failed"
    exit 1
fi
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
SYNCHDB_FIXTURES="$PWD/test/fixtures" test/unit/obj-asan/synchdb_unittest_asan "$@"
