/*
 * source.hpp
 *     OlrSource: the Source (core/source.hpp) of connector type "olr",
 *     Oracle read through OpenLogReplicator's network writer.
 *
 * NOTES
 *   registry.cpp makes it with MakeOlrSource(config).  Config used:
 *   conninfo.name, srcdb (the Oracle owner), table (OWNER.TABLE entries),
 *   conninfo.olr (synchdb_add_olr_conninfo: host, port, source name,
 *   options), connect_timeout_s, extra "data_directory" (relative file
 *   names).  The user and password of the definition are not used: OLR's
 *   writer has no authentication.  See reader.hpp for what the reader does.
 */
#pragma once

#include <memory>
#include <optional>

#include "core/error.hpp"

#include "core/source.hpp"
#include "core/sources/olr/reader.hpp"

namespace synchdb::olr {

class OlrSource final : public Source {
public:
	explicit OlrSource(SourceConfig config);
	~OlrSource() override;

	/* Connects and asks INFO: the source name must be known to OLR; reads the schema checkpoint if given. */
	std::string CheckPrerequisites() override;
	std::unique_ptr<Reader> NewReader(const StartPoint &start) override;
	Position ParseOffset(std::string_view offset_json) const override;
	/* synchdb_set_offset: an SCN position (no "xid"), and OLR answering INFO for the source name. */
	std::string CheckOffset(const Position &pos) override;
	int Compare(const Position &a, const Position &b) const override;

private:
	/* The settings, or why they are not usable (thrown by CheckPrerequisites and NewReader, not by the
	 * constructor: deleting a connector with a broken definition must work). */
	const OlrSettings &Settings() const;
	/* Connect, send INFO; "OpenLogReplicator at host:port, source "S" (state)"; throws with the fix. */
	std::string Info(const OlrSettings &settings) const;

	SourceConfig config_;
	std::optional<OlrSettings> settings_;
	std::optional<Error> error_;
};

std::unique_ptr<Source> MakeOlrSource(SourceConfig config);

/* synchdb_translate_datatype for Oracle type names (reader.hpp, types.hpp), then the rules. */
PgColumnType TranslateDatatype(const std::string &type, int64_t length, int64_t scale, const Mapping *mapping);

}  // namespace synchdb::olr

#include "core/cpp_only.hpp"
