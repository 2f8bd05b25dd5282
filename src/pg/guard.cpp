/*
 * guard.cpp
 *     Turning C++ exceptions into ereport(ERROR).
 */
#include "pg/guard.hpp"

#include <cstring>
#include <new>

#include "core/strings.hpp"

namespace synchdb::pg {

namespace {

void Copy(char *dst, size_t size, const char *src) noexcept
{
	if (!src) {
		dst[0] = '\0';
		return;
	}
	EscapeControlsInto(src, dst, size); /* one log line each, whatever names the text holds */
}

}  // namespace

const char *PgError::what() const noexcept
{
	return edata_ && edata_->message ? edata_->message : "PostgreSQL error";
}

int SqlStateToCode(const char *s)
{
	if (!s || strlen(s) != 5)
		return ERRCODE_INTERNAL_ERROR;
	return MAKE_SQLSTATE(s[0], s[1], s[2], s[3], s[4]);
}

void PendingError::FromException(std::exception_ptr ep) noexcept
{
	try {
		std::rethrow_exception(ep);
	} catch (PgError &e) {
		pg_edata = e.Release();
	} catch (const synchdb::Error &e) {
		sqlerrcode = SqlStateToCode(e.sqlstate().c_str());
		Copy(message, sizeof(message), e.what());
		Copy(detail, sizeof(detail), e.detail().c_str());
		Copy(hint, sizeof(hint), e.hint().c_str());
	} catch (const std::bad_alloc &) {
		sqlerrcode = ERRCODE_OUT_OF_MEMORY;
		Copy(message, sizeof(message), "out of memory in synchdb");
	} catch (const std::exception &e) {
		sqlerrcode = ERRCODE_INTERNAL_ERROR;
		Copy(message, sizeof(message), "synchdb internal error: ");
		strlcat(message, e.what(), sizeof(message));
	} catch (...) {
		sqlerrcode = ERRCODE_INTERNAL_ERROR;
		Copy(message, sizeof(message), "synchdb internal error: unknown C++ exception");
	}
}

void PendingError::Raise() const
{
	if (pg_edata) {
		/* PostgreSQL's own messages quote names as they are: a name from the source may hold a newline. */
		if (pg_edata->message && strpbrk(pg_edata->message, "\n\r")) {
			char buf[1024];
			EscapeControlsInto(pg_edata->message, buf, sizeof(buf));
			pg_edata->message = pstrdup(buf);
		}
		if (hide_statement)
			pg_edata->hide_stmt = true;
		ReThrowError(pg_edata);
	}
	ereport(ERROR, (errcode(sqlerrcode), errmsg_internal("%s", message),
	                detail[0] ? errdetail_internal("%s", detail) : 0, hint[0] ? errhint("%s", hint) : 0,
	                errhidestmt(hide_statement)));
	pg_unreachable();
}

}  // namespace synchdb::pg
