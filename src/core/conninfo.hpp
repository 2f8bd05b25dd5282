/*
 * conninfo.hpp
 *     Connector definitions: what synchdb_add_conninfo() accepts and what
 *     synchdb_conninfo.data holds.
 *
 * NOTES
 *   All validation a user can fail lives here, in plain C++, so that it is
 *   unit-tested without a server: connector names, ports, connector types,
 *   table lists and snapshot modes.  Checks that need PostgreSQL (does the
 *   destination database exist, is the rule file under $PGDATA) are made by
 *   the PostgreSQL layer with the helpers below.
 *
 *   The JSON keys of synchdb_conninfo.data are the seed's: hostname, port,
 *   user, pwd, srcdb, dstdb, table, connector, rulefile.  An empty table
 *   list and an absent rule file are stored as the string "null", as the
 *   quick-start shows.  TLS settings (synchdb_add_extra_conninfo) add the
 *   keys of core/tls.hpp.
 */
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json.hpp"
#include "core/tls.hpp"

namespace synchdb {

enum class ConnectorType { MySQL, SqlServer, Oracle, Postgres, Olr };

/* Case-insensitive; "mysql", "sqlserver", "oracle", "postgres", "olr".  Throws with the list of valid types. */
ConnectorType ParseConnectorType(std::string_view text);
const char *ConnectorTypeName(ConnectorType t);
/* Human name for messages: "MySQL", "SQL Server", "Oracle". */
const char *ConnectorTypeDisplayName(ConnectorType t);

/* SchemaSync: NoData, then paused once the tables exist (review the object map, then resume). */
enum class SnapshotMode { Initial, InitialOnly, NoData, Never, Always, SchemaSync };

/* Case-insensitive; throws listing the valid modes. */
SnapshotMode ParseSnapshotMode(std::string_view text);
const char *SnapshotModeName(SnapshotMode m);

/*
 * Validate a connector name and return its canonical (lower-case) form.
 * Identifier rules: a letter or underscore, then letters, digits or
 * underscores, at most 63 bytes.
 */
std::string NormalizeConnectorName(std::string_view name);

/* One entry of a table list: db.table (MySQL; OpenLogReplicator: OWNER.TABLE) or db.schema.table. */
struct TableName {
	std::string db;
	std::string schema; /* empty for MySQL */
	std::string table;

	std::string ToString() const;
	bool operator==(const TableName &) const = default;
};

/*
 * Parse a comma-separated table list; "" and "null" mean all tables.
 * Each entry must name the connector's source database: a filter that can
 * never match is refused rather than replicating nothing silently.
 */
std::vector<TableName> ParseTableList(std::string_view list, ConnectorType type, std::string_view srcdb);

/* True for "" and "null" (any case): the user gave no table list / rule file. */
bool IsUnset(std::string_view s);

/*
 * Rule file argument: a path relative to $PGDATA, without "..", or an
 * absolute path that lies below data_dir.  Returns the absolute path.
 */
std::string ResolveRuleFilePath(std::string_view rulefile, std::string_view data_dir);
/*
 * A file the server reads on a user's word (rule file, OLR schema checkpoint)
 * that exists: through symbolic links it must stay under data_dir, not be in
 * synchdb's key directory (pg_synchdb), and be a regular file (no FIFO, device
 * or directory).  Errors name label and give hint.
 */
void CheckServerFile(const std::string &path, const std::string &data_dir, const std::string &label, const char *hint);

/*
 * The OpenLogReplicator endpoint of a connector (synchdb_add_olr_conninfo),
 * stored in synchdb_conninfo.data under SynchDB's keys olr_host, olr_port,
 * olr_source, plus olr_options: a JSON object of the source's settings
 * (validated by the source; "" = none).
 */
struct OlrConnInfo {
	std::string host;
	int port = 0;
	std::string source;  /* the "name" of the source in OpenLogReplicator.json */
	std::string options; /* JSON object text, "" = none */
};

/* Validate synchdb_add_olr_conninfo's arguments; options "" or "null" = none, else a JSON object. */
OlrConnInfo MakeOlrConnInfo(std::string_view host, int64_t port, std::string_view source, std::string_view options);

/*
 * Per-connector settings (synchdb_set_connector_option), stored in
 * synchdb_conninfo.data under "options" as {"option": "value"}.  Each is
 * a GUC synchdb.<option> that a connector may set for itself; an option a
 * connector does not set follows the GUC.
 */
struct ConnectorOptionSpec {
	const char *name;
	std::vector<const char *> values;
	const char *meaning; /* for messages */
};
const std::vector<ConnectorOptionSpec> &ConnectorOptionSpecs();
/* The option's canonical name (case-insensitive); throws 22023 listing the options. */
std::string NormalizeConnectorOption(std::string_view option);
/* The value's canonical form for option (case-insensitive, trimmed); throws 22023 naming the option's values. */
std::string NormalizeConnectorOptionValue(const std::string &option, std::string_view value);

/* A connector definition as stored in synchdb_conninfo. */
struct ConnInfo {
	std::string name;
	std::string hostname;
	int port = 0;
	std::string user;
	std::string pwd; /* encrypted, as \x-hex bytea text */
	std::string srcdb;
	std::string dstdb;
	std::string table;    /* raw list, "null" when empty */
	std::string connector;
	std::string rulefile; /* as given, "null" when none */
	TlsSettings tls;      /* synchdb_add_extra_conninfo; defaults when not given */
	std::optional<OlrConnInfo> olr; /* synchdb_add_olr_conninfo; nullopt when not set */
	std::string incarnation;        /* pinned by synchdb_alter_conninfo; "" = derived from pwd */
	std::vector<std::pair<std::string, std::string>> options; /* synchdb_set_connector_option, canonical, by name */
	/* The connector's own value of option, "" when it follows the GUC. */
	std::string Option(const std::string &option) const
	{
		for (const auto &[k, v] : options)
			if (k == option)
				return v;
		return {};
	}

	ConnectorType Type() const { return ParseConnectorType(connector); }
	std::vector<TableName> Tables() const { return ParseTableList(table, Type(), srcdb); }
	bool HasRuleFile() const { return !IsUnset(rulefile); }
};

/*
 * Validate the user's arguments (everything but the password's encryption
 * and the PostgreSQL-side checks) and build a ConnInfo with canonical forms.
 * Argument order is synchdb_add_conninfo's.
 */
ConnInfo MakeConnInfo(std::string_view name, std::string_view hostname, int64_t port, std::string_view user,
                      std::string_view srcdb, std::string_view dstdb, std::string_view table,
                      std::string_view connector, std::string_view rulefile);

json::Value ConnInfoToJson(const ConnInfo &ci);
/*
 * Which definition of a connector wrote a stored position: a connector
 * deleted and created again under its name is new.  FNV-1a 64 of the
 * encrypted password (salted anew by every synchdb_add_conninfo), written
 * "v2:<hex>", unless synchdb_alter_conninfo pinned it before the password
 * changed.  LegacyIncarnation: what synchdb 1.0 stored (std::hash).
 */
std::string Incarnation(const ConnInfo &ci);
std::string PasswordIncarnation(std::string_view encrypted_pwd);
std::string LegacyIncarnation(const ConnInfo &ci);
/* Read synchdb_conninfo.data back; a missing or mistyped key is an error naming the connector. */
ConnInfo ConnInfoFromJson(std::string_view name, const json::Value &data);

}  // namespace synchdb

#include "core/cpp_only.hpp"
