/*
 * change_builder.hpp
 *     Turning decoded binlog events into the connector's change messages.
 *
 * NOTES
 *   Transport-free: the reader thread feeds it the events received from the
 *   server, and the unit tests feed it captured binlog files.  It tracks the
 *   binlog position (file and offset of the next event, GTID, commit time),
 *   keeps only rows of the replicated tables, converts every value to
 *   PostgreSQL input text, and marks the end of each source transaction with
 *   a Commit carrying the position just after it.  MySQL 8 compressed
 *   transactions (TRANSACTION_PAYLOAD_EVENT) are opened and their events
 *   handled in order.
 */
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/sources/mysql/binlog/event.hpp"
#include "core/sources/mysql/binlog/rows.hpp"
#include "core/change.hpp"
#include "core/sources/mysql/position.hpp"
#include "core/conninfo.hpp"

namespace synchdb::mysql {

class ChangeBuilder {
public:
	/* emit(msg, flush): flush asks the caller to hand over what it holds (end of a transaction). */
	using Emit = std::function<void(Msg &&, bool flush)>;

	ChangeBuilder(std::shared_ptr<const TableSet> tables, std::string srcdb, std::vector<TableName> filter,
	              std::string connector, BinlogPosition start, Emit emit);

	/* Decode one raw event (common header, body, checksum) and handle it. */
	void OnRawEvent(binlog::Decoder &decoder, binlog::Bytes raw);
	/* Handle one decoded top-level event; decoder is the one that decoded it (for payloads). */
	void OnEvent(const binlog::Event &e, binlog::Decoder &decoder);

	const BinlogPosition &Position() const { return cur_; }
	/* The user's rules, applied to tables that DDL creates or changes. */
	void SetMapping(std::shared_ptr<const Mapping> mapping) { mapping_ = std::move(mapping); }

private:
	void Handle(const binlog::Event &ev);
	void Commit();
	int FindTable(const std::string &db, const std::string &table) const;

	std::shared_ptr<const TableSet> tables_;
	void HandleDdl(const binlog::QueryEvent &q, std::string_view stmt);

	std::string srcdb_;
	std::vector<TableName> filter_;
	std::shared_ptr<const Mapping> mapping_;
	std::string who_;
	BinlogPosition cur_;
	Emit emit_;
	bool in_txn_ = false;
	bool standalone_ = false;
	binlog::Value scratch_;
	std::string text_;
};

}  // namespace synchdb::mysql

#include "core/cpp_only.hpp"
