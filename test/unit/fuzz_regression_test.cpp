/*
 * fuzz_regression_test.cpp
 *     Every input that once crashed a fuzz target (test/fuzz/regressions/
 *     <target>/), and the committed seeds (test/fuzz/seeds/<target>/), run
 *     through the target's body, so that the ordinary unit build checks
 *     them forever.  A target body only lets synchdb::Error escape and
 *     catches it itself; here nothing may escape, and under
 *     scripts/sanitize.sh ASan/UBSan check the memory accesses too.
 */
#include <gtest/gtest.h>

#include <dirent.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

/* The target bodies, compiled into the unit tests (they need no libFuzzer). */
#include "../fuzz/targets.cpp"

namespace {

std::string FuzzDir()
{
	const char *env = std::getenv("SYNCHDB_FIXTURES");
	std::string fixtures = env && *env ? env : "test/fixtures";
	return fixtures + "/../fuzz";
}

std::vector<std::string> FilesIn(const std::string &dir)
{
	std::vector<std::string> out;
	if (DIR *d = opendir(dir.c_str())) {
		while (dirent *e = readdir(d))
			if (e->d_name[0] != '.')
				out.push_back(dir + "/" + e->d_name);
		closedir(d);
	}
	std::sort(out.begin(), out.end());
	return out;
}

/* Run every regression and seed input of a target; returns how many ran. */
size_t RunInputs(const char *target)
{
	void (*fn)(const uint8_t *, size_t) = nullptr;
	for (const auto &t : synchdb::fuzz::kTargets)
		if (std::string(t.name) == target)
			fn = t.fn;
	EXPECT_NE(fn, nullptr) << target;
	if (!fn)
		return 0;
	size_t n = 0;
	for (const char *kind : {"regressions", "seeds"}) {
		for (const std::string &path : FilesIn(FuzzDir() + "/" + kind + "/" + target)) {
			std::ifstream in(path, std::ios::binary);
			std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
			SCOPED_TRACE(path);
			EXPECT_NO_THROW(fn(data.data(), data.size()));
			n++;
		}
	}
	return n;
}

}  // namespace

TEST(FuzzRegressions, DirectoryIsFound)
{
	EXPECT_FALSE(FilesIn(FuzzDir()).empty()) << FuzzDir();
}

TEST(FuzzRegressions, Binlog) { RunInputs("binlog"); }
TEST(FuzzRegressions, Rows) { RunInputs("rows"); }
TEST(FuzzRegressions, BinlogJson) { RunInputs("binlog_json"); }
TEST(FuzzRegressions, Compress) { RunInputs("compress"); }
TEST(FuzzRegressions, Ddl) { RunInputs("ddl"); }
TEST(FuzzRegressions, Json) { RunInputs("json"); }
TEST(FuzzRegressions, Rules) { RunInputs("rules"); }
TEST(FuzzRegressions, Olr) { RunInputs("olr"); }
