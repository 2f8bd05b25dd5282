/*
 * source.cpp
 *     The MySQL/MariaDB source: prerequisites, readers, binlog positions.
 */
#include "core/sources/mysql/source.hpp"

#include "core/error.hpp"
#include "core/sources/mysql/connection.hpp"
#include "core/sources/mysql/position.hpp"
#include "core/sources/mysql/prerequisites.hpp"
#include "core/sources/mysql/schema_json.hpp"
#include "core/sources/mysql/source_reader.hpp"
#include "core/sources/mysql/ddl_planner.hpp"
#include "core/strings.hpp"

namespace synchdb::mysql {

namespace {

class MySQLSource : public Source {
public:
	explicit MySQLSource(SourceConfig config) : config_(std::move(config))
	{
		ep_.connector = config_.conninfo.name;
		ep_.host = config_.conninfo.hostname;
		ep_.port = config_.conninfo.port;
		ep_.user = config_.conninfo.user;
		ep_.password = config_.password;
		ep_.connect_timeout_s = config_.connect_timeout_s;
		ep_.tls = config_.conninfo.tls;
		ep_.tls_key_passphrase = config_.tls_key_passphrase;
	}
	~MySQLSource() override
	{
		Scrub(ep_.password);
		Scrub(config_.password);
		Scrub(ep_.tls_key_passphrase);
		Scrub(config_.tls_key_passphrase);
	}

	std::string CheckPrerequisites() override
	{
		CheckTlsFiles(ep_.tls); /* the files may have changed since the definition; name them clearly */
		Connection conn(ep_);
		const ConnInfo &ci = config_.conninfo;
		auto settings = ReadSourceSettings(conn, ci.srcdb, ci.Tables());
		auto problems = FindProblems(settings);
		if (!problems.empty())
			throw Error(sqlstate::kObjectNotInPrerequisiteState,
			            "connector " + Quoted(ci.name) + ": " + DescribeProblems(settings, problems));
		return ep_.Where() + " (" + conn.ServerVersion() + "; " + conn.Encryption() + ", sslmode " +
		       SslModeName(ep_.tls.mode) + ")";
	}

	std::unique_ptr<Reader> NewReader(const StartPoint &start) override
	{
		const ConnInfo &ci = config_.conninfo;
		ReaderConfig rc;
		rc.endpoint = ep_;
		rc.srcdb = ci.srcdb;
		rc.filter = ci.Tables();
		rc.replica_server_id = ReplicaServerId(ci.name, config_.destination);
		if (const json::Value *p = config_.extra.Find("invalid_value_policy"); p && p->IsString())
			rc.invalid_values = ParseInvalidValuePolicy(p->AsString()).value_or(InvalidValuePolicy::Error);
		rc.mapping = start.mapping;
		rc.copy_formats = start.copy_formats;
		rc.snapshot_with_data = start.snapshot_with_data;
		rc.stop_after_snapshot = start.stop_after_snapshot;
		if (start.resume && start.resume->Valid())
			rc.start = BinlogPosition::FromOffsetJson(start.resume->offset);
		if (!start.schema_history.empty())
			rc.known_tables = TablesFromJson(start.schema_history);
		return std::make_unique<SourceReader>(std::move(rc));
	}

	Position ParseOffset(std::string_view offset_json) const override
	{
		return BinlogPosition::FromOffsetJson(offset_json).ToPosition();
	}

	std::string CheckOffset(const Position &pos) override
	{
		const BinlogPosition p = BinlogPosition::FromOffsetJson(pos.offset);
		Connection conn(ep_);
		if (!p.HasFile())
			return CheckGtidOffset(conn, p);
		std::string files;
		for (const Row &r : conn.Query("SHOW BINARY LOGS")) {
			if (r.size() < 2 || !r[0])
				continue;
			if (*r[0] == p.file) {
				const uint64_t size = r[1] ? std::strtoull(r[1]->c_str(), nullptr, 10) : 0;
				if (p.pos > size)
					throw Error(sqlstate::kInvalidParameterValue,
					            "connector " + Quoted(config_.conninfo.name) + ": binlog " + Quoted(p.file) +
					                " on " + ep_.Where() + " has " + std::to_string(size) + " bytes, position " +
					                std::to_string(p.pos) + " is beyond its end",
					            {}, "Give a position inside the file: an end_log_pos of SHOW BINLOG EVENTS IN '" +
					                    p.file + "'.");
				return ep_.Where() + " has binlog " + p.file + " (" + std::to_string(size) + " bytes)";
			}
			files += (files.empty() ? "" : ", ") + *r[0];
		}
		throw Error(sqlstate::kInvalidParameterValue,
		            "connector " + Quoted(config_.conninfo.name) + ": binlog " + Quoted(p.file) + " is not on " +
		                ep_.Where(),
		            files.empty() ? std::string("The server lists no binary logs.")
		                          : "Its binary logs are: " + files.substr(0, 600) + ".",
		            "Give a position in one of the files the server still has (SHOW BINARY LOGS).");
	}

	/*
	 * A GTID-only offset (MariaDB): every domain must be in the server's
	 * binary logs, not past their end (@@gtid_binlog_state), and not purged
	 * (the GTID state at the start of the oldest binary log, the one a
	 * replica would need to start from there).
	 */
	std::string CheckGtidOffset(Connection &conn, const BinlogPosition &p)
	{
		const std::string who = "connector " + Quoted(config_.conninfo.name) + ": ";
		const std::string fix = "Give a GTID position the server has (SELECT @@gtid_binlog_pos on it), or a file "
		                        "position: {\"file\":\"...\",\"pos\":...} (SHOW BINARY LOGS).";
		if (!conn.IsMariaDB())
			throw Error(sqlstate::kFeatureNotSupported,
			            who + "a position given by GTID alone needs a MariaDB source; " + ep_.Where() + " is " +
			                conn.ServerVersion(),
			            {}, "Give a file position: {\"file\":\"...\",\"pos\":...} (SHOW BINARY LOGS).");
		const auto wanted = ParseMariaGtidList(p.gtid).value_or(std::vector<MariaGtid>{});
		if (wanted.empty())
			throw Error(sqlstate::kInvalidParameterValue, who + "the offset's \"gtids\" names no GTID", {}, fix);
		const std::string state = conn.QueryValue("SELECT @@global.gtid_binlog_state").value_or("");
		const auto have = ParseMariaGtidList(state).value_or(std::vector<MariaGtid>{});
		std::string oldest;
		for (const Row &r : conn.Query("SHOW BINARY LOGS"))
			if (!r.empty() && r[0]) {
				oldest = *r[0];
				break;
			}
		const auto start = ParseMariaGtidList(
			oldest.empty() ? std::string()
			               : conn.QueryValue("SELECT BINLOG_GTID_POS(" + conn.Literal(oldest) + ", 4)").value_or(""));
		for (const MariaGtid &g : wanted) {
			/* gtid_binlog_state keeps the last GTID of each (domain, server): the domain's highest seq_no. */
			uint64_t last = 0;
			bool domain_known = false, exact = false;
			for (const MariaGtid &h : have)
				if (h.domain == g.domain) {
					domain_known = true;
					last = std::max(last, h.seq);
					if (h.server == g.server && h.seq == g.seq)
						exact = true;
				}
			if (!domain_known)
				throw Error(sqlstate::kInvalidParameterValue,
				            who + "GTID " + g.ToString() + " is of replication domain " + std::to_string(g.domain) +
				                ", which the binary logs of " + ep_.Where() + " do not have",
				            "The server's GTID state: " + (state.empty() ? std::string("empty") : state) + ".", fix);
			if (g.seq > last || (g.seq == last && !exact))
				throw Error(sqlstate::kInvalidParameterValue,
				            who + "GTID " + g.ToString() + " is not in the binary logs of " + ep_.Where(),
				            "The server's last GTIDs: " + state + ".", fix);
			if (start)
				for (const MariaGtid &s : *start)
					if (s.domain == g.domain && g.seq < s.seq)
						throw Error(sqlstate::kInvalidParameterValue,
						            who + "GTID " + g.ToString() + " was purged from the binary logs of " +
						                ep_.Where(),
						            "Its oldest binary log " + oldest + " starts after GTID " + s.ToString() + ".",
						            fix + " Or restart the connector with snapshot mode 'always' to copy the tables "
						                  "again.");
		}
		return ep_.Where() + " has GTID position " + p.gtid + " in its binary logs (state " + state + ")";
	}

	int Compare(const Position &a, const Position &b) const override
	{
		return mysql::Compare(BinlogPosition::FromOffsetJson(a.offset), BinlogPosition::FromOffsetJson(b.offset));
	}

private:
	SourceConfig config_;
	Endpoint ep_;
};

}  // namespace

std::unique_ptr<Source> MakeMySQLSource(SourceConfig config)
{
	return std::make_unique<MySQLSource>(std::move(config));
}

PgColumnType TranslateDatatype(const std::string &type, int64_t length, int64_t scale, const Mapping *mapping)
{
	return synchdb::TranslateDatatype(type, length, scale, mapping);
}

}  // namespace synchdb::mysql
