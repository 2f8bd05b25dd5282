/*
 * connection.hpp
 *     A libpq connection to the source PostgreSQL cluster (normal or
 *     replication=database).
 *
 * NOTES
 *   Owns one PGconn.  Connects with PQconnectdbParams (never a string-built
 *   conninfo, so no value can inject a keyword), connect_timeout from the
 *   endpoint, TCP keepalives on, application_name synchdb_<connector>,
 *   client_encoding UTF8, and session settings that make every output
 *   text unambiguous input text on the destination: DateStyle ISO,
 *   IntervalStyle postgres, extra_float_digits 3, bytea_output hex,
 *   TimeZone UTC (they apply to COPY and to pgoutput's tuple text, which
 *   the walsender renders with its own session's settings).
 *
 *   Every failure becomes synchdb::Error:
 *     - cannot reach the server, server shutting down or starting up, too
 *       many connections, connection lost later: kUnableToConnect /
 *       kConnectionFailure, so the engine reconnects;
 *     - wrong password, password required: kInvalidPassword;
 *     - role missing, no pg_hba.conf entry: kInvalidAuthorization;
 *     - database missing: 3D000 (invalid_catalog_name);
 *     - a failing statement: the server's SQLSTATE (08006 when the
 *       connection broke meanwhile).
 *   Messages name the connector and host:port; the password is never put
 *   in a message (libpq's own texts do not contain it either).
 *
 *   Statements run asynchronously: the calling thread waits on the socket
 *   at most kPollMs at a time and asks the stop callback in between, so a
 *   reader thread notices Stop() even while the source is slow.  A stop
 *   throws Stopped (after cancelling the running statement).
 *
 *   Thread: a Connection is used by one thread at a time; it makes no
 *   PostgreSQL server-side (backend) calls, so it may live on a reader
 *   thread.  Plain C++: never includes postgres.h.
 */
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/tls.hpp"

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

namespace synchdb {
struct SourceConfig;
}

namespace synchdb::pgsrc {

inline constexpr const char *kInvalidCatalogName = "3D000";
inline constexpr int kPollMs = 1000; /* longest wait on the socket between stop checks */

/* Thrown when the stop callback said yes while waiting. */
struct Stopped {};

struct Endpoint {
	std::string connector; /* connector name: messages, application_name */
	std::string host;
	int port = 5432;
	std::string user;
	std::string password;
	std::string dbname;
	std::string sslmode; /* extra "sslmode" when tls is not given; "" = libpq's default (prefer) */
	TlsSettings tls;     /* the connector's sslmode and files (core/tls.hpp) */
	std::string tls_key_passphrase; /* clear text; "" = none */
	int connect_timeout_s = 10;

	/* "host:port", for messages. */
	std::string Where() const { return host + ":" + std::to_string(port); }
};

/* The endpoint of a connector (hostname, port, user, srcdb, TLS settings; extra "sslmode"). */
Endpoint EndpointFromConfig(const SourceConfig &config);

/* A PGresult, freed on destruction. */
class Result {
public:
	Result() = default;
	explicit Result(PGresult *r) : r_(r) {}
	~Result();
	Result(Result &&o) noexcept : r_(o.r_) { o.r_ = nullptr; }
	Result &operator=(Result &&o) noexcept;
	Result(const Result &) = delete;
	Result &operator=(const Result &) = delete;

	int Rows() const;
	int Cols() const;
	bool IsNull(int row, int col) const;
	std::string_view Get(int row, int col) const; /* "" for NULL */
	std::optional<std::string> Opt(int row, int col) const;
	/* Column number by name; throws kDataCorrupted when absent (a server answering unexpectedly). */
	int Col(const char *name) const;
	PGresult *raw() const { return r_; }

private:
	PGresult *r_ = nullptr;
};

enum class ConnKind { Normal, Replication };

class Connection {
public:
	/* Connects; throws synchdb::Error (see NOTES). */
	Connection(const Endpoint &ep, ConnKind kind, std::function<bool()> should_stop = {});
	~Connection();
	Connection(const Connection &) = delete;
	Connection &operator=(const Connection &) = delete;

	/* Run one statement; rows or command completion; throws on error. */
	Result Exec(const std::string &sql);
	/* Run one statement with text parameters $1..$n (normal connections only). */
	Result ExecParams(const std::string &sql, const std::vector<std::optional<std::string>> &params);
	/* First column of the first row; nullopt for no row or NULL. */
	std::optional<std::string> Value(const std::string &sql);

	/*
	 * COPY ... TO STDOUT: sends sql, then hands each row (with its final
	 * newline) to on_row.  Returns the number of rows.
	 */
	uint64_t CopyOut(const std::string &sql, const std::function<void(std::string_view)> &on_row);

	/*
	 * Replication streaming helpers (after START_REPLICATION put the
	 * connection in COPY BOTH mode).  ReadCopyData waits at most timeout_ms
	 * for one CopyData message: true with the message in out, false on
	 * timeout.  Throws kConnectionFailure when the server ends the stream.
	 */
	bool ReadCopyData(std::string &out, int timeout_ms);
	void PutCopyData(std::string_view data);

	/* Wait until the socket is readable or timeout_ms passes; true when readable. */
	bool WaitReadable(int timeout_ms);

	int ServerVersionNum() const;            /* 150004 */
	std::string ServerVersion() const;       /* "15.4" */
	std::string Describe() const;            /* "PostgreSQL 15.4 at host:port (TLSv1.3 TLS_AES_256_GCM_SHA384)" */
	std::string Encryption() const;          /* "TLSv1.3 TLS_AES_256_GCM_SHA384" or "not encrypted" */
	const Endpoint &endpoint() const { return ep_; }
	PGconn *raw() { return conn_; }
	void SetStopCheck(std::function<bool()> should_stop) { should_stop_ = std::move(should_stop); }

	/* "connector "x": " prefix of every message. */
	std::string Prefix() const;

private:
	Result Finish(const std::string &what);
	void WaitResultReady();
	[[noreturn]] void ThrowConnError(const std::string &what);
	[[noreturn]] void ThrowResultError(PGresult *r, const std::string &what);
	void CheckStop();

	Endpoint ep_;
	ConnKind kind_;
	std::function<bool()> should_stop_;
	PGconn *conn_ = nullptr;
};

/* A statement shortened for messages (first 200 bytes). */
std::string ShortSql(std::string_view sql);

}  // namespace synchdb::pgsrc

#include "core/cpp_only.hpp"
