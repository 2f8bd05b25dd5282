/* libFuzzer entry point of the "olr" target; the body is FuzzOlr in targets.cpp. */
#include "common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	synchdb::fuzz::FuzzOlr(data, size);
	return 0;
}
