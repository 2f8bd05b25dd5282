/*
 * connection.cpp
 *     libpq connection to the source cluster; see connection.hpp.
 */
#include "core/sources/postgres/connection.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/error.hpp"
#include "core/source.hpp"

namespace synchdb::pgsrc {

namespace {

/* libpq's messages end in newlines and may carry "FATAL:  " prefixes; keep the text. */
std::string CleanMessage(const char *m)
{
	std::string s = m ? m : "";
	while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
		s.pop_back();
	for (const char *p : {"FATAL:  ", "ERROR:  "}) {
		size_t at;
		while ((at = s.find(p)) != std::string::npos)
			s.erase(at, std::strlen(p));
	}
	for (char &c : s)
		if (c == '\n')
			c = ' ';
	return s.empty() ? "unknown error" : s;
}

bool Contains(const std::string &s, const char *what)
{
	return s.find(what) != std::string::npos;
}

}  // namespace

Endpoint EndpointFromConfig(const SourceConfig &config)
{
	Endpoint ep;
	ep.connector = config.conninfo.name;
	ep.host = config.conninfo.hostname;
	ep.port = config.conninfo.port > 0 ? config.conninfo.port : 5432;
	ep.user = config.conninfo.user;
	ep.password = config.password;
	ep.dbname = config.conninfo.srcdb;
	ep.connect_timeout_s = config.connect_timeout_s > 0 ? config.connect_timeout_s : 10;
	if (config.extra.IsObject())
		if (const json::Value *v = config.extra.Find("sslmode"); v && v->IsString())
			ep.sslmode = v->AsString();
	ep.tls = config.conninfo.tls;
	ep.tls_key_passphrase = config.tls_key_passphrase;
	return ep;
}

/* ------------------------------------------------------------------ Result */

Result::~Result()
{
	if (r_)
		PQclear(r_);
}

Result &Result::operator=(Result &&o) noexcept
{
	if (this != &o) {
		if (r_)
			PQclear(r_);
		r_ = o.r_;
		o.r_ = nullptr;
	}
	return *this;
}

int Result::Rows() const
{
	return r_ ? PQntuples(r_) : 0;
}

int Result::Cols() const
{
	return r_ ? PQnfields(r_) : 0;
}

bool Result::IsNull(int row, int col) const
{
	return !r_ || row < 0 || col < 0 || row >= PQntuples(r_) || col >= PQnfields(r_) || PQgetisnull(r_, row, col);
}

std::string_view Result::Get(int row, int col) const
{
	if (IsNull(row, col))
		return {};
	return std::string_view(PQgetvalue(r_, row, col), static_cast<size_t>(PQgetlength(r_, row, col)));
}

std::optional<std::string> Result::Opt(int row, int col) const
{
	if (IsNull(row, col))
		return std::nullopt;
	return std::string(Get(row, col));
}

int Result::Col(const char *name) const
{
	int c = r_ ? PQfnumber(r_, name) : -1;
	if (c < 0)
		throw Error(sqlstate::kDataCorrupted, std::string("source answer has no column \"") + name + "\"");
	return c;
}

/* -------------------------------------------------------------- Connection */

Connection::Connection(const Endpoint &ep, ConnKind kind, std::function<bool()> should_stop)
	: ep_(ep), kind_(kind), should_stop_(std::move(should_stop))
{
	const std::string port = std::to_string(ep.port);
	const std::string timeout = std::to_string(ep.connect_timeout_s);
	const std::string app = "synchdb_" + ep.connector;
	std::vector<const char *> keys, values;
	auto add = [&](const char *k, const std::string &v) {
		keys.push_back(k);
		values.push_back(v.c_str());
	};
	add("host", ep.host);
	add("port", port);
	add("user", ep.user);
	if (!ep.password.empty())
		add("password", ep.password);
	add("dbname", ep.dbname);
	add("connect_timeout", timeout);
	add("application_name", app);
	static const std::string kOne = "1", kIdle = "30", kInterval = "10", kCount = "3", kDatabase = "database",
	                         kEncoding = "UTF8";
	add("keepalives", kOne);
	add("keepalives_idle", kIdle);
	add("keepalives_interval", kInterval);
	add("keepalives_count", kCount);
	add("client_encoding", kEncoding);
	/* Output text the destination's input functions read back exactly, whatever the source's defaults. */
	static const std::string kOptions =
		"-c datestyle=ISO,YMD -c intervalstyle=postgres -c extra_float_digits=3 -c bytea_output=hex -c timezone=UTC";
	add("options", kOptions);
	/* Keyword/value arrays: a path or passphrase can hold any character without escaping. */
	if (ep.tls.given) {
		add("sslmode", SslModeLibpqName(ep.tls.mode));
		if (!ep.tls.ca.empty())
			add("sslrootcert", ep.tls.ca);
		if (!ep.tls.cert.empty())
			add("sslcert", ep.tls.cert);
		if (!ep.tls.key.empty())
			add("sslkey", ep.tls.key);
		if (!ep.tls_key_passphrase.empty())
			add("sslpassword", ep.tls_key_passphrase);
	} else if (!ep.sslmode.empty())
		add("sslmode", ep.sslmode);
	if (kind == ConnKind::Replication)
		add("replication", kDatabase);
	keys.push_back(nullptr);
	values.push_back(nullptr);

	conn_ = PQconnectdbParams(keys.data(), values.data(), 0);
	/* libpq keeps what it needs; this object keeps no copy of the password */
	std::fill(ep_.password.begin(), ep_.password.end(), '\0');
	ep_.password.clear();
	std::fill(ep_.tls_key_passphrase.begin(), ep_.tls_key_passphrase.end(), '\0');
	ep_.tls_key_passphrase.clear();
	if (!conn_)
		throw Error(sqlstate::kUnableToConnect, Prefix() + "cannot connect to PostgreSQL at " + ep.Where() +
		                                            ": out of memory");
	if (PQstatus(conn_) != CONNECTION_OK) {
		const std::string msg = CleanMessage(PQerrorMessage(conn_));
		const bool needs_pw = PQconnectionNeedsPassword(conn_);
		const bool used_pw = PQconnectionUsedPassword(conn_);
		PQfinish(conn_);
		conn_ = nullptr;
		const std::string head = Prefix() + "cannot connect to PostgreSQL at " + ep.Where() + " as " +
		                         Quoted(ep.user) + ": " + msg;
		const std::string mode = " (sslmode " + std::string(SslModeName(ep.tls.mode)) + ")";
		const std::string tls_head = Prefix() + "TLS to PostgreSQL at " + ep.Where() + " failed: ";
		if (Contains(msg, "does not support SSL"))
			throw Error(sqlstate::kInvalidAuthorization, tls_head + "the server does not offer TLS" + mode, msg,
			            "Enable TLS on the source server (ssl = on, ssl_cert_file, ssl_key_file), or choose a weaker "
			            "sslmode with synchdb_add_extra_conninfo().");
		if (Contains(msg, "does not match host name"))
			throw Error(sqlstate::kInvalidAuthorization,
			            tls_head + "the server's certificate does not name host " + Quoted(ep.host) + mode, msg,
			            "Connect by a name the certificate holds (its subjectAltName), or use sslmode verify_ca.");
		if (Contains(msg, "certificate verify failed") || Contains(msg, "unable to get local issuer"))
			throw Error(sqlstate::kInvalidAuthorization,
			            tls_head + "the server's certificate is not signed by a CA of ssl_ca " + Quoted(ep.tls.ca) +
			                mode,
			            msg, "Give the CA certificate that signed the server's certificate with "
			                 "synchdb_add_extra_conninfo().");
		if (Contains(msg, "certificate file") || Contains(msg, "private key file") ||
		    Contains(msg, "certificate present, but not private key"))
			throw Error(sqlstate::kInvalidAuthorization, tls_head + "the client certificate or key cannot be used" + mode,
			            msg,
			            "Check the files given with synchdb_add_extra_conninfo(): readable by the database server's "
			            "operating system user, PEM, the key matching the certificate (and its passphrase).");
		if (Contains(msg, "certificate"))
			throw Error(sqlstate::kInvalidAuthorization, tls_head + "certificate problem" + mode, msg,
			            "The source server asks for a client certificate, or refused the one given: set ssl_cert and "
			            "ssl_key with synchdb_add_extra_conninfo().");
		if (needs_pw || Contains(msg, "password authentication failed") || (used_pw && Contains(msg, "authentication")))
			throw Error(sqlstate::kInvalidPassword, head, {},
			            "Check the connector's user and password, and the source's pg_hba.conf.");
		if (Contains(msg, "no pg_hba.conf entry") || (Contains(msg, "role \"") && Contains(msg, "does not exist")))
			throw Error(sqlstate::kInvalidAuthorization, head, {},
			            kind == ConnKind::Replication
			                ? "The source's pg_hba.conf must allow a replication connection (database line for "
			                  "replication=database) for this user from this host."
			                : "Check the user name and the source's pg_hba.conf.");
		if (Contains(msg, "database \"") && Contains(msg, "does not exist"))
			throw Error(kInvalidCatalogName, head, {}, "Check the connector's source database (srcdb).");
		if (Contains(msg, "must be superuser or replication role") ||
		    (kind == ConnKind::Replication && Contains(msg, "permission denied to start WAL sender")))
			throw Error(sqlstate::kInsufficientPrivilege, head, {},
			            "Give the user the REPLICATION attribute: ALTER ROLE " + QuotePgIdent(ep.user) +
			                " REPLICATION;");
		if (Contains(msg, "permission denied"))
			throw Error(sqlstate::kInsufficientPrivilege, head, {},
			            "Let the user connect: GRANT CONNECT ON DATABASE " + QuotePgIdent(ep.dbname) + " TO " +
			                QuotePgIdent(ep.user) + ";");
		throw Error(sqlstate::kUnableToConnect, head);
	}
	PQsetnonblocking(conn_, 0);
	/* NOTICEs of the source (DROP ... IF EXISTS) are of no use to anyone here */
	PQsetNoticeProcessor(conn_, [](void *, const char *) {}, nullptr);
}

Connection::~Connection()
{
	if (conn_)
		PQfinish(conn_);
}

std::string Connection::Prefix() const
{
	return "connector " + Quoted(ep_.connector) + ": ";
}

int Connection::ServerVersionNum() const
{
	return conn_ ? PQserverVersion(conn_) : 0;
}

std::string Connection::ServerVersion() const
{
	int v = ServerVersionNum();
	if (v >= 100000)
		return std::to_string(v / 10000) + "." + std::to_string(v % 10000);
	return std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." + std::to_string(v % 100);
}

std::string Connection::Encryption() const
{
	if (!conn_ || !PQsslInUse(conn_))
		return "not encrypted";
	const char *protocol = PQsslAttribute(conn_, "protocol");
	const char *cipher = PQsslAttribute(conn_, "cipher");
	return std::string(protocol ? protocol : "TLS") + " " + (cipher ? cipher : "");
}

std::string Connection::Describe() const
{
	return "PostgreSQL " + ServerVersion() + " at " + ep_.Where() + " (" + Encryption() + ", sslmode " +
	       (ep_.tls.given ? SslModeName(ep_.tls.mode) : ep_.sslmode.empty() ? "preferred" : ep_.sslmode.c_str()) +
	       ")";
}

void Connection::CheckStop()
{
	if (should_stop_ && should_stop_()) {
		if (PGcancel *c = PQgetCancel(conn_)) {
			char buf[256];
			PQcancel(c, buf, sizeof buf);
			PQfreeCancel(c);
		}
		throw Stopped{};
	}
}

bool Connection::WaitReadable(int timeout_ms)
{
	const int fd = PQsocket(conn_);
	if (fd < 0)
		ThrowConnError("waiting for the source");
	struct pollfd p = {fd, POLLIN, 0};
	int rc = poll(&p, 1, timeout_ms);
	if (rc < 0 && errno != EINTR)
		ThrowConnError("waiting for the source");
	return rc > 0;
}

void Connection::WaitResultReady()
{
	for (;;) {
		if (!PQconsumeInput(conn_))
			ThrowConnError("reading from the source");
		if (!PQisBusy(conn_))
			return;
		CheckStop();
		WaitReadable(kPollMs);
	}
}

void Connection::ThrowConnError(const std::string &what)
{
	throw Error(sqlstate::kConnectionFailure,
	            Prefix() + "connection to PostgreSQL at " + ep_.Where() + " lost while " + what + ": " +
	                CleanMessage(PQerrorMessage(conn_)));
}

void Connection::ThrowResultError(PGresult *r, const std::string &what)
{
	std::string msg = CleanMessage(r ? PQresultErrorMessage(r) : PQerrorMessage(conn_));
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
	std::string detail = r && PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL) ? PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL) : "";
	std::string hint = r && PQresultErrorField(r, PG_DIAG_MESSAGE_HINT) ? PQresultErrorField(r, PG_DIAG_MESSAGE_HINT) : "";
	if (r)
		PQclear(r);
	std::string code = state && std::strlen(state) == 5 ? state : sqlstate::kInternalError;
	if (PQstatus(conn_) == CONNECTION_BAD || code.rfind("08", 0) == 0 || code == "57P01" || code == "57P02" ||
	    code == "57P03")
		code = sqlstate::kConnectionFailure;
	throw Error(code, Prefix() + "source PostgreSQL at " + ep_.Where() + " failed " + what + ": " + msg, detail,
	            hint);
}

Result Connection::Finish(const std::string &what)
{
	Result last;
	for (;;) {
		WaitResultReady();
		PGresult *r = PQgetResult(conn_);
		if (!r)
			break;
		ExecStatusType st = PQresultStatus(r);
		if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK || st == PGRES_EMPTY_QUERY) {
			last = Result(r);
			continue;
		}
		if (st == PGRES_COPY_OUT || st == PGRES_COPY_IN || st == PGRES_COPY_BOTH) {
			/* the caller takes over the COPY stream */
			return Result(r);
		}
		/* drain the rest before throwing */
		while (PGresult *more = PQgetResult(conn_)) {
			PQclear(more);
		}
		ThrowResultError(r, what);
	}
	return last;
}

Result Connection::Exec(const std::string &sql)
{
	CheckStop();
	if (!PQsendQuery(conn_, sql.c_str()))
		ThrowResultError(nullptr, "to run " + ShortSql(sql));
	return Finish("to run " + ShortSql(sql));
}

Result Connection::ExecParams(const std::string &sql, const std::vector<std::optional<std::string>> &params)
{
	CheckStop();
	std::vector<const char *> values;
	values.reserve(params.size());
	for (const auto &p : params)
		values.push_back(p ? p->c_str() : nullptr);
	if (!PQsendQueryParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
	                       nullptr, 0))
		ThrowResultError(nullptr, "to run " + ShortSql(sql));
	return Finish("to run " + ShortSql(sql));
}

std::optional<std::string> Connection::Value(const std::string &sql)
{
	Result r = Exec(sql);
	if (r.Rows() < 1 || r.Cols() < 1)
		return std::nullopt;
	return r.Opt(0, 0);
}

uint64_t Connection::CopyOut(const std::string &sql, const std::function<void(std::string_view)> &on_row)
{
	Result start = Exec(sql);
	if (!start.raw() || PQresultStatus(start.raw()) != PGRES_COPY_OUT)
		throw Error(sqlstate::kInternalError, Prefix() + "source did not start COPY for " + ShortSql(sql));
	uint64_t rows = 0;
	for (;;) {
		char *buf = nullptr;
		int n = PQgetCopyData(conn_, &buf, 1 /* async */);
		if (n > 0) {
			std::string_view row(buf, static_cast<size_t>(n));
			try {
				on_row(row);
			} catch (...) {
				PQfreemem(buf);
				throw;
			}
			PQfreemem(buf);
			/* a fast server never lets n reach 0: look at Stop() every few thousand rows too */
			if (++rows % 4096 == 0)
				CheckStop();
			continue;
		}
		if (n == 0) {
			CheckStop();
			WaitReadable(kPollMs);
			if (!PQconsumeInput(conn_))
				ThrowConnError("reading " + ShortSql(sql));
			continue;
		}
		if (n == -1)
			break;
		ThrowConnError("reading " + ShortSql(sql));
	}
	Finish("to run " + ShortSql(sql));
	return rows;
}

bool Connection::ReadCopyData(std::string &out, int timeout_ms)
{
	for (int round = 0; round < 2; ++round) {
		char *buf = nullptr;
		int n = PQgetCopyData(conn_, &buf, 1);
		if (n > 0) {
			out.assign(buf, static_cast<size_t>(n));
			PQfreemem(buf);
			return true;
		}
		if (n == -1) {
			/* the server ended the stream: fetch why */
			PGresult *r = PQgetResult(conn_);
			if (r && PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_COPY_OUT)
				ThrowResultError(r, "while streaming");
			if (r)
				PQclear(r);
			throw Error(sqlstate::kConnectionFailure,
			            Prefix() + "source PostgreSQL at " + ep_.Where() + " ended the replication stream");
		}
		if (n == -2)
			ThrowConnError("streaming");
		if (round == 1)
			break;
		if (!WaitReadable(timeout_ms))
			return false;
		if (!PQconsumeInput(conn_))
			ThrowConnError("streaming");
	}
	return false;
}

void Connection::PutCopyData(std::string_view data)
{
	if (PQputCopyData(conn_, data.data(), static_cast<int>(data.size())) != 1 || PQflush(conn_) != 0)
		ThrowConnError("sending a status update");
}

std::string ShortSql(std::string_view sql)
{
	if (sql.size() <= 200)
		return std::string(sql);
	return std::string(sql.substr(0, 200)) + "...";
}

}  // namespace synchdb::pgsrc
