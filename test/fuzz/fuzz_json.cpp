/* libFuzzer entry point of the "json" target; the body is FuzzJson in targets.cpp. */
#include "common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	synchdb::fuzz::FuzzJson(data, size);
	return 0;
}
