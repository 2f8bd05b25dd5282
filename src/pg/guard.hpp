/*
 * guard.hpp
 *     The two error guards between C++ and PostgreSQL.
 *
 * NOTES
 *   PostgreSQL reports errors with ereport(ERROR), which longjmps; C++
 *   reports them with exceptions, which unwind and run destructors.  Neither
 *   may cross the other's frames:
 *
 *   - InvokeCpp(body): every C entry point (SQL function, background worker
 *     main, hook) runs its body through it.  A C++ exception leaving the
 *     body is caught, every C++ object of the body is destroyed, and only
 *     then, from this plain frame, is the error raised with ereport(ERROR):
 *     a synchdb::Error keeps its SQLSTATE, message, detail and hint; a
 *     PgError (a PostgreSQL error caught by PgCall below) is re-thrown with
 *     all its fields; std::bad_alloc becomes out_of_memory; anything else
 *     internal_error.
 *
 *   - PgCall(fn): every PostgreSQL call that can ereport(ERROR) from a frame
 *     holding C++ objects goes through it.  It sets a PG_TRY; on error it
 *     copies the ErrorData into the caller's memory context, flushes the
 *     error state and throws PgError, so that C++ unwinds normally.  fn
 *     itself must hold no objects with destructors (a lambda calling C
 *     functions).  FATAL and PANIC are not errors in this sense: they end
 *     the process and are not caught.
 *
 *   Only a worker's main thread (or a backend) may call either.
 */
#pragma once

#include <exception>
#include <type_traits>
#include <utility>

#include "core/error.hpp"
#include "pg/postgres_headers.hpp"

namespace synchdb::pg {

/* A PostgreSQL error caught by PgCall, carried through C++ frames. */
class PgError : public std::exception {
public:
	explicit PgError(ErrorData *edata) : edata_(edata) {}
	const char *what() const noexcept override;
	int sqlerrcode() const { return edata_ ? edata_->sqlerrcode : 0; }
	const ErrorData *data() const { return edata_; }
	/* Hand the ErrorData over (to InvokeCpp, which re-throws it). */
	ErrorData *Release() { return std::exchange(edata_, nullptr); }

private:
	ErrorData *edata_; /* palloc'd in the context current at the failed call */
};

/* Plain data describing an error to raise; trivially destructible on purpose. */
struct PendingError {
	int sqlerrcode = 0;
	char message[2048] = {0};
	char detail[2048] = {0};
	char hint[1024] = {0};
	ErrorData *pg_edata = nullptr;
	bool hide_statement = false; /* the statement holds a secret: keep it out of the server log */

	void FromException(std::exception_ptr ep) noexcept;
	/* Raise it: ereport(ERROR), never returns. */
	[[noreturn]] void Raise() const;
};

/* SQLSTATE string ("22023") to PostgreSQL's integer code. */
int SqlStateToCode(const char *sqlstate);

/*
 * hide_statement: the statement's text holds a secret (a password): the
 * error is logged without it (errhidestmt), whatever log_min_error_statement.
 */
template <typename Body>
auto InvokeCpp(Body &&body, bool hide_statement = false) -> decltype(body())
{
	PendingError pending;
	pending.hide_statement = hide_statement;
	try {
		return body();
	} catch (...) {
		pending.FromException(std::current_exception());
	}
	/* The exception object and every C++ local of body are gone here. */
	pending.Raise();
}

template <typename Fn>
auto PgCall(Fn &&fn) -> decltype(fn())
{
	using R = decltype(fn());
	MemoryContext caller_ctx = CurrentMemoryContext;
	ErrorData *volatile edata = nullptr;
	if constexpr (std::is_void_v<R>) {
		PG_TRY();
		{
			fn();
		}
		PG_CATCH();
		{
			MemoryContextSwitchTo(caller_ctx);
			edata = CopyErrorData();
			FlushErrorState();
		}
		PG_END_TRY();
		if (edata)
			throw PgError(edata);
	} else {
		static_assert(std::is_trivially_copyable_v<R>, "PgCall returns plain values only");
		R volatile_result{};
		R *volatile out = &volatile_result;
		PG_TRY();
		{
			*out = fn();
		}
		PG_CATCH();
		{
			MemoryContextSwitchTo(caller_ctx);
			edata = CopyErrorData();
			FlushErrorState();
		}
		PG_END_TRY();
		if (edata)
			throw PgError(edata);
		return volatile_result;
	}
}

}  // namespace synchdb::pg
