/*
 * connector_worker.cpp
 *     The background worker of one connector.
 *
 * NOTES
 *   Life cycle:
 *     1. attach to the shared-memory slot given in bgw_main_arg, checking the
 *        generation in bgw_extra (a stale launch exits quietly); register a
 *        before_shmem_exit callback that marks the slot stopped;
 *     2. connect to the destination database as the connector's owner
 *        (the bootstrap superuser for a definition without owner); what
 *        must stay privileged runs as the bootstrap superuser in a
 *        security-restricted context (pg/usercontext.hpp);
 *     3. read the definition handed over in the slot, decrypt the password;
 *     4. connect to the source and check its replication prerequisites;
 *        anything missing is written to the slot's err, in words a DBA can
 *        act on, and the worker exits;
 *     5. run (state "syncing") until told to stop, checking that the source
 *        still answers and reconnecting with backoff when it does not.
 *   Any error that ends the worker is copied into the slot's err before the
 *   process exits, so synchdb_state_view shows it after the fact.
 *
 *   Signals and waits: every wait of the main thread is on its latch
 *   (WaitLatch, or WaitLatchOrSocket on the queue's eventfd), never on a
 *   plain condition variable, so it wakes for any interrupt; after each
 *   wait AbsorbInterrupts() absorbs procsignal barriers (DROP DATABASE,
 *   ALTER DATABASE SET TABLESPACE wait for every backend to absorb one) and
 *   memory-context logging requests; the pump's loop and naps also reload
 *   the configuration (ServiceInterrupts).  Inside PostgreSQL code
 *   (applying, COPY) PostgreSQL's own CHECK_FOR_INTERRUPTS absorbs them.
 *     - SIGTERM (pg_terminate_backend, stop, shutdown) uses die(): the main
 *       loop tests ProcDiePending and leaves cleanly, committing complete
 *       source transactions; inside PostgreSQL code it is FATAL, which
 *       rolls back the open transaction (StopReaderAtExit stops the reader).
 *       Either way nothing is lost: the source position commits with the
 *       rows.
 *     - SIGINT (pg_cancel_backend) cancels what the worker is doing, as it
 *       does for a query: the open destination transaction is rolled back
 *       and the connector goes on from its last committed position (a
 *       snapshot starts over), without leaving the worker; never a reason
 *       to stop the connector or to set a change aside.
 */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <variant>

#include "core/conninfo.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "core/mapping.hpp"
#include "core/emitter.hpp"
#include "core/queue.hpp"
#include "core/source.hpp"
#include "core/progress.hpp"
#include "pg/apply.hpp"
#include "pg/crypto.hpp"
#include "pg/guard.hpp"
#include "pg/guc.hpp"
#include "pg/session.hpp"
#include "pg/shmem.hpp"
#include "pg/transform.hpp"
#include "pg/usercontext.hpp"

extern "C" {
PGDLLEXPORT void synchdb_connector_main(Datum arg);
}

namespace synchdb::pg {
namespace {

int my_slot = -1;
uint64 my_generation = 0;

/* before_shmem_exit: the slot no longer has a worker. */
void DetachSlot(int code, Datum arg)
{
	SharedState *sh = SharedOrNull();
	if (!sh || my_slot < 0)
		return;
	LWLockAcquire(sh->lock, LW_EXCLUSIVE);
	ConnectorSlot *s = &sh->slots[my_slot];
	if (s->generation == my_generation) {
		s->pid = 0;
		s->launching = false;
		s->state = ConnectorState::Stopped;
		s->last_used = GetCurrentTimestamp();
	}
	LWLockRelease(sh->lock);
}

/* Copy the current error (we are in PG_CATCH) into the slot. */
void RecordErrorInSlot()
{
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
	ErrorData *edata = CopyErrorData();
	MemoryContextSwitchTo(old);
	char buf[kErrLen];
	snprintf(buf, sizeof(buf), "%s%s%s%s%s", edata->message ? edata->message : "unknown error",
	         edata->detail ? ": " : "", edata->detail ? edata->detail : "", edata->context ? " (" : "",
	         edata->context ? edata->context : "");
	if (edata->context)
		strlcat(buf, ")", sizeof(buf));
	if (edata->hint) { /* PostgreSQL's own errors name the fix there (e.g. max_locks_per_transaction) */
		strlcat(buf, "; hint: ", sizeof(buf));
		strlcat(buf, edata->hint, sizeof(buf));
	}
	SetSlotError(my_slot, my_generation, buf);
	FreeErrorData(edata);
}

/*
 * The interrupts a waiting worker must absorb wherever it waits, even in
 * the middle of a COPY: procsignal barriers and memory-context logging.
 * Die and cancel are acted on by the loops themselves, without a longjmp
 * through C++ frames.
 */
void AbsorbInterrupts()
{
	PgCall([] {
		if (ProcSignalBarrierPending)
			ProcessProcSignalBarrier();
		if (LogMemoryContextPending)
			ProcessLogMemoryContextInterrupt();
	});
}

/* At the pump's loop and in naps: also a configuration reload (never in the middle of a COPY). */
void ServiceInterrupts()
{
	AbsorbInterrupts();
	PgCall([] {
		if (ConfigReloadPending) {
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
	});
}

/*
 * Wait on the latch (and on fd's readability when fd >= 0) up to ms, then
 * absorb interrupts.
 */
void WaitOnLatch(int fd, long ms)
{
	PgCall([&] {
		const int events = WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH | (fd >= 0 ? WL_SOCKET_READABLE : 0);
		int rc = WaitLatchOrSocket(MyLatch, events, fd, ms, PG_WAIT_EXTENSION);
		if (rc & WL_LATCH_SET)
			ResetLatch(MyLatch);
	});
	AbsorbInterrupts();
}

/* Sleep on the latch up to ms; false when asked to stop.  A cancel ends the sleep early. */
bool Nap(long ms)
{
	const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
	for (;;) {
		if (ProcDiePending)
			return false;
		if (QueryCancelPending) {
			QueryCancelPending = false; /* nothing open to roll back: go on now */
			return true;
		}
		const auto left =
				std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()).count();
		if (left <= 0)
			return true;
		WaitOnLatch(-1, left);
		ServiceInterrupts();
	}
}

/* The message cursor over the reader's queue; also the COPY feed's source. */
class Cursor : public MsgSource {
public:
	explicit Cursor(BoundedQueue<Batch> &q) : q_(q) {}

	/*
	 * The next message, waiting up to wait on the latch and the queue's
	 * eventfd; nullptr when nothing came, or earlier when the latch was set:
	 * the caller then looks at its interrupts and calls again.
	 */
	const Msg *Next(std::chrono::milliseconds wait) override
	{
		if (idx_ < batch_.size())
			return Seen(&batch_[idx_++]);
		/*
		 * Done with the batch: its memory goes now, not when the next batch
		 * comes (it may hold a huge row), and only then do its bytes stop
		 * counting against the queue's bound.
		 */
		if (!batch_.empty() || held_ > 0) {
			Batch().swap(batch_);
			idx_ = 0;
			q_.Release(held_);
			held_ = 0;
		}
		auto b = q_.TryPopHeld(held_);
		if (!b) {
			if (q_.Closed())
				return nullptr;
			const int fd = q_.WakeFd();
			/* Without an eventfd (not expected) short waits stand in for the wake-up. */
			WaitOnLatch(fd, fd >= 0 ? wait.count() : std::min<long>(wait.count(), 5));
			b = q_.TryPopHeld(held_);
			if (!b)
				return nullptr;
		}
		batch_ = std::move(*b);
		idx_ = 0;
		return idx_ < batch_.size() ? Seen(&batch_[idx_++]) : nullptr;
	}
	/* Called with each snapshot chunk read (also inside COPY): must not throw. */
	std::function<void(const msg::CopyData &)> on_copy;
	/* Un-read the message Next() returned last. */
	void PutBack() override
	{
		if (idx_ > 0)
			idx_--;
	}
	/* Nothing more is waiting right now. */
	bool Drained() const { return idx_ >= batch_.size() && q_.Empty(); }

private:
	const Msg *Seen(const Msg *m)
	{
		if (on_copy)
			if (const auto *d = std::get_if<msg::CopyData>(m))
				on_copy(*d);
		return m;
	}
	BoundedQueue<Batch> &q_;
	Batch batch_;
	size_t idx_ = 0;
	size_t held_ = 0; /* the batch's bytes, counted by the queue until released */
};

class ReaderThread;
/* The running reader thread, so that a FATAL exit (which does not unwind) can still stop it. */
ReaderThread *active_reader = nullptr;

/* The reader thread, started with every signal blocked, stopped and joined on destruction. */
class ReaderThread {
public:
	ReaderThread(std::unique_ptr<Reader> reader, BoundedQueue<Batch> &q) : q_(q), reader_(std::move(reader))
	{
		sigset_t all, old;
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		try {
			thread_ = std::thread([this] {
				Emitter out(q_);
				reader_->Run(out);
			});
		} catch (...) {
			pthread_sigmask(SIG_SETMASK, &old, nullptr);
			throw;
		}
		pthread_sigmask(SIG_SETMASK, &old, nullptr);
		active_reader = this;
	}
	~ReaderThread() { Shutdown(); }
	ReaderThread(const ReaderThread &) = delete;
	ReaderThread &operator=(const ReaderThread &) = delete;

	/* Stop the thread and wait for it (at most about a second: heartbeats wake its reads). */
	void Shutdown() noexcept
	{
		reader_->Stop();
		q_.Close();
		if (thread_.joinable())
			thread_.join();
		if (active_reader == this)
			active_reader = nullptr;
	}

	/* The destination committed up to pos. */
	void Confirm(const Position &pos) { reader_->Confirm(pos); }

private:
	BoundedQueue<Batch> &q_;
	std::unique_ptr<Reader> reader_;
	std::thread thread_;
};

/*
 * before_shmem_exit: a FATAL error or die() ends the process without
 * unwinding the stack, so the reader thread is still running; stop it
 * before the process's memory goes away under it.
 */
void StopReaderAtExit(int code, Datum arg)
{
	if (active_reader)
		active_reader->Shutdown();
}

enum class PumpResult { Stop, Finished, SourceLost, Reload, Pause, ApplyFailed, Cancel, LockWait };

/*
 * How long an apply transaction waits for a lock on a destination object
 * (lock_timeout) before it rolls back, shows the wait in the slot's err and
 * tries again (docs/reliability.md, "Fault matrix").
 */
constexpr const char *kApplyLockTimeout = "5s";
constexpr long kLockRetryMs = 1000;

class ConnectorWorker {
public:
	ConnectorWorker(int slot, uint64 generation, std::string conninfo_json, std::string defdb, SnapshotMode mode)
		: slot_(slot), generation_(generation), json_(std::move(conninfo_json)), defdb_(std::move(defdb)), mode_(mode)
	{
	}

	void Run()
	{
		SharedState *sh = Shared();
		char name[NAMEDATALEN];
		PgCall([&] {
			LWLockAcquire(sh->lock, LW_SHARED);
			strlcpy(name, sh->slots[slot_].name, sizeof(name));
			LWLockRelease(sh->lock);
		});

		/* Before any statement: names resolve only through schemas no untrusted role can change. */
		PinWorkerSearchPath();
		ConnInfo ci = ConnInfoFromJson(name, json::Parse(json_));
		name_ = ci.name;
		TakeOptions(ci, true);
		LoadRules(ci);
		SourceConfig sc;
		sc.conninfo = ci;
		sc.destination = defdb_ + "/" + ci.dstdb;
		sc.connect_timeout_s = std::max(1, guc::connect_timeout_ms / 1000);
		sc.extra = json::Value::MakeObject();
		sc.extra.Set("heartbeat_interval_s", json::Value::MakeInt(guc::source_heartbeat_s));
		sc.extra.Set("wal_retention_warning_mb", json::Value::MakeInt(guc::wal_retention_warning_mb));
		sc.extra.Set("invalid_value_policy", json::Value::MakeString(invalid_policy_));
		/* Relative file names in a source's settings are read from the data directory, as rule files are. */
		sc.extra.Set("data_directory", json::Value::MakeString(DataDir));
		PgCall([] { StartTransactionCommand(); });
		{
			AsSuperuser su; /* a missing key is checked against synchdb_conninfo */
			DecryptSecrets(sc); /* password, TLS key passphrase */
		}
		PgCall([] { CommitTransactionCommand(); });
		std::unique_ptr<Source> source = MakeSource(std::move(sc));
		{
			const std::string where = source->CheckPrerequisites();
			PgCall([&] {
				ereport(LOG, (errmsg("synchdb connector \"%s\" connected to %s; source is ready for replication",
				                     ci.name.c_str(), where.c_str())));
			});
		}

		/* Which definition of the connector wrote the stored position (core/conninfo.hpp). */
		Applier ap(defdb_, ci.name, ci.connector, Incarnation(ci), LegacyIncarnation(ci));
		ap.Prepare();
		/* After Prepare: its metadata lock waits as long as it must; applying shows a locked table instead. */
		PgCall([] { SetConfigOption("lock_timeout", kApplyLockTimeout, PGC_SUSET, PGC_S_OVERRIDE); });

		long backoff_ms = 1000;
		for (;;) {
			/*
			 * Paused (asked now, or before the server restarted): no source
			 * connection until resumed.  Under schemasync the pause waits
			 * until the tables exist (it is taken at the snapshot's end).
			 */
			StoredOffset off = ap.LoadOffset();
			schema_pending_ = mode_ == SnapshotMode::SchemaSync && !off.snapshot_done;
			if (PauseWanted(slot_) && !schema_pending_) {
				if (!Park())
					break;
				off = ap.LoadOffset(); /* synchdb_set_offset may have moved it */
			}
			StartPoint rc;
			rc.mapping = mapping_;
			if (guc::snapshot_binary_copy)
				rc.copy_formats = std::make_shared<binarycopy::Formats>();
			ap.SetCopyFormats(rc.copy_formats);
			snapshotting_ = false;
			truncate_ = false;
			switch (mode_) {
			case SnapshotMode::Initial:
			case SnapshotMode::InitialOnly:
				if (!off.snapshot_done) {
					rc.snapshot_with_data = true;
					snapshotting_ = true;
					truncate_ = true; /* the snapshot replaces what the tables hold */
				}
				rc.stop_after_snapshot = mode_ == SnapshotMode::InitialOnly;
				if (mode_ == SnapshotMode::InitialOnly && off.snapshot_done) {
					SetSlotStage(slot_, generation_, ConnectorStage::InitialSnapshot);
					PgCall([&] {
						ereport(LOG, (errmsg("synchdb connector \"%s\": the initial snapshot was already taken; "
						                     "snapshot mode initial_only has nothing to do",
						                     ci.name.c_str())));
					});
					return;
				}
				break;
			case SnapshotMode::NoData:
			case SnapshotMode::SchemaSync:
			case SnapshotMode::Never:
				if (!off.snapshot_done)
					rc.snapshot_with_data = false;
				break;
			case SnapshotMode::Always:
				if (!always_done_) {
					rc.snapshot_with_data = true;
					snapshotting_ = true;
					truncate_ = true;
				}
				break;
			}
			resuming_ = off.snapshot_done && !rc.snapshot_with_data;
			snapshot_run_ = rc.snapshot_with_data.has_value();
			snapshot_started_ = false;
			if (resuming_) {
				rc.resume = off.pos;
				rc.schema_history = off.history;
			}
			if (off.exists)
				PublishOffset(off.pos);

			/* 64 batches or 16 MB of payload (one batch of a bigger row always fits): see emitter.hpp. */
			BoundedQueue<Batch> queue(64, 16 << 20);
			PumpResult result;
			std::string lost;
			{
				ReaderThread reader(source->NewReader(rc), queue);
				reader_ = &reader;
				unconfirmed_.clear(); /* the new reader starts from the stored position: nothing to confirm yet */
				Cursor cursor(queue);
				cursor.on_copy = [this](const msg::CopyData &d) { CountCopyRows(d); };
				try {
					result = Pump(ap, cursor, lost);
					/* Refused, canceled or waiting for a lock: the open transaction is rolled back, not settled. */
					if (result != PumpResult::ApplyFailed && result != PumpResult::Cancel &&
					    result != PumpResult::LockWait)
						Settle(ap);
				} catch (const PgError &e) {
					if (e.sqlerrcode() != ERRCODE_QUERY_CANCELED) {
						reader_ = nullptr;
						ap.Abort();
						throw;
					}
					result = PumpResult::Cancel; /* canceled inside PostgreSQL code */
				} catch (...) {
					reader_ = nullptr;
					ap.Abort();
					throw;
				}
				reader_ = nullptr;
			}
			ap.Abort();
			batch_first_src_ms_ = batch_first_pg_ms_ = 0; /* what was not committed is applied again */
			if (result == PumpResult::Stop || result == PumpResult::Finished)
				break;
			if (result == PumpResult::Pause)
				continue; /* parks at the top of the loop; resumes from the committed position */
			if (result == PumpResult::Cancel) {
				Log(LOG, "canceled (pg_cancel_backend): the open transaction was rolled back; replication goes on "
				         "from the last committed position");
				continue;
			}
			if (result == PumpResult::LockWait) {
				/* Not an apply error: nothing was refused; the rolled-back changes come again from the stored position. */
				const std::string shown = lock_wait_ + "; retrying in " + std::to_string(kLockRetryMs / 1000) + " s";
				if (lock_wait_ != lock_wait_logged_) {
					Log(LOG, shown);
					lock_wait_logged_ = lock_wait_;
				}
				SetSlotError(slot_, generation_, shown.c_str());
				SetSlotState(slot_, generation_, ConnectorState::Restarting);
				if (!Nap(kLockRetryMs))
					break;
				continue;
			}
			lock_wait_logged_.clear();
			if (result == PumpResult::ApplyFailed) {
				/* Only under skip or retry (exit stops with the error); the destination rolled back to its last commit. */
				if (strategy_ == guc::kSkip) {
					careful_commits_left_ = failed_group_commits_ + 1;
					Log(WARNING, "a change could not be applied: " + apply_error_ +
					                 "; replaying from the last committed position one change at a time, "
					                 "refused changes go to _synchdb.dead_letters (synchdb.error_handling_strategy "
					                 "= skip)");
					continue;
				}
				const std::string shown = "a change could not be applied: " + apply_error_ + "; retrying in " +
				                          std::to_string(retry_ms_ / 1000) + " s (synchdb.error_handling_strategy = retry)";
				Log(WARNING, shown);
				SetSlotError(slot_, generation_, shown.c_str());
				SetSlotState(slot_, generation_, ConnectorState::Restarting);
				if (!Nap(retry_ms_))
					break;
				retry_ms_ = std::min(retry_ms_ * 2, 60000L);
				continue;
			}
			if (result == PumpResult::Reload) {
				/* New rules: restart the reader from the committed position; the tables follow the rules. */
				/* Rules the destination database cannot use are reported; replication goes on with the old ones. */
				std::string previous = json_;
				json_ = reload_payload_;
				std::string problem;
				try {
					const ConnInfo next = ConnInfoFromJson(ci.name, json::Parse(json_));
					LoadRules(ci);
					TakeOptions(next, false); /* error_handling_strategy; invalid_value_policy waits for a start */
					rules_error_.clear();
				} catch (const Error &e) {
					problem = e.what();
				} catch (const PgError &e) {
					problem = e.what();
				}
				const char *conn = ci.name.c_str();
				if (!problem.empty()) {
					json_ = previous;
					rules_error_ = "new rules not applied, the previous ones stay: " + problem;
					const char *p = problem.c_str();
					PgCall([&] {
						ereport(WARNING, (errmsg("synchdb connector \"%s\": new rules not applied, the previous ones stay: %s",
						                         conn, p)));
					});
				} else
					PgCall([&] {
						ereport(LOG, (errmsg("synchdb connector \"%s\": reloaded its object map and rule file", conn)));
					});
				continue;
			}
			if (progressed_)
				backoff_ms = 1000; /* the source came back since the last outage */
			progressed_ = false;
			SetSlotError(slot_, generation_,
			             (lost + "; reconnecting in " + std::to_string(backoff_ms / 1000) + " s").c_str());
			SetSlotState(slot_, generation_, ConnectorState::Restarting);
			if (!Nap(backoff_ms))
				break;
			backoff_ms = std::min(backoff_ms * 2, 60000L);
		}
	}

private:
	/* The rules from the rule file and the object map handed over in the slot, checked in this database. */
	void LoadRules(const ConnInfo &ci)
	{
		std::vector<ObjmapRow> objmap;
		json::Value payload = json::Parse(json_);
		if (const json::Value *o = payload.Find("objmap"))
			objmap = ObjmapFromJson(json::Write(*o));
		PgCall([] { StartTransactionCommand(); });
		try {
			auto m = LoadMapping(ci, objmap);
			mapping_ = m->Empty() ? nullptr : m;
		} catch (...) {
			PgCall([] { AbortCurrentTransaction(); });
			throw;
		}
		PgCall([] { CommitTransactionCommand(); });
	}

	void PublishOffset(const Position &pos) { SetSlotOffset(slot_, generation_, pos.offset.c_str()); }

	/*
	 * The connector's own options (synchdb_set_connector_option), else the
	 * GUCs: error_handling_strategy at start and at a reload,
	 * invalid_value_policy (handed to the source) at start only.  Shown in
	 * the state view.
	 */
	void TakeOptions(const ConnInfo &ci, bool at_start)
	{
		static const char *const kStrategies[] = {"exit", "skip", "retry"};
		const std::string s = ci.Option("error_handling_strategy");
		strategy_ = s == "exit" ? guc::kExit : s == "skip" ? guc::kSkip : s == "retry" ? guc::kRetry
		                                                                        : guc::error_handling_strategy;
		if (at_start) {
			const std::string p = ci.Option("invalid_value_policy");
			invalid_policy_ = p.empty() ? guc::InvalidValuePolicyName() : p;
		}
		const int k = strategy_ >= guc::kExit && strategy_ <= guc::kRetry ? strategy_ : guc::kExit;
		SetSlotOptions(slot_, generation_, kStrategies[k], invalid_policy_.c_str());
	}

	/* ------------------------------------------------ snapshot progress */

	/* The figures of the snapshot running now (or done), to the slot. */
	void PublishSnapshot()
	{
		const SnapshotFigures f = progress_.At(0); /* the rate is worked out when read */
		snap_.tables_done = f.tables_done;
		snap_.tables_total = f.tables_total;
		snap_.rows = f.rows;
		snap_.rows_expected = f.rows_expected;
		SetSnapshotProgress(slot_, generation_, snap_);
		last_publish_ = std::chrono::steady_clock::now();
	}
	/*
	 * Rows of the table being copied, from its chunks (COPY text: one newline
	 * per row; binary COPY rows: walked by their length words); at most 4
	 * publishes a second.
	 */
	void CountCopyRows(const msg::CopyData &d) noexcept
	{
		if (d.table != copy_table_)
			return; /* the first chunk, read before its table's COPY begins (read again inside) */
		copy_rows_ += d.binary ? binarycopy::CountRows(d.text)
		                       : static_cast<uint64_t>(std::count(d.text.begin(), d.text.end(), '\n'));
		progress_.Rows(copy_table_, copy_rows_);
		if (std::chrono::steady_clock::now() - last_publish_ >= std::chrono::milliseconds(250))
			PublishSnapshot();
	}

	void CommitAt(Applier &ap, const Position &pos, bool snapshot_done)
	{
		ap.Commit(pos, snapshot_done);
		/*
		 * The commit is asynchronous (synchronous_commit = off): a crash can
		 * still lose it.  The source hears of the position only once the
		 * commit's WAL is flushed, as PostgreSQL's own apply worker reports
		 * its flush position; until then the source keeps what it would
		 * have to send again.
		 */
		const XLogRecPtr local = XactLastCommitEnd;
		unconfirmed_.push_back({local, pos});
		if (unconfirmed_.size() > 4096)
			unconfirmed_.pop_front(); /* never confirmed, a later one is: the source keeps a little more */
		ConfirmFlushed();
		PublishOffset(pos);
		const ApplyStats &a = ap.Stats();
		source_txns_ += group_.commits;
		if (!batch_first_src_ms_)
			batch_first_src_ms_ = static_cast<int64>(pos.ts_usec / 1000);
		const SlotStats raw{a.inserts,     a.updates,  a.deletes, a.truncates,     a.ddls,
		                    ddls_skipped_, ddls_noop_, a.txns,    a.snapshot_rows, values_replaced_,
		                    a.skipped,     static_cast<int64>(pos.ts_usec), source_txns_,
		                    batch_first_src_ms_, batch_first_pg_ms_ ? batch_first_pg_ms_ : NowUnixMs()};
		batch_first_src_ms_ = batch_first_pg_ms_ = 0;
		retry_ms_ = 1000; /* a commit went through: the next failure starts the waits again */
		if (!lock_wait_logged_.empty()) {
			lock_wait_logged_.clear(); /* the lock was released */
			SetSlotError(slot_, generation_, rules_error_.c_str());
		}
		const char *skipped_ddl = last_skipped_ddl_.empty() ? nullptr : last_skipped_ddl_.c_str();
		if (SetSlotStats(slot_, generation_, Since(raw, stats_base_), skipped_ddl)) {
			/* synchdb_reset_stats zeroed what was shown: count from what was shown then */
			stats_base_ = shown_raw_;
			last_skipped_ddl_.clear();
			SetSlotStats(slot_, generation_, Since(raw, stats_base_), nullptr);
		}
		shown_raw_ = raw;
	}

	/*
	 * Commit grouping, the one place that decides when a destination
	 * transaction ends.  Several source transactions share one destination
	 * transaction; it commits with the position of the last complete source
	 * transaction when the reader has nothing more queued or 10000 changes
	 * have gathered -- but only if no change of the next source transaction
	 * has been applied since: a batch from the reader may end inside a
	 * transaction, and committing its first rows with the previous position
	 * would apply them twice after a restart.  Otherwise the commit waits for
	 * that transaction's own Commit.
	 */
	struct CommitGroup {
		Position pending;
		bool have_pending = false;
		size_t changes_at_pending = 0;

		/* A source transaction ended at pos after `changes` changes of this destination transaction. */
		size_t commits = 0; /* source transactions in this destination transaction */
		void SourceCommitted(const Position &pos, size_t changes)
		{
			commits++;
			pending = pos;
			have_pending = true;
			changes_at_pending = changes;
		}
		/* Nothing of a later source transaction has been applied yet. */
		bool AtBoundary(size_t changes) const { return changes == (have_pending ? changes_at_pending : 0); }
		bool CanCommit(size_t changes) const { return have_pending && changes == changes_at_pending; }
	};

	void Show(ConnectorState s)
	{
		if (s != state_shown_) {
			SetSlotState(slot_, generation_, s);
			state_shown_ = s;
		}
	}
	/* Tell the source of the newest committed position whose commit is flushed to disk. */
	void ConfirmFlushed()
	{
		if (unconfirmed_.empty())
			return;
		const XLogRecPtr flushed = PgCall([] { return GetFlushRecPtr(nullptr); });
		const Position *newest = nullptr;
		size_t n = 0;
		for (const auto &u : unconfirmed_) {
			if (u.local > flushed)
				break;
			newest = &u.pos;
			n++;
		}
		if (!newest)
			return;
		if (reader_)
			reader_->Confirm(*newest);
		unconfirmed_.erase(unconfirmed_.begin(), unconfirmed_.begin() + static_cast<long>(n));
	}

	/*
	 * Leaving the reader (stop, finish, reload, lost source): commit the
	 * complete source transactions applied so far, flush their WAL and
	 * tell the source, so that it keeps no more than it must while the
	 * connector is away (and a restart decodes no more than it must).
	 */
	void Settle(Applier &ap)
	{
		if (!PostmasterIsAlive())
			return;
		FlushGroup(ap);
		if (unconfirmed_.empty())
			return;
		PgCall([] { XLogFlush(XactLastCommitEnd); });
		ConfirmFlushed();
	}

	/*
	 * Paused: the source connection is closed, everything applied is
	 * committed and confirmed.  Waits until synchdb_resume_engine clears the
	 * request (true) or the worker is told to stop (false).
	 */
	bool Park()
	{
		SetSlotState(slot_, generation_, ConnectorState::Paused);
		state_shown_ = ConnectorState::Paused;
		Log(LOG, "paused; synchdb_resume_engine('" + name_ + "') resumes it");
		while (PauseWanted(slot_))
			if (!Nap(100))
				return false;
		SetSlotState(slot_, generation_, ConnectorState::Initializing);
		state_shown_ = ConnectorState::Initializing;
		Log(LOG, "resumed");
		return true;
	}

	/* Counters since a reset: raw totals minus those shown when it was asked for. */
	static SlotStats Since(const SlotStats &raw, const SlotStats &base)
	{
		SlotStats s = raw;
		s.inserts -= base.inserts;
		s.updates -= base.updates;
		s.deletes -= base.deletes;
		s.truncates -= base.truncates;
		s.ddls -= base.ddls;
		s.ddls_skipped -= base.ddls_skipped;
		s.ddls_noop -= base.ddls_noop;
		s.txns -= base.txns;
		s.snapshot_rows -= base.snapshot_rows;
		s.values_replaced -= base.values_replaced;
		s.changes_skipped -= base.changes_skipped;
		s.source_txns -= base.source_txns;
		return s;
	}

	/* Stage changes are rare: only touch shared memory when it changes (not per row). */
	void Stage(ConnectorStage s)
	{
		if (s != stage_shown_) {
			SetSlotStage(slot_, generation_, s);
			stage_shown_ = s;
		}
	}
	void FlushGroup(Applier &ap)
	{
		if (group_.CanCommit(ap.ChangesInTxn())) {
			CommitAt(ap, group_.pending, false);
			group_.have_pending = false;
			group_.commits = 0;
		}
	}
	void Log(int level, const std::string &text)
	{
		const std::string safe = EscapeControls(text); /* source names may hold newlines */
		const char *t = safe.c_str();
		const char *conn = name_.c_str();
		PgCall([&] { ereport(level, (errmsg("synchdb connector \"%s\": %s", conn, t))); });
	}

	/* ------------------------------------------------ one handler per message kind */

	void OnTables(Applier &ap, const msg::Tables &m)
	{
		ap.DefineTables(m.tables, m.history, truncate_);
		if (!snapshotting_ && m.tables) {
			/* Streaming only: make the tables now; positions come with the first commit. */
			PgCall([] { CommitTransactionCommand(); });
			if (resuming_)
				Stage(ConnectorStage::ChangeDataCapture);
		}
		if (snapshot_run_ && !snapshot_started_ && m.tables) {
			/* A snapshot begins (again, after a lost source): its figures start over. */
			snapshot_started_ = true;
			progress_.Begin(std::vector<int64_t>(m.tables->size(), -1), 0);
			snap_ = SnapshotSlotFigures{};
			snap_.begin_ms = NowUnixMs();
			copy_table_ = -1;
			PublishSnapshot();
		}
	}
	/* The first CopyData of a table: the whole table through COPY (CopyTable reads up to its CopyEnd). */
	bool OnCopyData(Applier &ap, Cursor &cursor, int table, std::string &lost)
	{
		Stage(ConnectorStage::InitialSnapshot);
		Show(ConnectorState::Executing);
		copy_table_ = table;
		copy_rows_ = 0;
		cursor.PutBack();
		uint64_t rows = 0;
		try {
			rows = ap.CopyTable(table, cursor);
		} catch (const PgError &e) {
			/* The source went away during the snapshot: start over after reconnecting. */
			if (e.sqlerrcode() != ERRCODE_CONNECTION_FAILURE)
				throw;
			lost = e.what();
			return false;
		}
		copy_table_ = -1;
		ap.SnapshotTableCopied(table); /* may commit the snapshot's current group of tables */
		progress_.Done(table, rows);
		PublishSnapshot();
		return true;
	}
	/* A table without rows (the others' CopyEnd is read by their COPY). */
	void OnCopyEnd(Applier &ap, const msg::CopyEnd &m)
	{
		/* A table without rows (one with rows ends inside CopyTable). */
		ap.SnapshotTableCopied(m.table);
		progress_.Done(m.table, m.rows);
		PublishSnapshot();
	}
	void OnSnapshotEstimate(const msg::SnapshotEstimate &m)
	{
		progress_.Estimates(m.rows);
		PublishSnapshot();
	}
	void OnSnapshotDone(Applier &ap, const msg::SnapshotDone &m)
	{
		CommitAt(ap, m.pos, true);
		if (snapshot_started_) {
			if (!snapshotting_) /* schema only: its tables are created */
				for (int t = 0; ap.Tables() && t < static_cast<int>(ap.Tables()->size()); t++)
					progress_.Done(t, 0);
			snap_.end_ms = NowUnixMs();
			PublishSnapshot();
		}
		trim_pending_ = true; /* the snapshot's buffers (big rows, COPY) go back to the system once idle */
		always_done_ = true;
		snapshotting_ = false;
		schema_pending_ = false; /* schemasync: the pause it asked for is taken now */
		/* initial_only ends here: its stage stays "initial snapshot". */
		Stage(mode_ == SnapshotMode::InitialOnly ? ConnectorStage::InitialSnapshot : ConnectorStage::ChangeDataCapture);
	}
	void OnChange(Applier &ap, const msg::Change &m)
	{
		Show(ConnectorState::Executing);
		Stage(ConnectorStage::ChangeDataCapture);
		ap.Apply(m);
		if (m.after.buf.size() + m.before.buf.size() >= kBigRowBytes)
			trim_pending_ = true;
	}
	/* error_handling_strategy skip, replaying the transactions around a refused change: one at a time. */
	void OnChangeCareful(Applier &ap, const msg::Change &m)
	{
		Show(ConnectorState::Executing);
		if (!ap.ApplyOrSetAside(m))
			Log(WARNING, "a change to " + (*ap.Tables())[m.table].SourceName() +
			                 " was refused and set aside in _synchdb.dead_letters (see its message there)");
	}
	void OnCommit(Applier &ap, Cursor &cursor, const msg::Commit &m)
	{
		group_.SourceCommitted(m.pos, ap.ChangesInTxn());
		if (group_.commits == 1)
			batch_first_src_ms_ = static_cast<int64>(m.pos.ts_usec / 1000);
		ap.NoteSourcePosition(m.pos);
		if (careful_commits_left_ > 0) {
			FlushGroup(ap);
			if (--careful_commits_left_ == 0)
				Log(LOG, "past the refused change: applying source transactions in groups again");
			return;
		}
		if (ap.ChangesInTxn() >= 10000 || cursor.Drained())
			FlushGroup(ap);
	}
	void OnSchemaChange(Applier &ap, const msg::SchemaChange &m)
	{
		Show(ConnectorState::Executing);
		ap.ApplySchemaChange(m);
		Log(LOG, "replicated " + m.summary);
	}
	void OnNotice(const msg::Notice &m)
	{
		switch (m.kind) {
		case NoticeKind::DdlNoop:
			ddls_noop_++;
			return;
		case NoticeKind::Warning:
			source_warning_ = m.text;
			SetSlotError(slot_, generation_, (source_warning_.empty() ? rules_error_ : source_warning_).c_str());
			if (!m.text.empty())
				Log(WARNING, m.text);
			return;
		case NoticeKind::ValuesReplaced:
			values_replaced_ += m.count;
			if (!m.text.empty())
				Log(WARNING, m.text);
			return;
		case NoticeKind::DdlSkipped:
			ddls_skipped_++;
			last_skipped_ddl_ = m.text.substr(0, 255);
			break;
		case NoticeKind::Log:
			break;
		}
		Log(LOG, m.text);
	}

	/* Apply messages until told to stop, the reader finishes, or the source is lost. */
	PumpResult Pump(Applier &ap, Cursor &cursor, std::string &lost)
	{
		group_ = CommitGroup{};
		state_shown_ = ConnectorState::Initializing;
		bool cleared_error = false;
		for (;;) {
			if (ProcDiePending || !PostmasterIsAlive())
				return PumpResult::Stop;
			ServiceInterrupts();
			if (QueryCancelPending) {
				QueryCancelPending = false;
				return PumpResult::Cancel;
			}
			/* Rules change between source transactions: take a reload only with nothing half-applied. */
			if (!snapshotting_ && group_.AtBoundary(ap.ChangesInTxn()) && ReloadPending(slot_)) {
				reload_payload_.assign(kConnInfoLen, '\0');
				if (TakeReloadRequest(slot_, generation_, reload_payload_.data())) {
					reload_payload_.resize(strnlen(reload_payload_.data(), kConnInfoLen));
					FlushGroup(ap);
					return PumpResult::Reload;
				}
			}
			/* A pause, like a reload, waits for a source transaction boundary (and for the snapshot's end). */
			if (!snapshotting_ && !schema_pending_ && group_.AtBoundary(ap.ChangesInTxn()) && PauseWanted(slot_)) {
				FlushGroup(ap);
				return PumpResult::Pause;
			}
			const Msg *m = cursor.Next(std::chrono::milliseconds(50));
			if (!m) {
				try {
					FlushGroup(ap); /* writes buffered INSERTs: PostgreSQL may refuse one here */
				} catch (const PgError &e) {
					if (e.sqlerrcode() == ERRCODE_LOCK_NOT_AVAILABLE)
						return LockWait(ap, -1, e);
					if (Canceled(e) || !SetsAside(true))
						throw;
					return Refused(e);
				}
				ConfirmFlushed();
				Show(ConnectorState::Syncing);
				if (trim_pending_) {
					/*
					 * Idle after a big row or a snapshot: glibc keeps freed
					 * memory for reuse; give it back (every arena, the reader
					 * thread's too), so the worker returns to its idle size.
					 */
					malloc_trim(0);
					trim_pending_ = false;
				}
				continue;
			}
			if (!cleared_error) {
				if (lock_wait_logged_.empty()) /* a lock wait stays shown until a commit goes through */
					SetSlotError(slot_, generation_, rules_error_.c_str());
				cleared_error = true;
				progressed_ = true;
			}
			if (!batch_first_pg_ms_)
				batch_first_pg_ms_ = NowUnixMs(); /* the destination transaction's first message */
			using Next = std::optional<PumpResult>; /* set: leave the loop with it */
			Next next;
			const int table = TableOf(*m); /* *m may be gone when a COPY read past it */
			try {
				next = Dispatch(ap, cursor, *m, lost);
			} catch (const PgError &e) {
				/*
				 * PostgreSQL refused a change (when applied, or when buffered
				 * INSERTs were written at the commit): under skip or retry the
				 * destination rolls back to its last commit and the run loop
				 * decides.  A refusal while replaying change by change, or of
				 * anything else (DDL, a snapshot), stops the connector.
				 */
				if (e.sqlerrcode() == ERRCODE_LOCK_NOT_AVAILABLE)
					return LockWait(ap, table, e);
				if (Canceled(e) ||
				    !SetsAside(std::holds_alternative<msg::Change>(*m) || std::holds_alternative<msg::Commit>(*m)))
					throw;
				return Refused(e);
			}
			if (next)
				return *next;
		}
	}

	/* pg_cancel_backend, not a refusal: Run rolls back and goes on from the last commit. */
	static bool Canceled(const PgError &e) { return e.sqlerrcode() == ERRCODE_QUERY_CANCELED; }
	/* Whether a refusal while applying (a change, or a commit writing buffered rows) goes to the run loop. */
	bool SetsAside(bool applying) const
	{
		return applying && strategy_ != guc::kExit && careful_commits_left_ == 0;
	}
	/* The table a message writes to, -1 for none. */
	static int TableOf(const Msg &m)
	{
		if (const auto *c = std::get_if<msg::Change>(&m))
			return c->table;
		if (const auto *d = std::get_if<msg::CopyData>(&m))
			return d->table;
		return -1;
	}
	/* lock_timeout ran out on a destination object another session holds: the run loop waits and retries. */
	PumpResult LockWait(Applier &ap, int table, const PgError &e)
	{
		std::string what = "a destination object";
		if (table >= 0 && ap.Tables() && static_cast<size_t>(table) < ap.Tables()->size())
			what = "table " + (*ap.Tables())[table].QualifiedPgName();
		lock_wait_ = "waiting for a lock on " + what + " held by another session (" + e.what() + ")";
		return PumpResult::LockWait;
	}
	PumpResult Refused(const PgError &e)
	{
		apply_error_ = e.what();
		failed_group_commits_ = group_.commits;
		return PumpResult::ApplyFailed;
	}

	/* One handler per message type; a value: leave the loop with it. */
	std::optional<PumpResult> Dispatch(Applier &ap, Cursor &cursor, const Msg &msg_, std::string &lost)
	{
		using Next = std::optional<PumpResult>;
		return std::visit(
				Overloaded{
					[&](const msg::Tables &t) -> Next {
						OnTables(ap, t);
						return {};
					},
					[&](const msg::CopyData &d) -> Next {
						return OnCopyData(ap, cursor, d.table, lost) ? Next{} : PumpResult::SourceLost;
					},
					[&](const msg::CopyEnd &e) -> Next {
						OnCopyEnd(ap, e);
						return {};
					},
					[&](const msg::SnapshotEstimate &e) -> Next {
						OnSnapshotEstimate(e);
						return {};
					},
					[&](const msg::SnapshotDone &d) -> Next {
						OnSnapshotDone(ap, d);
						return {};
					},
					[&](const msg::Change &c) -> Next {
						/* Before SnapshotDone a change is a big snapshot row sent alone: part of its table's copy. */
						if (snapshotting_)
							return OnCopyData(ap, cursor, c.table, lost) ? Next{} : PumpResult::SourceLost;
						if (careful_commits_left_ > 0) {
							OnChangeCareful(ap, c);
							return {};
						}
						OnChange(ap, c);
						return {};
					},
					[&](const msg::Commit &c) -> Next {
						OnCommit(ap, cursor, c);
						return {};
					},
					[&](const msg::SchemaChange &c) -> Next {
						OnSchemaChange(ap, c);
						return {};
					},
					[&](const msg::Notice &n) -> Next {
						OnNotice(n);
						return {};
					},
					[&](const msg::Finished &) -> Next {
						FlushGroup(ap);
						return PumpResult::Finished;
					},
					[&](const msg::SourceLost &l) -> Next {
						lost = l.text;
						return PumpResult::SourceLost;
					},
					[&](const msg::Failure &f) -> Next {
						throw Error(f.sqlstate.empty() ? sqlstate::kInternalError : f.sqlstate, f.text, f.detail,
						            f.hint);
					},
				},
			msg_);
	}

	int slot_;
	uint64 generation_;
	std::string json_;
	std::string defdb_;
	SnapshotMode mode_;
	bool schema_pending_ = false; /* schemasync before its tables exist: a pause waits */
	bool snapshotting_ = false;
	bool truncate_ = false;
	bool always_done_ = false;
	bool progressed_ = false;
	bool resuming_ = false; /* streaming from a stored position, no snapshot this time */
	bool trim_pending_ = false; /* a big row or a snapshot was applied: return freed memory once idle */
	std::string name_;
	ReaderThread *reader_ = nullptr; /* the running reader, to confirm committed positions to */
	struct Unconfirmed {
		XLogRecPtr local; /* end of the destination commit's WAL */
		Position pos;
	};
	std::deque<Unconfirmed> unconfirmed_; /* committed, not yet known to be flushed, oldest first */
	std::shared_ptr<const Mapping> mapping_;
	std::string reload_payload_;
	std::string rules_error_; /* a reload whose rules could not be used, shown in the slot's err */
	std::string source_warning_; /* a condition at the source the DBA should see (slot holding WAL), shown in err */
	ConnectorStage stage_shown_ = ConnectorStage::None;
	ConnectorState state_shown_ = ConnectorState::Initializing;
	CommitGroup group_;
	uint64 ddls_skipped_ = 0;
	uint64 ddls_noop_ = 0;
	uint64 values_replaced_ = 0;
	SlotStats stats_base_{};  /* raw totals at the last synchdb_reset_stats */
	SlotStats shown_raw_{};   /* raw totals of the last publish */
	int strategy_ = guc::kExit;           /* error_handling_strategy: the connector's option, else the GUC */
	std::string invalid_policy_;          /* invalid_value_policy likewise, fixed at start */
	uint64 source_txns_ = 0;              /* source transactions committed */
	int64 batch_first_src_ms_ = 0;        /* the open destination transaction: its first source commit time */
	int64 batch_first_pg_ms_ = 0;         /* and when its first message was applied; 0 none yet */
	bool snapshot_run_ = false;           /* this reader takes a snapshot (with data or schema only) */
	bool snapshot_started_ = false;       /* its figures were started */
	SnapshotProgress progress_;
	SnapshotSlotFigures snap_;
	int copy_table_ = -1;                 /* the table whose COPY runs, -1 none */
	uint64_t copy_rows_ = 0;              /* its rows so far */
	std::chrono::steady_clock::time_point last_publish_{};
	size_t careful_commits_left_ = 0;     /* skip: source transactions still to apply change by change */
	size_t failed_group_commits_ = 0;     /* source transactions committed in the group a refused change was in */
	std::string lock_wait_;        /* what the last lock wait was on, shown in err */
	std::string lock_wait_logged_; /* the wait last written to the log: one line per wait, not per retry */
	std::string apply_error_;             /* the refused change's error */
	long retry_ms_ = 1000;                /* retry: the next wait */
	std::string last_skipped_ddl_;
};

/* Attach to the slot; false if this launch is stale. Plain C. */
bool AttachSlot(int slot, uint64 generation, char *conninfo, char *dstdb, char *defdb, char *mode)
{
	SharedState *sh = SharedOrNull();
	if (!sh || slot < 0 || slot >= sh->nslots)
		return false;
	LWLockAcquire(sh->lock, LW_EXCLUSIVE);
	ConnectorSlot *s = &sh->slots[slot];
	bool ok = s->generation == generation && s->launching;
	if (ok) {
		s->pid = MyProcPid;
		s->launching = false;
		s->state = ConnectorState::Initializing;
		strlcpy(conninfo, s->conninfo, kConnInfoLen);
		strlcpy(dstdb, s->dstdb, NAMEDATALEN);
		strlcpy(defdb, s->defdb, NAMEDATALEN);
		strlcpy(mode, s->snapshot_mode, 16);
	}
	LWLockRelease(sh->lock);
	return ok;
}

}  // namespace
}  // namespace synchdb::pg

using namespace synchdb;
using namespace synchdb::pg;

extern "C" {

void synchdb_connector_main(Datum arg)
{
	const int slot = DatumGetInt32(arg);
	uint64 generation;
	Oid dst_oid, owner;
	memcpy(&generation, MyBgworkerEntry->bgw_extra, sizeof(generation));
	memcpy(&dst_oid, MyBgworkerEntry->bgw_extra + sizeof(generation), sizeof(Oid));
	memcpy(&owner, MyBgworkerEntry->bgw_extra + sizeof(generation) + sizeof(Oid), sizeof(Oid));

	pqsignal(SIGTERM, die);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	BackgroundWorkerUnblockSignals();

	static char conninfo[kConnInfoLen];
	char dstdb[NAMEDATALEN];
	char defdb[NAMEDATALEN];
	char mode[16];
	if (!AttachSlot(slot, generation, conninfo, dstdb, defdb, mode))
		return; /* stale launch: the slot was reassigned */
	my_slot = slot;
	my_generation = generation;
	before_shmem_exit(DetachSlot, (Datum) 0);
	before_shmem_exit(StopReaderAtExit, (Datum) 0); /* runs first: callbacks run in reverse order */

	PG_TRY();
	{
		/*
		 * A missing database, or an owner dropped, made NOLOGIN or denied
		 * CONNECT since the start was checked, is FATAL, which no handler
		 * sees: say so beforehand.
		 */
		char note[kErrLen];
		snprintf(note, sizeof(note),
		         "could not connect to destination database \"%s\" as the connector's owner; see the server log "
		         "(does the database exist? may the owner log in and connect to it?)",
		         dstdb);
		SetSlotError(slot, generation, note);
		/* As the connector's owner; InvalidOid (a definition without owner): the bootstrap superuser. */
		BackgroundWorkerInitializeConnectionByOid(dst_oid, owner, 0);
		SetSlotError(slot, generation, "");
		InvokeCpp([&] {
			ConnectorWorker worker(slot, generation, conninfo, defdb, ParseSnapshotMode(mode));
			worker.Run();
		});
	}
	PG_CATCH();
	{
		RecordErrorInSlot();
		PG_RE_THROW();
	}
	PG_END_TRY();
}

}  // extern "C"
