/*
 * change_builder.cpp
 *     Binlog events to change messages.
 */
#include "core/sources/mysql/change_builder.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <cctype>

#include "core/error.hpp"
#include "core/sources/mysql/ddl/parser.hpp"
#include "core/sources/mysql/schema_json.hpp"
#include "core/sources/mysql/tables.hpp"
#include "core/sources/mysql/pgtext.hpp"
#include "core/sources/mysql/ddl_planner.hpp"

namespace synchdb::mysql {

namespace {

/* Strip comments and whitespace at the start of a statement. */
std::string_view SkipLeading(std::string_view q)
{
	for (;;) {
		while (!q.empty() && std::isspace(static_cast<unsigned char>(q.front())))
			q.remove_prefix(1);
		if (q.substr(0, 2) == "/*") {
			size_t end = q.find("*/");
			if (end == std::string_view::npos)
				return {};
			q.remove_prefix(end + 2);
			continue;
		}
		return q;
	}
}

/* Parse `TRUNCATE [TABLE] name`; returns (db, table) with db empty when unqualified. */
bool ParseTruncate(std::string_view q, std::string &db, std::string &table)
{
	q = SkipLeading(q);
	auto word = [&](std::string_view w) {
		if (q.size() >= w.size() && Lower(std::string(q.substr(0, w.size()))) == w &&
		    (q.size() == w.size() || std::isspace(static_cast<unsigned char>(q[w.size()])))) {
			q.remove_prefix(w.size());
			q = SkipLeading(q);
			return true;
		}
		return false;
	};
	if (!word("truncate"))
		return false;
	word("table");
	auto ident = [&](std::string &out) {
		out.clear();
		if (!q.empty() && q.front() == '`') {
			q.remove_prefix(1);
			while (!q.empty()) {
				if (q.front() == '`') {
					if (q.size() > 1 && q[1] == '`') {
						out += '`';
						q.remove_prefix(2);
						continue;
					}
					q.remove_prefix(1);
					return true;
				}
				out += q.front();
				q.remove_prefix(1);
			}
			return false;
		}
		while (!q.empty() && (std::isalnum(static_cast<unsigned char>(q.front())) || q.front() == '_' || q.front() == '$' ||
		                      static_cast<unsigned char>(q.front()) >= 0x80)) {
			out += q.front();
			q.remove_prefix(1);
		}
		return !out.empty();
	};
	std::string first;
	if (!ident(first))
		return false;
	if (!q.empty() && q.front() == '.') {
		q.remove_prefix(1);
		db = first;
		return ident(table);
	}
	db.clear();
	table = first;
	return true;
}

/* Fill a RowData from a decoded image, converting every value to PostgreSQL text. */
void ConvertImage(const binlog::RowImage &img, const TableInfo &t, binlog::Value &scratch, std::string &text,
                  RowData &out)
{
	const auto &conv = Native(t).conversions;
	const size_t n = conv.size();
	out.fields.reserve(n);
	for (size_t i = 0; i < n; i++) {
		if (!img.IsPresent(i))
			throw Error(sqlstate::kObjectNotInPrerequisiteState,
			            "row image of table " + Quoted(t.SourceName()) + " lacks column " +
			                Quoted(t.source.columns[i].name),
			            "The source writes partial row images (binlog_row_image is not FULL).",
			            "Set binlog_row_image=FULL on the source server.");
		if (img.IsNull(i)) {
			out.AddNull();
			continue;
		}
		img.Get(i, scratch);
		if ((scratch.kind == binlog::ValueKind::kString || scratch.kind == binlog::ValueKind::kBinary) &&
		    scratch.Bytes().size() >= (1u << 20)) {
			/* A big value: written once, into the row, not through the scratch string. */
			const size_t start = out.buf.size();
			if (BinlogValueAppendPgText(scratch, conv[i], out.buf))
				out.fields.push_back({static_cast<uint32_t>(start), static_cast<int32_t>(out.buf.size() - start)});
			else {
				out.buf.resize(start);
				out.AddNull();
			}
			continue;
		}
		if (BinlogValueToPgText(scratch, conv[i], text))
			out.AddValue(text);
		else
			out.AddNull();
	}
}

}  // namespace

ChangeBuilder::ChangeBuilder(std::shared_ptr<const TableSet> tables, std::string srcdb, std::vector<TableName> filter,
                             std::string connector, BinlogPosition start, Emit emit)
	: tables_(std::move(tables)), srcdb_(std::move(srcdb)), filter_(std::move(filter)),
	  who_("connector " + Quoted(connector) + ": "),
	  cur_(std::move(start)), emit_(std::move(emit))
{
}

int ChangeBuilder::FindTable(const std::string &db, const std::string &table) const
{
	for (size_t i = 0; i < tables_->size(); i++)
		if ((*tables_)[i].source.db == db && (*tables_)[i].source.name == table)
			return static_cast<int>(i);
	return -1;
}

void ChangeBuilder::Commit()
{
	Replacements r = TakeReplacements();
	if (r.count > 0)
		emit_(msg::Notice{NoticeKind::ValuesReplaced,
		                  DescribeReplacements(r, "first in the transaction ending at " + cur_.file + ":" +
		                                              std::to_string(cur_.pos)),
		                  r.count},
		      false);
	emit_(msg::Commit{cur_.ToPosition()}, true);
	in_txn_ = false;
	standalone_ = false;
}

void ChangeBuilder::OnRawEvent(binlog::Decoder &decoder, binlog::Bytes raw)
{
	binlog::Event e = decoder.Decode(raw, cur_.pos);
	OnEvent(e, decoder);
}

void ChangeBuilder::OnEvent(const binlog::Event &e, binlog::Decoder &decoder)
{
	const auto &h = e.header;
	if (h.type() == binlog::EventType::kHeartbeat || h.type() == binlog::EventType::kHeartbeatV2)
		return;
	if (const auto *r = e.As<binlog::RotateEvent>()) {
		cur_.file = r->next_file;
		cur_.pos = r->position;
		/*
		 * A real rotation (not the artificial one that starts a stream):
		 * record the new file as the position even when nothing of ours
		 * changed, so that an idle connector does not keep pointing at a
		 * binlog the server may purge.
		 */
		if (!(h.flags & binlog::kEventFlagArtificial) && h.log_pos != 0 && !in_txn_)
			Commit();
		return;
	}
	const bool artificial = h.flags & binlog::kEventFlagArtificial;
	if (!artificial && h.log_pos != 0)
		cur_.pos = h.log_pos;
	if (h.type() == binlog::EventType::kFormatDescription)
		return;
	cur_.server_id = h.server_id;
	cur_.ts_sec = h.timestamp;
	if (const auto *payload = e.As<binlog::TransactionPayloadEvent>()) {
		/* MySQL 8 compressed transaction: its events follow inside the payload. */
		size_t ppos = 0;
		binlog::Event inner;
		while (decoder.DecodeInner(*payload, &ppos, e.offset, inner))
			Handle(inner);
		return;
	}
	Handle(e);
}

void ChangeBuilder::HandleDdl(const binlog::QueryEvent &q, std::string_view stmt)
{
	auto notice = [&](const std::string &text) {
		emit_(msg::Notice{NoticeKind::DdlSkipped, text}, false);
	};
	const bool mentions_us = q.schema == srcdb_ || q.query.find(srcdb_) != std::string::npos;
	ddl::Statement st;
	try {
		st = ddl::Parse(stmt, q.schema);
	} catch (const Error &e) {
		if (mentions_us)
			notice("DDL statement at " + cur_.file + ":" + std::to_string(cur_.pos) +
			       " not replicated, it could not be parsed: " + e.what());
		return;
	}
	if (st.kind == ddl::StatementKind::NotUnderstood) {
		if (mentions_us)
			notice("DDL statement at " + cur_.file + ":" + std::to_string(cur_.pos) + " not replicated (" + st.reason +
			       "): " + std::string(stmt.substr(0, 200)));
		return;
	}
	auto plan = PlanSchemaChange(st, *tables_, srcdb_, filter_, mapping_.get());
	if (!plan) {
		if (mentions_us) {
			/* Nothing to do for the replica (an index, a view, a grant, ...): counted, not logged. */
			emit_(msg::Notice{NoticeKind::DdlNoop, {}}, false);
		}
		return;
	}
	tables_ = plan->tables;
	emit_(msg::SchemaChange{plan->tables, std::move(plan->sql), plan->summary,
	                        TablesToJson(SourceTables(*plan->tables))},
	      false);
}

void ChangeBuilder::Handle(const binlog::Event &ev)
{
	if (const auto *g = ev.As<binlog::MariaGtidEvent>()) {
		cur_.gtid = MergeMariaGtid(cur_.gtid, MariaGtid{g->domain_id, g->server_id, g->seq_no});
		in_txn_ = true;
		standalone_ = g->IsStandalone();
	} else if (const auto *g2 = ev.As<binlog::MysqlGtidEvent>()) {
		if (!g2->anonymous)
			cur_.gtid = g2->ToString();
	} else if (const auto *q = ev.As<binlog::QueryEvent>()) {
		std::string_view stmt = SkipLeading(q->query);
		std::string head = Lower(std::string(stmt.substr(0, 8)));
		if (head.rfind("begin", 0) == 0) {
			in_txn_ = true;
		} else if (head.rfind("commit", 0) == 0 || head.rfind("rollback", 0) == 0) {
			Commit();
		} else {
			std::string db, table;
			if (ParseTruncate(stmt, db, table)) {
				int idx = FindTable(db.empty() ? q->schema : db, table);
				if (idx >= 0) {
					emit_(msg::Change{idx, ChangeKind::Truncate, {}, {}}, false);
				}
			} else
				HandleDdl(*q, stmt);
			/* A DDL statement is its own transaction. */
			if (standalone_ || !in_txn_)
				Commit();
		}
	} else if (ev.As<binlog::XidEvent>()) {
		Commit();
	} else if (const auto *rows = ev.As<binlog::RowsEvent>()) {
		if (!rows->table)
			throw Error(sqlstate::kDataCorrupted,
			            who_ + "row event at " + cur_.file + ":" + std::to_string(ev.header.log_pos) + " has no table map");
		int idx = FindTable(rows->table->schema, rows->table->table);
		if (idx < 0)
			return;
		const TableInfo &t = (*tables_)[idx];
		/*
		 * With binlog_row_metadata=FULL the table map names the columns:
		 * they must be the tracked ones, in order, or rows would land in the
		 * wrong columns.
		 */
		if (rows->table->has_column_names && rows->table->columns.size() == t.source.columns.size())
			for (size_t c = 0; c < t.source.columns.size(); c++)
				if (rows->table->columns[c].name != t.source.columns[c].name)
					throw Error(sqlstate::kDataCorrupted,
					            who_ + "the binlog's table map of " + Quoted(t.SourceName()) + " names column " +
					                std::to_string(c + 1) + " " + Quoted(rows->table->columns[c].name) +
					                ", the tracked definition " + Quoted(t.source.columns[c].name),
					            "The source's definition of the table differs from the one synchdb followed through "
					            "the binlog (at " + cur_.file + ":" + std::to_string(cur_.pos) + ").",
					            "Restart the connector with snapshot mode 'always' to copy the table again.");
		if (rows->column_count != t.source.columns.size())
			throw Error(sqlstate::kFeatureNotSupported,
			            who_ + "table " + Quoted(t.SourceName()) + " now has " +
			                std::to_string(rows->column_count) + " columns, " +
			                std::to_string(t.source.columns.size()) + " when the connector started",
			            "Its definition changed on the source through a statement synchdb did not follow (the server log names DDL it did not replicate).",
			            "Apply the same change to " + t.QualifiedPgName() +
			                " and restart the connector, or restart it with snapshot mode 'always'.");
		binlog::RowIterator it(*rows);
		binlog::RowChange change;
		while (it.Next(change)) {
			msg::Change m{};
			m.table = idx;
			switch (rows->kind) {
			case binlog::RowsKind::kWrite:
				m.kind = ChangeKind::Insert;
				ConvertImage(change.after, t, scratch_, text_, m.after);
				break;
			case binlog::RowsKind::kUpdate:
				m.kind = ChangeKind::Update;
				ConvertImage(change.before, t, scratch_, text_, m.before);
				ConvertImage(change.after, t, scratch_, text_, m.after);
				break;
			case binlog::RowsKind::kDelete:
				m.kind = ChangeKind::Delete;
				ConvertImage(change.before, t, scratch_, text_, m.before);
				break;
			case binlog::RowsKind::kPartialUpdate:
				throw Error(sqlstate::kFeatureNotSupported,
				            who_ + "partial JSON updates of table " + Quoted(t.SourceName()) + " are not supported",
				            {}, "Set binlog_row_value_options='' on the source server.");
			}
			emit_(std::move(m), false);
		}
	}
}

}  // namespace synchdb::mysql
