/*
 * common.hpp
 *     Shared helpers of the libFuzzer targets in test/fuzz.
 *
 * NOTES
 *   The contract every target checks is the one of the unit tests in
 *   test/unit/binlog_corruption_test.cpp: for any input a parser either
 *   succeeds or throws synchdb::Error.  Any other exception escapes the
 *   fuzz target and libFuzzer reports it as a crash (uncaught exception ->
 *   abort), as it does for sanitizer reports, timeouts and leaks.
 *
 *   The same functions run the committed regression inputs from the unit
 *   tests (test/unit/fuzz_regression_test.cpp), so they must not depend on
 *   libFuzzer: each target is a plain function FuzzXxx(data, size), and the
 *   fuzzer entry point is a two-line wrapper in fuzz_<target>.cpp.
 */
#pragma once

#include <cstddef>
#include <cstdint>

namespace synchdb::fuzz {

/* One function per target; each may only let synchdb::Error escape. */
void FuzzBinlog(const uint8_t *data, size_t size);
void FuzzRows(const uint8_t *data, size_t size);
void FuzzBinlogJson(const uint8_t *data, size_t size);
void FuzzCompress(const uint8_t *data, size_t size);
void FuzzDdl(const uint8_t *data, size_t size);
void FuzzJson(const uint8_t *data, size_t size);
void FuzzRules(const uint8_t *data, size_t size);
void FuzzOlr(const uint8_t *data, size_t size);

struct Target {
	const char *name;
	void (*fn)(const uint8_t *, size_t);
};

inline constexpr Target kTargets[] = {
	{"binlog", FuzzBinlog}, {"rows", FuzzRows}, {"binlog_json", FuzzBinlogJson}, {"compress", FuzzCompress},
	{"ddl", FuzzDdl},		{"json", FuzzJson}, {"rules", FuzzRules},	   {"olr", FuzzOlr},
};

}  // namespace synchdb::fuzz
