/*
 * connection.hpp
 *     A connection to a MySQL or MariaDB server through MariaDB Connector/C.
 *
 * NOTES
 *   Owns one MYSQL handle.  Every failure becomes a synchdb::Error whose
 *   SQLSTATE says what kind of problem it is (unreachable, authentication,
 *   privilege) and whose hint says what the user can do; the connector name
 *   and endpoint appear in every message so that a DBA reading the server
 *   log or synchdb_state_view knows which connector and server are meant.
 *   The password is never put in a message.
 *
 *   Thread: a Connection is used by one thread at a time.  It makes no
 *   PostgreSQL calls, so it may live on a worker's reader thread.
 */
#pragma once

#include <optional>
#include <string>
#include <vector>

struct st_mysql;

namespace synchdb::mysql {

struct Endpoint {
	std::string connector; /* connector name, for messages */
	std::string host;
	int port = 3306;
	std::string user;
	std::string password;
	int connect_timeout_s = 10;
	int read_timeout_s = 60;

	/* "host:port", for messages. */
	std::string Where() const { return host + ":" + std::to_string(port); }
};

using Row = std::vector<std::optional<std::string>>;

class Connection {
public:
	/* Connects (no default database); throws synchdb::Error on failure. */
	explicit Connection(const Endpoint &ep);
	~Connection();
	Connection(const Connection &) = delete;
	Connection &operator=(const Connection &) = delete;

	/* Run a statement and return all rows (small result sets only). */
	std::vector<Row> Query(const std::string &sql);
	/* First column of the first row; nullopt for no row or NULL. */
	std::optional<std::string> QueryValue(const std::string &sql);
	/* Quote a value as a string literal for this connection: 'it''s'. */
	std::string Literal(const std::string &value);

	/* True when the server answers. */
	bool Ping();

	const std::string &ServerVersion() const { return version_; }
	bool IsMariaDB() const { return is_mariadb_; }
	const Endpoint &endpoint() const { return ep_; }
	st_mysql *raw() { return mysql_; }

private:
	[[noreturn]] void ThrowQueryError(const std::string &sql);

	Endpoint ep_;
	st_mysql *mysql_ = nullptr;
	std::string version_;
	bool is_mariadb_ = false;
};

}  // namespace synchdb::mysql

#include "core/cpp_only.hpp"
