/*
 * source_reader.cpp
 *     Snapshot and binlog streaming on the reader thread.
 */
#include "core/sources/mysql/source_reader.hpp"
#include "core/strings.hpp"
#include "core/sources/mysql/literal.hpp"

#include <mysql.h>
#include <mariadb_rpl.h>
#include <mysqld_error.h>
#include <errmsg.h>

#include <algorithm>
#include <cctype>
#include <functional>

#include "core/sources/mysql/binlog/event.hpp"
#include "core/sources/mysql/binlog/rows.hpp"
#include "core/error.hpp"
#include "core/sources/mysql/change_builder.hpp"
#include "core/sources/mysql/position.hpp"
#include "core/sources/mysql/schema.hpp"
#include "core/sources/mysql/schema_json.hpp"
#include "core/sources/mysql/tables.hpp"
#include "core/sources/mysql/pgtext.hpp"

namespace synchdb::mysql {

namespace {

/* A snapshot row at least this big (raw bytes) is sent as an insert of its own instead of COPY text. */
constexpr size_t kBigSnapshotRow = 1 << 20;
/* A binary log event at least this big is freed as soon as it is decoded. */
constexpr size_t kBigEvent = 1 << 20;

}  // namespace

uint32_t ReplicaServerId(const std::string &connector, const std::string &dstdb)
{
	/* FNV-1a: the same id on every build (std::hash may change with the standard library). */
	uint32_t h = 2166136261u;
	for (unsigned char c : connector + "@" + dstdb) {
		h ^= c;
		h *= 16777619u;
	}
	return 1 + h % 0xFFFFFFFEu;
}

SourceReader::SourceReader(ReaderConfig config) : config_(std::move(config)) {}

void SourceReader::Add(Msg m)
{
	out_->Send(std::move(m));
}

void SourceReader::Flush()
{
	out_->Flush();
}

int SourceReader::FindTable(const std::string &db, const std::string &table) const
{
	for (size_t i = 0; i < tables_->size(); i++)
		if ((*tables_)[i].source.db == db && (*tables_)[i].source.name == table)
			return static_cast<int>(i);
	return -1;
}

void SourceReader::Run(Emitter &out) noexcept
{
	out_ = &out;
	SetInvalidValuePolicy(config_.invalid_values);
	try {
		try {
			RunOrThrow();
		} catch (StopRequested &) {
			return;
		} catch (const Error &e) {
			out.Fail(e);
		} catch (const std::exception &e) {
			out.Fail(Error(sqlstate::kInternalError, std::string("synchdb reader thread failed: ") + e.what()));
		}
	} catch (...) {
		/* The queue was closed while reporting: the main thread is gone. */
	}
}

void SourceReader::RunOrThrow()
{
	Connection conn(config_.endpoint);
	tables_ = config_.known_tables && !config_.snapshot_with_data.has_value() ? MakeTables(*config_.known_tables, config_.mapping.get())
	                                                                          : ReadTables(conn);
	out_->Tables(tables_, TablesToJson(SourceTables(*tables_)));
	Flush();

	std::optional<BinlogPosition> start = config_.start;
	if (config_.snapshot_with_data.has_value()) {
		Snapshot(*config_.snapshot_with_data);
		if (config_.stop_after_snapshot) {
			out_->Finished();
			return;
		}
		return; /* Snapshot() streamed on */
	}
	if (!start || !start->Valid())
		start = CurrentPosition(conn);
	Stream(*start);
}

std::shared_ptr<const TableSet> SourceReader::ReadTables(Connection &conn)
{
	auto tables = ReadSourceTables(conn, config_.srcdb, config_.filter);
	return MakeTables(std::move(tables), config_.mapping.get());
}

BinlogPosition SourceReader::CurrentPosition(Connection &conn)
{
	std::vector<Row> rows;
	try {
		rows = conn.Query("SHOW MASTER STATUS");
	} catch (const Error &) {
		rows = conn.Query("SHOW BINARY LOG STATUS"); /* MySQL 8.4 and later */
	}
	if (rows.empty() || rows[0].size() < 2 || !rows[0][0] || !rows[0][1])
		throw Error(sqlstate::kObjectNotInPrerequisiteState,
		            "connector " + Quoted(config_.endpoint.connector) + ": source server " +
		                config_.endpoint.Where() + " reports no binary log position",
		            "SHOW MASTER STATUS returned no row.", "Enable binary logging (log_bin) on the source server.");
	BinlogPosition p;
	p.file = *rows[0][0];
	p.pos = std::stoull(*rows[0][1]);
	AddServerAndGtids(conn, p);
	return p;
}

void SourceReader::AddServerAndGtids(Connection &conn, BinlogPosition &p)
{
	if (auto id = conn.QueryValue("SELECT @@server_id"))
		p.file_server_id = static_cast<uint32_t>(std::stoul(*id));
	/* MariaDB: the GTID state at the position, so that another server of the topology can resume from it. */
	if (conn.IsMariaDB() && p.HasFile() && p.gtid.empty())
		p.gtid = conn.QueryValue("SELECT BINLOG_GTID_POS(" + conn.Literal(p.file) + ", " + std::to_string(p.pos) + ")")
		             .value_or("");
}

void SourceReader::Snapshot(bool with_data)
{
	Connection snap(config_.endpoint);
	snap.Query("SET SESSION time_zone = '+00:00'");
	snap.Query("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ");
	BinlogPosition pos;
	if (snap.IsMariaDB()) {
		/* MariaDB gives the binlog position of the read view without any lock. */
		snap.Query("START TRANSACTION WITH CONSISTENT SNAPSHOT");
		for (const Row &r : snap.Query("SHOW STATUS LIKE 'binlog_snapshot_%'")) {
			if (r.size() < 2 || !r[0] || !r[1])
				continue;
			if (*r[0] == "Binlog_snapshot_file")
				pos.file = *r[1];
			else if (*r[0] == "Binlog_snapshot_position")
				pos.pos = std::stoull(*r[1]);
		}
		if (!pos.Valid())
			pos = CurrentPosition(snap);
	} else {
		/* MySQL: the shortest global read lock that pins the position to the read view. */
		snap.Query("FLUSH TABLES WITH READ LOCK");
		snap.Query("START TRANSACTION WITH CONSISTENT SNAPSHOT");
		pos = CurrentPosition(snap);
		snap.Query("UNLOCK TABLES");
	}
	/* Shown in the offset like a commit's: the source's id and the snapshot's time. */
	auto ids = snap.Query("SELECT @@server_id, UNIX_TIMESTAMP()");
	if (!ids.empty() && ids[0].size() == 2 && ids[0][0] && ids[0][1]) {
		pos.server_id = static_cast<uint32_t>(std::stoul(*ids[0][0]));
		pos.ts_sec = static_cast<uint32_t>(std::stoul(*ids[0][1]));
	}
	AddServerAndGtids(snap, pos);
	if (with_data)
		SendEstimates(snap);
	if (with_data)
		for (size_t i = 0; i < tables_->size(); i++)
			CopyTable(snap, static_cast<int>(i));
	snap.Query("COMMIT");

	out_->SnapshotDone(pos.ToPosition());
	Flush();
	if (!config_.stop_after_snapshot)
		Stream(pos);
}

/*
 * information_schema.TABLES.TABLE_ROWS of each table: InnoDB's estimate
 * (exact for MyISAM, NULL for views and some engines), for the snapshot's
 * progress figures.  One that cannot be read is not a reason to stop.
 */
void SourceReader::SendEstimates(Connection &conn)
{
	if (tables_->empty())
		return;
	std::vector<int64_t> rows(tables_->size(), -1);
	std::string dbs;
	for (const TableInfo &t : *tables_) {
		const std::string lit = conn.Literal(t.source.db);
		if (dbs.find(lit) == std::string::npos)
			dbs += (dbs.empty() ? "" : ", ") + lit;
	}
	try {
		for (const Row &r : conn.Query("SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_ROWS FROM information_schema.TABLES "
		                               "WHERE TABLE_SCHEMA IN (" + dbs + ")")) {
			if (r.size() < 3 || !r[0] || !r[1] || !r[2])
				continue;
			const int i = FindTable(*r[0], *r[1]);
			if (i >= 0)
				rows[i] = static_cast<int64_t>(std::stoll(*r[2]));
		}
	} catch (const std::exception &) { /* synchdb::Error included */
		return;
	}
	out_->SnapshotEstimate(std::move(rows));
}

void SourceReader::CopyTable(Connection &conn, int index)
{
	const TableInfo &t = (*tables_)[index];
	std::string sql = "SELECT ";
	for (size_t c = 0; c < t.source.columns.size(); c++) {
		if (c)
			sql += ", ";
		sql += SnapshotSelectExpr(Native(t).table.columns[c]);
	}
	sql += " FROM " + BacktickQuote(t.source.db) + "." + BacktickQuote(t.source.name);

	MYSQL *my = conn.raw();
	if (mysql_real_query(my, sql.data(), sql.size()) != 0)
		conn.Query(sql); /* raises the classified error */
	MYSQL_RES *res = mysql_use_result(my);
	if (!res)
		conn.Query(sql);
	const size_t ncols = t.source.columns.size();
	const auto &conv = Native(t).conversions;
	/*
	 * Binary COPY rows when the main thread says every destination column
	 * has a binary form (binarycopy.hpp); a row with a value that has no
	 * canonical binary form goes in text format, in a chunk of its own kind.
	 */
	std::vector<binarycopy::Kind> kinds;
	if (config_.copy_formats)
		kinds = config_.copy_formats->Await(tables_.get(), static_cast<size_t>(index), [this] { return stop_.load(); },
		                                    std::chrono::seconds(60));
	if (stop_)
		throw StopRequested{};
	bool binary_table = kinds.size() == ncols && ncols > 0;
	for (binarycopy::Kind k : kinds)
		if (k == binarycopy::Kind::None)
			binary_table = false;
	std::string chunk;
	bool chunk_binary = binary_table;
	chunk.reserve(config_.copy_chunk_bytes + 8192);
	std::vector<std::string> values(ncols);
	std::vector<bool> nulls(ncols);
	uint64_t rows = 0;
	auto send = [&](bool next_binary) {
		if (!chunk.empty()) {
			out_->CopyRows(index, std::move(chunk), chunk_binary);
			Flush();
			chunk = std::string();
			chunk.reserve(config_.copy_chunk_bytes + 8192);
		}
		chunk_binary = next_binary;
		if (stop_)
			throw StopRequested{};
	};
	try {
		while (MYSQL_ROW row = mysql_fetch_row(res)) {
			unsigned long *len = mysql_fetch_lengths(res);
			size_t raw = 0;
			for (size_t c = 0; c < ncols; c++)
				raw += len[c];
			if (raw >= kBigSnapshotRow) {
				/*
				 * A big row travels alone as an insert: its values are written
				 * once, into the message, and the worker applies it without
				 * COPY's line and attribute buffers (docs/reliability.md).
				 */
				send(binary_table);
				RowData after;
				for (size_t c = 0; c < ncols; c++) {
					const size_t start = after.buf.size();
					if (row[c] && SnapshotValueAppendPgText(row[c], len[c], conv[c], after.buf))
						after.fields.push_back({static_cast<uint32_t>(start), static_cast<int32_t>(after.buf.size() - start)});
					else {
						after.buf.resize(start);
						after.AddNull();
					}
				}
				out_->Change(index, ChangeKind::Insert, RowData{}, std::move(after));
				Flush();
				rows++;
				if (stop_)
					throw StopRequested{};
				continue;
			}
			for (size_t c = 0; c < ncols; c++)
				nulls[c] = !row[c] || !SnapshotValueToPgText(row[c], len[c], conv[c], values[c]);
			bool done = false;
			if (chunk_binary) {
				const size_t row_start = chunk.size();
				binarycopy::AppendRowStart(chunk, static_cast<int>(ncols));
				done = true;
				for (size_t c = 0; c < ncols && done; c++) {
					if (nulls[c])
						binarycopy::AppendNull(chunk);
					else
						done = binarycopy::AppendField(chunk, kinds[c], values[c]);
				}
				if (!done) {
					/* This row in text format: its values go to the input functions. */
					chunk.resize(row_start);
					send(false);
				}
			}
			if (!done) {
				for (size_t c = 0; c < ncols; c++) {
					if (c)
						chunk += '\t';
					if (nulls[c])
						AppendCopyNull(chunk);
					else
						AppendCopyField(chunk, values[c]);
				}
				chunk += '\n';
			}
			rows++;
			if (chunk.size() >= config_.copy_chunk_bytes)
				send(binary_table);
		}
	} catch (...) {
		mysql_free_result(res);
		throw;
	}
	unsigned int err = mysql_errno(my);
	std::string errmsg = mysql_error(my);
	mysql_free_result(res);
	if (err != 0)
		throw Error(err == CR_SERVER_LOST || err == CR_SERVER_GONE_ERROR ? sqlstate::kConnectionFailure
		                                                                  : sqlstate::kDataException,
		            "connector " + Quoted(config_.endpoint.connector) + ": reading table " + Quoted(t.SourceName()) +
		                " for the snapshot failed: " + errmsg);
	if (!chunk.empty())
		out_->CopyRows(index, std::move(chunk), chunk_binary);
	out_->CopyEnd(index, rows);
	ReportReplacements(*out_, "in the snapshot"); /* after CopyEnd: nothing but rows may come inside a table's COPY */
	Flush();
}

bool SourceReader::NeedsGtidResume(Connection &conn, const BinlogPosition &pos)
{
	const std::string who = "connector " + Quoted(config_.endpoint.connector) + ": ";
	server_id_ = static_cast<uint32_t>(std::stoul(conn.QueryValue("SELECT @@server_id").value_or("0")));
	std::string why; /* why the file and offset cannot be used; empty = they can */
	if (!pos.HasFile()) {
		why = "the position is given by GTID only";
	} else if (pos.file_server_id != 0 && pos.file_server_id != server_id_) {
		why = "its binary log file " + pos.file + " is server " + std::to_string(pos.file_server_id) +
		      "'s, and " + config_.endpoint.Where() + " is server " + std::to_string(server_id_);
	} else {
		std::vector<Row> logs;
		try {
			logs = conn.Query("SHOW BINARY LOGS");
		} catch (const Error &) {
			return false; /* no right to list them: let the server judge the position */
		}
		bool found = false;
		for (const Row &r : logs)
			if (r.size() >= 2 && r[0] && *r[0] == pos.file) {
				found = true;
				if (r[1] && pos.pos > std::strtoull(r[1]->c_str(), nullptr, 10))
					why = "binary log " + pos.file + " on " + config_.endpoint.Where() + " ends before offset " +
					      std::to_string(pos.pos);
			}
		if (!found)
			why = "binary log " + pos.file + " is no longer (or not) on " + config_.endpoint.Where();
	}
	if (why.empty())
		return false;
	const std::string fix =
		"Set a position this server has with synchdb_set_offset('" + config_.endpoint.connector +
		"', '{\"file\":\"...\",\"pos\":...}') while the connector is paused or stopped (SHOW BINARY LOGS and "
		"SHOW BINLOG EVENTS on the server list them), or restart the connector with snapshot mode 'always' to copy "
		"the tables again.";
	const std::string label = pos.ToPosition().label;
	if (!conn.IsMariaDB())
		throw Error(sqlstate::kObjectNotInPrerequisiteState,
		            who + "cannot resume from " + label + ": " + why,
		            "Resuming by GTID is supported for MariaDB sources only, not yet for MySQL GTID sets.", fix);
	if (pos.gtid.empty() || !ParseMariaGtidList(pos.gtid))
		throw Error(sqlstate::kObjectNotInPrerequisiteState,
		            who + "cannot resume from " + label + ": " + why + ", and the position has no MariaDB GTID",
		            "A position names a transaction on another server only by its GTID (the offset's \"gtids\").",
		            fix);
	if (pos.inside_transaction)
		throw Error(sqlstate::kObjectNotInPrerequisiteState,
		            who + "cannot resume from " + label + " by GTID: " + why +
		                ", and the offset points inside a transaction (its \"row\" or \"event\" is not 0)",
		            "A GTID names whole transactions only.", fix);
	out_->Notice("resuming by GTID " + pos.gtid + " on " + config_.endpoint.Where() + " (server " +
	             std::to_string(server_id_) + "): " + why);
	return true;
}

void SourceReader::Stream(BinlogPosition pos)
{
	Endpoint ep = config_.endpoint;
	ep.read_timeout_s = 30; /* heartbeats arrive every second */
	Connection rc(ep);
	const std::string who = "connector " + Quoted(ep.connector) + ": ";
	const bool by_gtid = NeedsGtidResume(rc, pos);
	if (by_gtid) {
		/*
		 * MariaDB's GTID replication: the server finds, in its own binary
		 * logs, the first transaction after this state in every domain.
		 * Strict mode: a GTID the server lacks is an error, never a silent
		 * skip; duplicates are not ignored.
		 */
		rc.Query("SET @slave_connect_state = " + rc.Literal(pos.gtid));
		rc.Query("SET @slave_gtid_strict_mode = 1");
		rc.Query("SET @slave_gtid_ignore_duplicates = 0");
	}
	/* Tell the server we understand its checksums, and the decoder to expect them from the first event on. */
	const std::string checksum = rc.QueryValue("SELECT @@global.binlog_checksum").value_or("NONE");
	rc.Query("SET @master_binlog_checksum = @@global.binlog_checksum");
	rc.Query("SET @mariadb_slave_capability = 4");
	rc.Query("SET @master_heartbeat_period = 1000000000");

	MARIADB_RPL *rpl = mariadb_rpl_init(rc.raw());
	if (!rpl)
		throw Error(sqlstate::kInternalError, who + "could not create a replication handle");
	struct RplCloser {
		MARIADB_RPL *rpl;
		MARIADB_RPL_EVENT *ev = nullptr;
		~RplCloser()
		{
			if (ev)
				mariadb_free_rpl_event(ev);
			mariadb_rpl_close(rpl);
		}
	} closer{rpl};

	/* By GTID the server ignores the file and offset: an empty name and the first event's offset. */
	const std::string file = by_gtid ? std::string() : pos.file;
	mariadb_rpl_optionsv(rpl, MARIADB_RPL_FILENAME, file.c_str(), file.size());
	mariadb_rpl_optionsv(rpl, MARIADB_RPL_START, static_cast<unsigned long>(by_gtid ? 4 : pos.pos));
	mariadb_rpl_optionsv(rpl, MARIADB_RPL_SERVER_ID, static_cast<uint32_t>(config_.replica_server_id));
	mariadb_rpl_optionsv(rpl, MARIADB_RPL_FLAGS, static_cast<uint32_t>(0));
	if (mariadb_rpl_open(rpl) != 0)
		throw Error(sqlstate::kConnectionFailure,
		            who + "could not start reading the binary log at " + pos.ToPosition().label,
		            std::string("The server said: ") + mysql_error(rc.raw()));
	/* The new positions name this server's files. */
	const std::string stored_label = pos.HasFile() ? pos.file + ":" + std::to_string(pos.pos) : std::string();
	pos.file_server_id = server_id_;
	if (by_gtid)
		pos.file.clear(), pos.pos = 4; /* until the server's first (artificial) rotate names its file */

	binlog::Decoder decoder;
	decoder.SetChecksum(Lower(checksum) == "crc32" ? binlog::ChecksumAlg::kCrc32 : binlog::ChecksumAlg::kOff);
	ChangeBuilder builder(tables_, config_.srcdb, config_.filter, ep.connector, pos, [this](Msg &&m, bool flush) {
		Add(std::move(m));
		if (flush)
			Flush();
	});
	builder.SetMapping(config_.mapping);

	while (!stop_) {
		closer.ev = mariadb_rpl_fetch(rpl, closer.ev);
		if (!closer.ev) {
			if (stop_)
				break;
			const BinlogPosition &cur = builder.Position();
			unsigned int err = mysql_errno(rc.raw());
			std::string msg = mysql_error(rc.raw());
			if (err == ER_MASTER_FATAL_ERROR_READING_BINLOG && by_gtid && !cur.HasFile())
				throw Error(sqlstate::kObjectNotInPrerequisiteState,
				            stored_label.empty()
				                ? who + "source server " + ep.Where() + " cannot stream from GTID position " + pos.gtid
				                : who + "the source can no longer provide the binary log from " + stored_label +
				                      ", nor stream from its GTID position " + pos.gtid,
				            "The server said: " + msg,
				            "The transactions after that GTID were purged from its binary logs, or it never had "
				            "them. Set a position this server has with synchdb_set_offset('" + ep.connector +
				                "', '{\"file\":\"...\",\"pos\":...}') or '{\"gtids\":\"...\"}' (while the connector "
				                "is paused or stopped), or restart the connector with snapshot mode 'always' to copy "
				                "the tables again.");
			if (err == ER_MASTER_FATAL_ERROR_READING_BINLOG)
				throw Error(sqlstate::kObjectNotInPrerequisiteState,
				            who + "the source can no longer provide the binary log from " + cur.file + ":" +
				                std::to_string(cur.pos),
				            "The server said: " + msg,
				            "The binlog was purged past the connector's position (check binlog_expire_logs_seconds). "
				            "Restart the connector with snapshot mode 'always' to copy the tables again.");
			throw Error(sqlstate::kConnectionFailure, who + "lost the binary log stream from " + ep.Where(),
			            "Error " + std::to_string(err) + ": " + msg);
		}
		MARIADB_RPL_EVENT *ev = closer.ev;
		if (ev->raw_data_size <= ev->raw_data_ofs)
			continue;
		builder.OnRawEvent(decoder,
		                   binlog::Bytes(ev->raw_data + ev->raw_data_ofs, ev->raw_data_size - ev->raw_data_ofs));
		if (ev->raw_data_size >= kBigEvent) {
			/* Its copy of a big event goes now, not at the next fetch. */
			mariadb_free_rpl_event(ev);
			closer.ev = nullptr;
		}
	}
}

}  // namespace synchdb::mysql
