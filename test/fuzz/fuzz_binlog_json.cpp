/* libFuzzer entry point of the "binlog_json" target; the body is FuzzBinlogJson in targets.cpp. */
#include "common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	synchdb::fuzz::FuzzBinlogJson(data, size);
	return 0;
}
