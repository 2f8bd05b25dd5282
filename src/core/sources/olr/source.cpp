/*
 * source.cpp
 *     OlrSource; see source.hpp.
 */
#include "core/sources/olr/source.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/change.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"

namespace synchdb::olr {

OlrSource::OlrSource(SourceConfig config) : config_(std::move(config))
{
	try {
		settings_ = SettingsFromConfig(config_);
	} catch (const Error &e) {
		error_ = e;
	}
}

const OlrSettings &OlrSource::Settings() const
{
	if (!settings_)
		throw *error_;
	return *settings_;
}

OlrSource::~OlrSource()
{
	std::fill(config_.password.begin(), config_.password.end(), '\0');
}

std::string OlrSource::CheckPrerequisites()
{
	const OlrSettings &settings = Settings();
	std::string tables;
	if (!settings.schema_checkpoint.empty()) {
		std::ifstream f(settings.schema_checkpoint, std::ios::binary);
		if (!f)
			throw Error(sqlstate::kUndefinedFile,
			            "could not read OpenLogReplicator schema checkpoint " + Quoted(settings.schema_checkpoint), {},
			            "Copy OpenLogReplicator's schema checkpoint file (<source>-chkpt-<scn>.json) below the data "
			            "directory and name it in the schema_checkpoint option of synchdb_add_olr_conninfo.");
		std::stringstream ss;
		ss << f.rdbuf();
		Catalog c;
		c.LoadCheckpoint(ss.str());
		size_t n = 0;
		for (const OlrTable *t : c.Tables())
			n += settings.Replicated(t->owner, t->name) ? 1 : 0;
		tables = ", " + std::to_string(n) + (n == 1 ? " table" : " tables") + " of " + settings.owner +
		         " in the schema checkpoint";
	}
	return Info(settings) + ", owner " + settings.owner + tables;
}

std::string OlrSource::Info(const OlrSettings &settings) const
{
	ClientOptions o;
	o.host = settings.host;
	o.port = settings.port;
	o.connect_timeout_ms = settings.connect_timeout_ms;
	Client client(o);
	client.Connect();
	client.Send(Request::Info(settings.source));
	Response r = client.ReadResponse();
	const char *state = nullptr;
	switch (r.code) {
	case ResponseCode::Ready: state = "not started"; break;
	case ResponseCode::Replicate:
	case ResponseCode::Starting:
	case ResponseCode::AlreadyStarted: state = "replicating"; break;
	case ResponseCode::InvalidDatabase:
		throw Error(sqlstate::kInvalidParameterValue,
		            "OpenLogReplicator at " + settings.Endpoint() + " has no source named " + Quoted(settings.source),
		            {},
		            "The olr_source of synchdb_add_olr_conninfo must equal the \"name\" of the source in "
		            "OpenLogReplicator.json.");
	default:
		throw Error(sqlstate::kDataCorrupted,
		            std::string("OpenLogReplicator at ") + settings.Endpoint() + " answered INFO with " +
		                ResponseCodeName(r.code));
	}
	return "OpenLogReplicator at " + settings.Endpoint() + ", source " + Quoted(settings.source) + " (" + state + ")";
}

std::string OlrSource::CheckOffset(const Position &pos)
{
	const OlrPosition p = ParseOffsetJson(pos.offset);
	/*
	 * A transaction id means "drop OLR's replay up to this transaction's
	 * commit": one OLR no longer holds would make the reader drop every
	 * message it sends.  Offsets given by hand start from an SCN instead.
	 */
	if (!p.xid.empty())
		throw Error(sqlstate::kInvalidParameterValue,
		            "an OpenLogReplicator offset set by hand must not name a transaction (\"xid\")",
		            "With \"xid\" the connector skips what OpenLogReplicator replays up to that transaction's commit; "
		            "if OpenLogReplicator no longer holds it, everything it sends would be skipped.",
		            "Give {\"scn\":N} or {\"scn\":N,\"c_scn\":N,\"c_idx\":N}: the connector sends START from scn and "
		            "CONTINUE from (c_scn, c_idx).");
	return Info(Settings()) + "; the stream restarts at SCN " + std::to_string(p.scn);
}

std::unique_ptr<Reader> OlrSource::NewReader(const StartPoint &start)
{
	return std::make_unique<OlrReader>(Settings(), start);
}

Position OlrSource::ParseOffset(std::string_view offset_json) const
{
	OlrPosition p = ParseOffsetJson(offset_json);
	Position pos;
	pos.offset = ToOffsetJson(p);
	pos.label = "OpenLogReplicator SCN " + std::to_string(p.scn) + (p.xid.empty() ? "" : " xid " + p.xid);
	return pos;
}

int OlrSource::Compare(const Position &a, const Position &b) const
{
	return ComparePositions(ParseOffsetJson(a.offset), ParseOffsetJson(b.offset));
}

std::unique_ptr<Source> MakeOlrSource(SourceConfig config)
{
	return std::make_unique<OlrSource>(std::move(config));
}

PgColumnType TranslateDatatype(const std::string &type, int64_t length, int64_t scale, const Mapping *mapping)
{
	const std::string name = LowerCollapsed(type);
	OraColumnType t = TypeFromName(name, length, static_cast<int>(length), static_cast<int>(scale));
	if (t.type == OraType::Unknown)
		throw Error(sqlstate::kInvalidParameterValue, "unknown Oracle data type " + Quoted(type), {},
		            "Give an Oracle type as OpenLogReplicator names it, for example \"number\", \"varchar2\", "
		            "\"timestamp with time zone\" or \"binary_double\".");
	OlrTable tab;
	tab.owner = "o";
	tab.name = "t";
	OlrColumn c;
	c.name = "c";
	c.type = t;
	tab.columns.push_back(std::move(c));
	NeutralTable n = tab.ToNeutral(SchemaOptions{});
	if (!mapping)
		return n.columns[0].pg;
	return MakeTableInfo(std::move(n), mapping).pg_types[0];
}

}  // namespace synchdb::olr
