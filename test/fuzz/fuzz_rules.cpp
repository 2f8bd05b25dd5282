/* libFuzzer entry point of the "rules" target; the body is FuzzRules in targets.cpp. */
#include "common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	synchdb::fuzz::FuzzRules(data, size);
	return 0;
}
