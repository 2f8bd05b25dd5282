/* libFuzzer entry point of the "rows" target; the body is FuzzRows in targets.cpp. */
#include "common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	synchdb::fuzz::FuzzRows(data, size);
	return 0;
}
