/*
 * error.hpp
 *     The one exception type of the synchdb core.
 *
 * NOTES
 *   Core code reports every failure a user can cause or must act on by
 *   throwing synchdb::Error.  It carries a SQLSTATE (five characters, as
 *   PostgreSQL spells them), a primary message in PostgreSQL style (lower
 *   case, no final period, identifiers in double quotes), and optional
 *   detail and hint.  The PostgreSQL layer turns it into ereport(ERROR) at
 *   the C entry point (src/pg/guard.hpp); the core never includes
 *   postgres.h, so SQLSTATEs are plain strings here.
 */
#pragma once

#include <stdexcept>
#include <string>
#include "core/strings.hpp"

namespace synchdb {

/* SQLSTATEs the core uses; names follow PostgreSQL's errcodes.txt. */
namespace sqlstate {
inline constexpr const char *kInvalidParameterValue = "22023";
inline constexpr const char *kNullValueNotAllowed = "22004";
inline constexpr const char *kWrongObjectType = "42809";
inline constexpr const char *kNameTooLong = "42622";
inline constexpr const char *kInvalidName = "42602";
inline constexpr const char *kDuplicateObject = "42710";
inline constexpr const char *kUndefinedObject = "42704";
inline constexpr const char *kUndefinedFile = "58P01";
inline constexpr const char *kInvalidJsonText = "22P02";
inline constexpr const char *kConfigFileError = "F0000";
inline constexpr const char *kFeatureNotSupported = "0A000";
inline constexpr const char *kInsufficientPrivilege = "42501";
inline constexpr const char *kObjectNotInPrerequisiteState = "55000";
inline constexpr const char *kConnectionFailure = "08006";
inline constexpr const char *kUnableToConnect = "08001";
inline constexpr const char *kInvalidPassword = "28P01";
inline constexpr const char *kInvalidAuthorization = "28000";
inline constexpr const char *kDataCorrupted = "XX001";
inline constexpr const char *kInternalError = "XX000";
inline constexpr const char *kProgramLimitExceeded = "54000";
inline constexpr const char *kDataException = "22000";
}  // namespace sqlstate

class Error : public std::runtime_error {
public:
	Error(std::string sqlstate, std::string message, std::string detail = {}, std::string hint = {})
		: std::runtime_error(message), sqlstate_(std::move(sqlstate)), detail_(std::move(detail)),
		  hint_(std::move(hint))
	{
	}

	const std::string &sqlstate() const { return sqlstate_; }
	const char *message() const { return what(); }
	const std::string &detail() const { return detail_; }
	const std::string &hint() const { return hint_; }

private:
	std::string sqlstate_;
	std::string detail_;
	std::string hint_;
};

/* Quote an identifier or value for a message: "name", control characters escaped (EscapeControls). */
inline std::string Quoted(const std::string &s)
{
	return "\"" + EscapeControls(s) + "\"";
}

}  // namespace synchdb

#include "core/cpp_only.hpp"
