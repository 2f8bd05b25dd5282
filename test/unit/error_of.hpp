/*
 * error_of.hpp
 *     "sqlstate: message" of the synchdb::Error a call throws, for tests.
 */
#pragma once

#include <functional>
#include <string>

#include "core/error.hpp"

/* "<sqlstate>: <message>" of the synchdb::Error f throws, or "no error". */
inline std::string ErrorOf(const std::function<void()> &f)
{
	try {
		f();
	} catch (const synchdb::Error &e) {
		return e.sqlstate() + ": " + e.what();
	}
	return "no error";
}
