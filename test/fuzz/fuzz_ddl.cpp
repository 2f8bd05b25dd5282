/* libFuzzer entry point of the "ddl" target; the body is FuzzDdl in targets.cpp. */
#include "common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	synchdb::fuzz::FuzzDdl(data, size);
	return 0;
}
