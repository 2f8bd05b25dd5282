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
 *   TLS follows the endpoint's sslmode (core/tls.hpp) with Connector/C's
 *   options.  Connector/C 3.3 refuses a server without TLS before
 *   authenticating only when it checks the host name (verify_identity);
 *   for required and verify_ca the connection is checked right after the
 *   handshake and closed when it is not encrypted.  Authentication plugins
 *   that send the password in clear text (mysql_clear_password, dialog)
 *   are allowed only under verify_identity, the one mode that guarantees
 *   an encrypted channel to the right server before the password leaves.
 *
 *   Thread: a Connection is used by one thread at a time.  It makes no
 *   PostgreSQL calls, so it may live on a worker's reader thread.
 */
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/tls.hpp"

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
	TlsSettings tls;                /* sslmode and files (core/tls.hpp) */
	std::string tls_key_passphrase; /* clear text; "" = none */

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
	/* "TLSv1.3 TLS_AES_256_GCM_SHA384" or "not encrypted", for the log. */
	const std::string &Encryption() const { return encryption_; }
	bool IsMariaDB() const { return is_mariadb_; }
	const Endpoint &endpoint() const { return ep_; }
	st_mysql *raw() { return mysql_; }

private:
	[[noreturn]] void ThrowQueryError(const std::string &sql);

	Endpoint ep_;
	st_mysql *mysql_ = nullptr;
	std::string version_;
	std::string encryption_;
	bool is_mariadb_ = false;
};

}  // namespace synchdb::mysql

#include "core/cpp_only.hpp"
