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
 *     Tables, then if a snapshot runs: optionally SnapshotEstimate, per
 *     table CopyRows... CopyEnd, then
 *     SnapshotDone(position); then per source transaction:
 *     Change... / SchemaChange... then Commit(position).  Tables may be
 *     sent again between transactions (the set of replicated tables
 *     changed without DDL text, e.g. a pgoutput Relation message).
 *     Between a table's first CopyRows and its CopyEnd nothing else may
 *     come (the rows stream into one COPY); Notices go before or after.
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
	 * of payload, whichever comes first, with its payload bytes: a queue
	 * made with max_bytes holds at most that many bytes, or one batch when a
	 * single row is bigger, whatever the size of rows or snapshot chunks.
	 * (Without the byte bound each of the queue's batches could hold one
	 * huge row.)
	 */
	explicit Emitter(BoundedQueue<Batch> &queue, size_t batch_msgs = 512, size_t batch_bytes = 256 * 1024)
		: queue_(queue), batch_msgs_(batch_msgs), batch_bytes_(batch_bytes)
	{
		pending_.reserve(batch_msgs_);
	}

	/* The replicated tables (rules applied); history: the schema history blob to store with positions. */
	void Tables(std::shared_ptr<const TableSet> tables, std::string history)
	{
		Add(msg::Tables{std::move(tables), std::move(history)});
	}
	/* Snapshot rows of table, COPY text format (binary: binary COPY rows), whole rows only. */
	void CopyRows(int table, std::string text, bool binary = false)
	{
		Add(msg::CopyData{table, std::move(text), binary});
	}
	void CopyEnd(int table, uint64_t rows) { Add(msg::CopyEnd{table, rows}); }
	/* Optional, before the first CopyRows: the source's row estimate per table (-1: none), for progress figures. */
	void SnapshotEstimate(std::vector<int64_t> rows) { Add(msg::SnapshotEstimate{std::move(rows)}); }
	void SnapshotDone(Position pos) { Add(msg::SnapshotDone{std::move(pos)}); }
	/* One row change; before: key or old image (Update/Delete), after: new image (Insert/Update). */
	void Change(int table, ChangeKind kind, RowData before, RowData after)
	{
		Add(msg::Change{table, kind, std::move(before), std::move(after)});
	}
	/* A schema change: the tables after it, the PostgreSQL statements, a summary for the log. */
	void SchemaChange(std::shared_ptr<const TableSet> tables, std::vector<std::string> sql, std::string summary,
	                  std::string history)
	{
		Add(msg::SchemaChange{std::move(tables), std::move(sql), std::move(summary), std::move(history)});
	}
	void Commit(Position pos) { Add(msg::Commit{std::move(pos)}); }
	/* Something to log; kind says whether it counts as a DDL passed over or needing nothing. */
	void Notice(std::string text, NoticeKind kind = NoticeKind::Log, uint64_t count = 0)
	{
		Add(msg::Notice{kind, std::move(text), count});
	}
	/* Nothing more to do (snapshot mode initial_only); flushes. */
	void Finished()
	{
		Add(msg::Finished{});
		Flush();
	}
	/*
	 * A failure: SourceLost (connection trouble; the engine reconnects and
	 * resumes from the committed position) for kConnectionFailure and
	 * kUnableToConnect, Failure (the connector stops) otherwise.  Drops what
	 * was not sent yet and flushes.
	 */
	void Fail(const Error &e)
	{
		Discard();
		if (e.sqlstate() == sqlstate::kConnectionFailure || e.sqlstate() == sqlstate::kUnableToConnect)
			Add(msg::SourceLost{e.what()});
		else
			Add(msg::Failure{e.sqlstate(), e.what(), e.detail(), e.hint()});
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
		const size_t bytes = pending_bytes_;
		pending_bytes_ = 0;
		if (!queue_.Push(std::move(b), bytes))
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
	/* The payload a message holds, for the queue's byte bound. */
	static size_t Bytes(const Msg &m)
	{
		size_t n = sizeof(Msg);
		if (const auto *c = std::get_if<msg::Change>(&m))
			n += c->before.buf.size() + c->after.buf.size() +
			     (c->before.fields.size() + c->after.fields.size()) * sizeof(RowData::Field);
		else if (const auto *d = std::get_if<msg::CopyData>(&m))
			n += d->text.size();
		else if (const auto *t = std::get_if<msg::Tables>(&m))
			n += t->history.size();
		else if (const auto *s = std::get_if<msg::SchemaChange>(&m)) {
			n += s->summary.size() + s->history.size();
			for (const std::string &q : s->sql)
				n += q.size();
		} else if (const auto *o = std::get_if<msg::Notice>(&m))
			n += o->text.size();
		else if (const auto *e = std::get_if<msg::SnapshotEstimate>(&m))
			n += e->rows.size() * sizeof(int64_t);
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
