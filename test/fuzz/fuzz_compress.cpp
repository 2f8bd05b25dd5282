/* libFuzzer entry point of the "compress" target; the body is FuzzCompress in targets.cpp. */
#include "common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	synchdb::fuzz::FuzzCompress(data, size);
	return 0;
}
