/*
 * connection.cpp
 *     MariaDB Connector/C wrapper with user-facing error classification.
 */
#include "core/sources/mysql/connection.hpp"

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include <mutex>

#include "core/error.hpp"
#include "core/strings.hpp"

namespace synchdb::mysql {

namespace {

std::once_flag library_init_once;

/* Map a connect-time client/server error to a synchdb::Error a DBA can act on. */
Error ClassifyConnectError(const Endpoint &ep, unsigned int code, const char *msg)
{
	const std::string who = "connector " + Quoted(ep.connector) + ": ";
	const std::string where = ep.Where();
	switch (code) {
	case ER_ACCESS_DENIED_ERROR:
	case ER_ACCESS_DENIED_NO_PASSWORD_ERROR:
		return Error(sqlstate::kInvalidPassword,
		             who + "authentication failed for user " + Quoted(ep.user) + " on source server " + where,
		             std::string("The server said: ") + msg +
		                 (ep.tls.mode == SslMode::Disabled
		                      ? ". The connection was not encrypted (sslmode disabled): a server or user that "
		                        "requires TLS (require_secure_transport, REQUIRE SSL) answers so too."
		                      : ""),
		             "Check the user name and password; to change them, drop the connector with "
		             "synchdb_del_conninfo() and create it again with synchdb_add_conninfo().");
	case ER_HOST_NOT_PRIVILEGED:
	case ER_HOST_IS_BLOCKED:
		return Error(sqlstate::kInvalidAuthorization,
		             who + "source server " + where + " refuses connections from this host",
		             std::string("The server said: ") + msg,
		             code == ER_HOST_IS_BLOCKED ? "Run FLUSH HOSTS on the source server."
		                                        : "Create the user for this client host on the source server, "
		                                          "e.g. CREATE USER 'name'@'%'.");
	case CR_SSL_CONNECTION_ERROR: {
		const std::string m = msg ? msg : "";
		const std::string mode = std::string("sslmode ") + SslModeName(ep.tls.mode);
		std::string head, hint;
		if (m.find("does not support") != std::string::npos) {
			head = "source server " + where + " does not offer TLS, and " + mode + " requires it";
			hint = "Enable TLS on the source server (ssl_cert and ssl_key in its configuration), or choose a weaker "
			       "sslmode with synchdb_add_extra_conninfo().";
		} else if (m.find("bad decrypt") != std::string::npos) {
			head = "the passphrase of ssl_key " + Quoted(ep.tls.key) + " does not decrypt it";
			hint = "Give the right passphrase with synchdb_add_extra_conninfo().";
		} else if (m.find("Validation of SSL server certificate") != std::string::npos) {
			head = "the certificate of source server " + where + " does not name host " + Quoted(ep.host) + " (" +
			       mode + ")";
			hint = "Connect by a name the certificate holds (its subjectAltName), or use sslmode verify_ca.";
		} else if (m.find("certificate") != std::string::npos || m.find("issuer") != std::string::npos) {
			head = "the certificate of source server " + where + " is not signed by a CA of ssl_ca " +
			       Quoted(ep.tls.ca) + " (" + mode + ")";
			hint = "Give the CA certificate that signed the server's certificate with synchdb_add_extra_conninfo().";
		} else {
			head = "TLS connection to source server " + where + " failed (" + DescribeTls(ep.tls) + ")";
			hint = "Check the connector's TLS settings (synchdb_conninfo.data ssl_*: the files, the key's "
			       "passphrase) and the server's TLS configuration.";
		}
		return Error(sqlstate::kInvalidAuthorization, who + head, "The client said: " + m, hint);
	}
	case CR_PLUGIN_NOT_ALLOWED:
		return Error(sqlstate::kInvalidAuthorization,
		             who + "user " + Quoted(ep.user) + " on source server " + where +
		                 " authenticates with a plugin that sends the password in clear text",
		             std::string("The client said: ") + msg,
		             "synchdb sends a clear-text password (mysql_clear_password, dialog/PAM) only under sslmode "
		             "verify_identity: set it with synchdb_add_extra_conninfo(), or give the user another "
		             "authentication plugin.");
	case CR_CONN_HOST_ERROR:
	case CR_CONNECTION_ERROR:
	case CR_UNKNOWN_HOST:
	case CR_SERVER_GONE_ERROR:
	case CR_SERVER_LOST:
	case CR_IPSOCK_ERROR:
		return Error(sqlstate::kUnableToConnect, who + "could not connect to source server " + where,
		             std::string("The client said: ") + msg,
		             "Check the host name and port in synchdb_conninfo, that the server is running, and that it "
		             "accepts TCP connections from this host (bind-address, firewall).");
	default:
		return Error(sqlstate::kUnableToConnect, who + "could not connect to source server " + where,
		             "Error " + std::to_string(code) + ": " + msg);
	}
}

/*
 * Connector/C's TLS options for the endpoint's sslmode: without any, 3.3
 * does not encrypt; with MYSQL_OPT_SSL_ENFORCE it encrypts when the server
 * offers TLS; with a CA it checks the certificate chain (SSL_VERIFY_PEER);
 * MYSQL_OPT_SSL_VERIFY_SERVER_CERT adds the host name and refuses a server
 * without TLS before authenticating.
 */
void SetTlsOptions(MYSQL *m, const Endpoint &ep)
{
	const TlsSettings &t = ep.tls;
	my_bool use = t.mode != SslMode::Disabled;
	mysql_optionsv(m, MYSQL_OPT_SSL_ENFORCE, &use);
	if (use) {
		if (!t.ca.empty())
			mysql_optionsv(m, MYSQL_OPT_SSL_CA, t.ca.c_str());
		if (!t.cert.empty())
			mysql_optionsv(m, MYSQL_OPT_SSL_CERT, t.cert.c_str());
		if (!t.key.empty())
			mysql_optionsv(m, MYSQL_OPT_SSL_KEY, t.key.c_str());
		if (!ep.tls_key_passphrase.empty())
			mysql_optionsv(m, MARIADB_OPT_TLS_PASSPHRASE, ep.tls_key_passphrase.c_str());
	}
	my_bool verify = t.mode == SslMode::VerifyIdentity;
	mysql_optionsv(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
	/* Plugins that send the password itself only where the channel and the server are certain. */
	if (t.mode != SslMode::VerifyIdentity)
		mysql_optionsv(m, MARIADB_OPT_RESTRICTED_AUTH,
		               "mysql_native_password,caching_sha2_password,sha256_password,client_ed25519,"
		               "auth_gssapi_client");
}

}  // namespace

Connection::Connection(const Endpoint &ep) : ep_(ep)
{
	std::call_once(library_init_once, [] { mysql_library_init(0, nullptr, nullptr); });
	mysql_ = mysql_init(nullptr);
	if (!mysql_)
		throw Error(sqlstate::kInternalError, "out of memory creating a MySQL client handle");

	unsigned int timeout = static_cast<unsigned int>(ep.connect_timeout_s);
	unsigned int read_timeout = static_cast<unsigned int>(ep.read_timeout_s);
	mysql_optionsv(mysql_, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_optionsv(mysql_, MYSQL_OPT_READ_TIMEOUT, &read_timeout);
	mysql_optionsv(mysql_, MYSQL_OPT_WRITE_TIMEOUT, &read_timeout);
	mysql_optionsv(mysql_, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	/* Never read client option files: behaviour must not depend on ~/.my.cnf. */
	unsigned int proto = MYSQL_PROTOCOL_TCP;
	mysql_optionsv(mysql_, MYSQL_OPT_PROTOCOL, &proto);
	SetTlsOptions(mysql_, ep);

	if (!mysql_real_connect(mysql_, ep.host.c_str(), ep.user.c_str(), ep.password.c_str(), nullptr,
	                        static_cast<unsigned int>(ep.port), nullptr, CLIENT_REMEMBER_OPTIONS)) {
		Scrub(ep_.password);
		Scrub(ep_.tls_key_passphrase);
		Error e = ClassifyConnectError(ep, mysql_errno(mysql_), mysql_error(mysql_));
		mysql_close(mysql_);
		mysql_ = nullptr;
		throw e;
	}
	/* Connector/C keeps what it needs; this object keeps no copy of the secrets. */
	Scrub(ep_.password);
	Scrub(ep_.tls_key_passphrase);
	const char *cipher = mysql_get_ssl_cipher(mysql_);
	if (cipher) {
		const char *version = nullptr;
		mariadb_get_infov(mysql_, MARIADB_CONNECTION_TLS_VERSION, &version);
		encryption_ = std::string(version ? version : "TLS") + " " + cipher;
	} else
		encryption_ = "not encrypted";
	if (!cipher && SslModeEncrypts(ep.tls.mode)) {
		mysql_close(mysql_);
		mysql_ = nullptr;
		throw Error(sqlstate::kInvalidAuthorization,
		            "connector " + Quoted(ep.connector) + ": source server " + ep.Where() +
		                " does not encrypt the connection, and sslmode is " + SslModeName(ep.tls.mode),
		            "The server offered no TLS; the connection was closed right after the handshake.",
		            "Enable TLS on the source server (ssl_cert and ssl_key in its configuration), or choose a weaker "
		            "sslmode with synchdb_add_extra_conninfo().");
	}
	const char *v = mysql_get_server_info(mysql_);
	version_ = v ? v : "";
	is_mariadb_ = version_.find("MariaDB") != std::string::npos;
}

Connection::~Connection()
{
	if (mysql_)
		mysql_close(mysql_);
}

void Connection::ThrowQueryError(const std::string &sql)
{
	unsigned int code = mysql_errno(mysql_);
	std::string msg = mysql_error(mysql_);
	const std::string who = "connector " + Quoted(ep_.connector) + ": ";
	if (code == CR_SERVER_GONE_ERROR || code == CR_SERVER_LOST || code == CR_CONNECTION_ERROR)
		throw Error(sqlstate::kConnectionFailure, who + "lost the connection to source server " + ep_.Where(),
		            "The client said: " + msg, "synchdb reconnects when the server is back.");
	if (code == ER_SPECIFIC_ACCESS_DENIED_ERROR || code == ER_TABLEACCESS_DENIED_ERROR ||
	    code == ER_DBACCESS_DENIED_ERROR || code == ER_ACCESS_DENIED_ERROR)
		throw Error(sqlstate::kInsufficientPrivilege,
		            who + "user " + Quoted(ep_.user) + " lacks a privilege on source server " + ep_.Where(),
		            "The server said: " + msg + " (statement: " + sql + ")",
		            "Grant the privilege on the source server; see docs/sql-reference.md for the list synchdb needs.");
	throw Error(sqlstate::kDataException, who + "query failed on source server " + ep_.Where() + ": " + msg,
	            "Statement: " + sql + " (error " + std::to_string(code) + ")");
}

std::vector<Row> Connection::Query(const std::string &sql)
{
	if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0)
		ThrowQueryError(sql);
	std::vector<Row> rows;
	MYSQL_RES *res = mysql_store_result(mysql_);
	if (!res) {
		if (mysql_field_count(mysql_) != 0)
			ThrowQueryError(sql);
		return rows;
	}
	unsigned int n = mysql_num_fields(res);
	while (MYSQL_ROW r = mysql_fetch_row(res)) {
		unsigned long *len = mysql_fetch_lengths(res);
		Row row;
		row.reserve(n);
		for (unsigned int i = 0; i < n; i++)
			row.push_back(r[i] ? std::optional<std::string>(std::string(r[i], len[i])) : std::nullopt);
		rows.push_back(std::move(row));
	}
	mysql_free_result(res);
	return rows;
}

std::optional<std::string> Connection::QueryValue(const std::string &sql)
{
	auto rows = Query(sql);
	if (rows.empty() || rows[0].empty())
		return std::nullopt;
	return rows[0][0];
}

std::string Connection::Literal(const std::string &value)
{
	std::string out(value.size() * 2 + 3, '\0');
	out[0] = '\'';
	unsigned long n = mysql_real_escape_string(mysql_, &out[1], value.data(), value.size());
	out.resize(n + 1);
	out += '\'';
	return out;
}

bool Connection::Ping()
{
	return mysql_ping(mysql_) == 0;
}

}  // namespace synchdb::mysql
