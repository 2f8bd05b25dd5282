#!/usr/bin/env bash
# synchdb: build and run the libFuzzer targets of test/fuzz (clang, ASan+UBSan).
#
#   bash scripts/fuzz.sh [seconds-per-target] [target ...]
#
# Default: 20 s per target, every target (binlog rows binlog_json compress ddl
# json rules), one after the other under nice.  Seeds come from the fixtures
# and docs (make -C test/fuzz seeds, into test/fuzz/corpus/, which also keeps
# what the fuzzers find), the committed test/fuzz/seeds/<target>/ and the
# regression inputs test/fuzz/regressions/<target>/.  Prints per target the
# executions, coverage (cov/ft of libFuzzer's last status line) and crashes;
# a crashing input is left in test/fuzz/artifacts/<target>/.  Ends with
# "fuzz: N passed, N failed" and exits non-zero if any target crashed.
#
# A long run: bash scripts/fuzz.sh 600
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

secs="${1:-20}"
shift || true
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=(binlog rows binlog_json compress ddl json rules olr)
log_dir="${SYNCHDB_FUZZ_LOGS:-/tmp/synchdb-fuzz}"
mkdir -p "$log_dir"

if ! nice make -C test/fuzz -j"${FUZZ_JOBS:-1}" all seeds >"$log_dir/build.log" 2>&1; then
    tail -30 "$log_dir/build.log"
    echo "fuzz: 0 passed, 1 failed (build)"
    exit 1
fi

passed=0
failed=0
for t in "${targets[@]}"; do
    bin="test/fuzz/bin/fuzz_$t"
    art="test/fuzz/artifacts/$t/"
    mkdir -p "test/fuzz/corpus/$t" "$art"
    dirs=("test/fuzz/corpus/$t")
    for d in "test/fuzz/seeds/$t" "test/fuzz/regressions/$t"; do
        [[ -d $d ]] && dirs+=("$d")
    done
    before=$(find "$art" -type f | wc -l)
    nice "$bin" -max_total_time="$secs" -timeout=25 -rss_limit_mb=2560 -print_final_stats=1 \
        -artifact_prefix="$art" "${dirs[@]}" >"$log_dir/$t.log" 2>&1
    rc=$?
    crashes=$(( $(find "$art" -type f | wc -l) - before ))
    [[ $rc -ne 0 && $crashes -eq 0 ]] && crashes=1
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log_dir/$t.log" | tail -1)
    status=$(grep -E '^#[0-9]+.*cov: ' "$log_dir/$t.log" | tail -1)
    cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$status")
    ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$status")
    printf 'fuzz %-12s %6s s  %10s execs  cov %5s  ft %6s  crashes %s\n' \
        "$t" "$secs" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$crashes"
    if [[ $crashes -gt 0 ]]; then
        failed=$((failed + 1))
        grep -E 'ERROR: |SUMMARY: |runtime error|fuzz property|terminate called|what\(\)' "$log_dir/$t.log" | head -5
        ls -t "$art" | head -1 | sed "s|^|  input: $art|"
    else
        passed=$((passed + 1))
    fi
done
echo "fuzz: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
