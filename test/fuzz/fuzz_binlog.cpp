/* libFuzzer entry point of the "binlog" target; the body is FuzzBinlog in targets.cpp. */
#include "common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	synchdb::fuzz::FuzzBinlog(data, size);
	return 0;
}
