/*
 * emitter.hpp
 *     How a source's reader thread hands its output to the engine.
 *
 * NOTES
 *   Every call appends one message to a batch; a batch goes to the bounded
 *   queue when it is full, at Flush(), and before anything that waits
 *   (readers call Flush() before blocking on their source).  When the main
 *   thread has closed the queue (the connector stops), the call throws
 *   StopRequested, which Run() catches and returns on.
 *
 *   Ordering contract (the main thread relies on it):
 *     Tables, then if a snapshot runs: per table CopyRows... CopyEnd, then
 *     SnapshotDone(position); then per source transaction:
 *     Change... / SchemaChange... then Commit(position).  Tables may be
 *     sent again between transactions (the set of replicated tables
 *     changed without DDL text, e.g. a pgoutput Relation message).
 */
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "core/change.hpp"
#include "core/error.hpp"
#include "core/queue.hpp"

namespace synchdb {

/* Thrown by Emitter calls when the engine no longer listens. */
struct StopRequested {};

class Emitter {
public:
	/*
	 * A batch goes to the queue at batch_msgs messages or batch_bytes bytes
	 * of payload, whichever comes first: the queue's memory is bounded in
	 * bytes (queue capacity x batch_bytes, plus one message), whatever the
	 * size of rows or snapshot chunks.
	 */
	explicit Emitter(BoundedQueue<Batch> &queue, size_t batch_msgs = 512, size_t batch_bytes = 256 * 1024)
		: queue_(queue), batch_msgs_(batch_msgs), batch_bytes_(batch_bytes)
	{
		pending_.reserve(batch_msgs_);
	}

	/* The replicated tables (rules applied); history: the schema history blob to store with positions. */
	void Tables(std::shared_ptr<const TableSet> tables, std::string history)
	{
		Msg m{};
		m.type = MsgType::Tables;
		m.tables = std::move(tables);
		m.history = std::move(history);
		Add(std::move(m));
	}
	/* Snapshot rows of table, COPY text format, whole rows only. */
	void CopyRows(int table, std::string text)
	{
		Msg m{};
		m.type = MsgType::CopyData;
		m.table = table;
		m.text = std::move(text);
		Add(std::move(m));
	}
	void CopyEnd(int table, uint64_t rows)
	{
		Msg m{};
		m.type = MsgType::CopyEnd;
		m.table = table;
		m.rows = rows;
		Add(std::move(m));
	}
	void SnapshotDone(Position pos)
	{
		Msg m{};
		m.type = MsgType::SnapshotDone;
		m.pos = std::move(pos);
		Add(std::move(m));
	}
	/* One row change; before: key or old image (Update/Delete), after: new image (Insert/Update). */
	void Change(int table, ChangeKind kind, RowData before, RowData after)
	{
		Msg m{};
		m.type = MsgType::Change;
		m.table = table;
		m.kind = kind;
		m.before = std::move(before);
		m.after = std::move(after);
		Add(std::move(m));
	}
	/* A schema change: the tables after it, the PostgreSQL statements, a summary for the log. */
	void SchemaChange(std::shared_ptr<const TableSet> tables, std::vector<std::string> sql, std::string summary,
	                  std::string history)
	{
		Msg m{};
		m.type = MsgType::Ddl;
		m.tables = std::move(tables);
		m.sql = std::move(sql);
		m.text = std::move(summary);
		m.history = std::move(history);
		Add(std::move(m));
	}
	void Commit(Position pos)
	{
		Msg m{};
		m.type = MsgType::Commit;
		m.pos = std::move(pos);
		Add(std::move(m));
	}
	/* Something to log; kind says whether it counts as a DDL passed over or needing nothing. */
	void Notice(std::string text, NoticeKind kind = NoticeKind::Log)
	{
		Msg m{};
		m.type = MsgType::Notice;
		m.notice = kind;
		m.text = std::move(text);
		Add(std::move(m));
	}
	/* Nothing more to do (snapshot mode initial_only); flushes. */
	void Finished()
	{
		Msg m{};
		m.type = MsgType::Finished;
		Add(std::move(m));
		Flush();
	}
	/*
	 * A failure: SourceLost (connection trouble; the engine reconnects and
	 * resumes from the committed position) for kConnectionFailure and
	 * kUnableToConnect, Error (the connector stops) otherwise.  Drops what
	 * was not sent yet and flushes.
	 */
	void Fail(const Error &e)
	{
		Discard();
		Msg m{};
		const bool lost = e.sqlstate() == sqlstate::kConnectionFailure || e.sqlstate() == sqlstate::kUnableToConnect;
		m.type = lost ? MsgType::SourceLost : MsgType::Error;
		m.text = e.what();
		m.sqlstate = e.sqlstate();
		m.detail = e.detail();
		m.hint = e.hint();
		Add(std::move(m));
		Flush();
	}

	/* A message built by the source itself. */
	void Send(Msg m) { Add(std::move(m)); }

	void Flush()
	{
		if (pending_.empty())
			return;
		Batch b;
		b.swap(pending_);
		pending_bytes_ = 0;
		if (!queue_.Push(std::move(b)))
			throw StopRequested{};
		pending_.reserve(batch_msgs_);
	}
	/* Drop what was not sent (used before reporting a failure). */
	void Discard()
	{
		pending_.clear();
		pending_bytes_ = 0;
	}

private:
	static size_t Bytes(const Msg &m)
	{
		size_t n = sizeof(Msg) + m.text.size() + m.before.buf.size() + m.after.buf.size() +
		           (m.before.fields.size() + m.after.fields.size()) * sizeof(RowData::Field) + m.history.size();
		for (const std::string &s : m.sql)
			n += s.size();
		return n;
	}
	void Add(Msg m)
	{
		pending_bytes_ += Bytes(m);
		pending_.push_back(std::move(m));
		if (pending_.size() >= batch_msgs_ || pending_bytes_ >= batch_bytes_)
			Flush();
	}

	BoundedQueue<Batch> &queue_;
	size_t batch_msgs_;
	size_t batch_bytes_;
	size_t pending_bytes_ = 0;
	Batch pending_;
};

}  // namespace synchdb

#include "core/cpp_only.hpp"
