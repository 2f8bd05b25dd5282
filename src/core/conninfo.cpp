/*
 * conninfo.cpp
 *     Validation and (de)serialisation of connector definitions.
 */
#include "core/conninfo.hpp"

#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <functional>

#include "core/error.hpp"
#include "core/strings.hpp"

namespace synchdb {

namespace {


void RequireNonEmpty(std::string_view value, const char *what, const char *hint)
{
	if (Trim(value).empty())
		throw Error(sqlstate::kInvalidParameterValue, std::string(what) + " must not be empty", {}, hint);
}

void RequireMaxLen(std::string_view value, size_t max, const char *what)
{
	if (value.size() > max)
		throw Error(sqlstate::kInvalidParameterValue,
		            std::string(what) + " is too long (" + std::to_string(value.size()) + " bytes, at most " +
		                std::to_string(max) + ")");
}

}  // namespace

ConnectorType ParseConnectorType(std::string_view text)
{
	std::string t = Lower(Trim(text));
	if (t == "mysql")
		return ConnectorType::MySQL;
	if (t == "sqlserver")
		return ConnectorType::SqlServer;
	if (t == "oracle")
		return ConnectorType::Oracle;
	if (t == "postgres")
		return ConnectorType::Postgres;
	if (t == "olr")
		return ConnectorType::Olr;
	throw Error(sqlstate::kInvalidParameterValue, "unsupported connector type " + Quoted(std::string(text)),
	            {}, "Valid connector types are: mysql, sqlserver, oracle, postgres, olr.");
}

const char *ConnectorTypeName(ConnectorType t)
{
	switch (t) {
	case ConnectorType::MySQL: return "mysql";
	case ConnectorType::SqlServer: return "sqlserver";
	case ConnectorType::Oracle: return "oracle";
	case ConnectorType::Postgres: return "postgres";
	case ConnectorType::Olr: return "olr";
	}
	return "unknown";
}

const char *ConnectorTypeDisplayName(ConnectorType t)
{
	switch (t) {
	case ConnectorType::MySQL: return "MySQL";
	case ConnectorType::SqlServer: return "SQL Server";
	case ConnectorType::Oracle: return "Oracle";
	case ConnectorType::Postgres: return "PostgreSQL";
	case ConnectorType::Olr: return "OpenLogReplicator";
	}
	return "unknown";
}

SnapshotMode ParseSnapshotMode(std::string_view text)
{
	std::string m = Lower(Trim(text));
	if (m == "initial")
		return SnapshotMode::Initial;
	if (m == "initial_only")
		return SnapshotMode::InitialOnly;
	if (m == "no_data")
		return SnapshotMode::NoData;
	if (m == "never")
		return SnapshotMode::Never;
	if (m == "always")
		return SnapshotMode::Always;
	if (m == "schemasync")
		return SnapshotMode::SchemaSync;
	throw Error(sqlstate::kInvalidParameterValue, "invalid snapshot mode " + Quoted(std::string(text)), {},
	            "Valid snapshot modes are: initial, initial_only, no_data, never, always, schemasync.");
}

const char *SnapshotModeName(SnapshotMode m)
{
	switch (m) {
	case SnapshotMode::Initial: return "initial";
	case SnapshotMode::InitialOnly: return "initial_only";
	case SnapshotMode::NoData: return "no_data";
	case SnapshotMode::Never: return "never";
	case SnapshotMode::Always: return "always";
	case SnapshotMode::SchemaSync: return "schemasync";
	}
	return "unknown";
}

std::string NormalizeConnectorName(std::string_view name)
{
	if (name.empty())
		throw Error(sqlstate::kInvalidName, "connector name must not be empty");
	if (name.size() > 63)
		throw Error(sqlstate::kInvalidName,
		            "connector name " + Quoted(std::string(name)) + " is too long (" + std::to_string(name.size()) +
		                " bytes, at most 63)");
	auto ok_first = [](unsigned char c) { return std::isalpha(c) || c == '_'; };
	auto ok_rest = [](unsigned char c) { return std::isalnum(c) || c == '_'; };
	bool valid = ok_first(static_cast<unsigned char>(name[0]));
	for (size_t i = 1; valid && i < name.size(); i++)
		valid = ok_rest(static_cast<unsigned char>(name[i]));
	if (!valid)
		throw Error(sqlstate::kInvalidName, "invalid connector name " + Quoted(std::string(name)),
		            "A connector name follows SQL identifier rules: a letter or underscore, then letters, digits or "
		            "underscores.",
		            "Choose a name such as \"mysqlconn\" or \"orders_replica\".");
	return Lower(name);
}

const std::vector<ConnectorOptionSpec> &ConnectorOptionSpecs()
{
	static const std::vector<ConnectorOptionSpec> specs = {
		{"error_handling_strategy", {"exit", "skip", "retry"}, "what the connector does when PostgreSQL refuses a change"},
		{"invalid_value_policy", {"error", "null", "replace"},
		 "what the connector does with a source value PostgreSQL cannot hold as mapped"},
	};
	return specs;
}

namespace {

std::string Trimmed(std::string_view s)
{
	while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
		s.remove_prefix(1);
	while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
		s.remove_suffix(1);
	return std::string(s);
}

}  // namespace

std::string NormalizeConnectorOption(std::string_view option)
{
	const std::string o = Lower(Trimmed(option));
	std::string names;
	for (const ConnectorOptionSpec &s : ConnectorOptionSpecs()) {
		if (o == s.name)
			return o;
		names += (names.empty() ? "" : ", ") + std::string(s.name);
	}
	throw Error(sqlstate::kInvalidParameterValue, "unknown connector option " + Quoted(std::string(option)), {},
	            "The options a connector can set for itself are: " + names + ".");
}

std::string NormalizeConnectorOptionValue(const std::string &option, std::string_view value)
{
	const std::string v = Lower(Trimmed(value));
	for (const ConnectorOptionSpec &s : ConnectorOptionSpecs()) {
		if (option != s.name)
			continue;
		std::string values;
		for (const char *x : s.values) {
			if (v == x)
				return v;
			values += (values.empty() ? "" : ", ") + std::string(x);
		}
		throw Error(sqlstate::kInvalidParameterValue,
		            "invalid value " + Quoted(std::string(value)) + " for connector option " + Quoted(option), {},
		            "Valid values are: " + values + "; NULL makes the connector follow synchdb." + option + ".");
	}
	return NormalizeConnectorOptionValue(NormalizeConnectorOption(option), value);
}

std::string TableName::ToString() const
{
	return schema.empty() ? db + "." + table : db + "." + schema + "." + table;
}

bool IsUnset(std::string_view s)
{
	return Trim(s).empty() || Lower(Trim(s)) == "null";
}

std::vector<TableName> ParseTableList(std::string_view list, ConnectorType type, std::string_view srcdb)
{
	std::vector<TableName> out;
	if (IsUnset(list))
		return out;
	/* OpenLogReplicator: OWNER.TABLE, the owner being srcdb. */
	const bool olr = type == ConnectorType::Olr;
	const bool two_part = type == ConnectorType::MySQL || olr;
	/* PostgreSQL names tables schema.table within the source database (database.schema.table is accepted too). */
	const bool pg = type == ConnectorType::Postgres;
	const char *form = olr ? "OWNER.TABLE" : two_part ? "database.table" : pg ? "schema.table" : "database.schema.table";

	size_t start = 0;
	while (start <= list.size()) {
		size_t comma = list.find(',', start);
		std::string_view entry = Trim(list.substr(start, comma == std::string_view::npos ? std::string_view::npos
		                                                                                 : comma - start));
		start = comma == std::string_view::npos ? list.size() + 1 : comma + 1;

		if (entry.empty())
			throw Error(sqlstate::kInvalidParameterValue, "table list " + Quoted(std::string(list)) +
			                                                  " has an empty entry",
			            {}, "Separate entries with single commas, for example \"inventory.orders,inventory.customers\".");
		std::vector<std::string> parts;
		size_t p = 0;
		for (;;) {
			size_t dot = entry.find('.', p);
			parts.emplace_back(entry.substr(p, dot == std::string_view::npos ? std::string_view::npos : dot - p));
			if (dot == std::string_view::npos)
				break;
			p = dot + 1;
		}
		if (pg && parts.size() == 2)
			parts.insert(parts.begin(), std::string(srcdb));
		bool parts_ok = parts.size() == (two_part ? 2u : 3u);
		for (const auto &part : parts)
			if (part.empty() || std::any_of(part.begin(), part.end(), [](unsigned char c) { return std::isspace(c); }))
				parts_ok = false;
		if (!parts_ok)
			throw Error(sqlstate::kInvalidParameterValue,
			            "invalid table list entry " + Quoted(std::string(entry)),
			            std::string("A ") + ConnectorTypeDisplayName(type) + " connector names tables as " + form + ".",
			            std::string("Write entries as ") + form + ", for example \"" + std::string(srcdb) +
			                (two_part ? ".orders" : pg ? ".public.orders" : ".dbo.orders") + "\"" +
			                (pg ? " or \"public.orders\"" : "") + ".");
		TableName t;
		t.db = parts[0];
		if (two_part)
			t.table = parts[1];
		else {
			t.schema = parts[1];
			t.table = parts[2];
		}
		if (t.db != srcdb)
			throw Error(sqlstate::kInvalidParameterValue,
			            "table list entry " + Quoted(std::string(entry)) + " is not in source database " +
			                Quoted(std::string(srcdb)),
			            "A connector replicates from one source database; this entry would never match.",
			            "Use entries that start with \"" + std::string(srcdb) + ".\".");
		if (std::find(out.begin(), out.end(), t) == out.end())
			out.push_back(std::move(t));
	}
	return out;
}

std::string ResolveRuleFilePath(std::string_view rulefile, std::string_view data_dir)
{
	std::string f(Trim(rulefile));
	std::string dir(data_dir);
	while (dir.size() > 1 && dir.back() == '/')
		dir.pop_back();
	const char *hint = "Place the rule file in the PostgreSQL data directory and give its name relative to it, "
	                   "for example 'myrule.json'.";
	/* Refuse any ".." component: the file must stay inside the data directory. */
	size_t p = 0;
	for (;;) {
		size_t slash = f.find('/', p);
		std::string_view comp = std::string_view(f).substr(p, slash == std::string::npos ? std::string::npos : slash - p);
		if (comp == "..")
			throw Error(sqlstate::kInvalidParameterValue, "rule file path " + Quoted(f) + " must not contain \"..\"",
			            {}, hint);
		if (slash == std::string::npos)
			break;
		p = slash + 1;
	}
	std::string path;
	if (!f.empty() && f[0] == '/') {
		if (f.compare(0, dir.size() + 1, dir + "/") != 0)
			throw Error(sqlstate::kInvalidParameterValue,
			            "rule file " + Quoted(f) + " is not under the data directory", {}, hint);
		path = f;
	} else
		path = dir + "/" + f;
	CheckServerFile(path, dir, f, hint);
	return path;
}

void CheckServerFile(const std::string &path, const std::string &data_dir, const std::string &label, const char *hint)
{
	/* What the name finally is, through every symbolic link; a missing file is left to the caller's open(). */
	char *real_c = realpath(path.c_str(), nullptr);
	if (!real_c)
		return;
	const std::string real(real_c);
	free(real_c);
	char *dir_c = realpath(data_dir.c_str(), nullptr);
	const std::string dir = dir_c ? std::string(dir_c) : data_dir;
	free(dir_c);
	if (real.compare(0, dir.size() + 1, dir + "/") != 0)
		throw Error(sqlstate::kInvalidParameterValue,
		            "rule file " + Quoted(label) + " leads (through a symbolic link) to " + Quoted(real) +
		                ", which is not under the data directory",
		            {}, hint);
	const std::string keydir = dir + "/pg_synchdb";
	if (real == keydir || real.compare(0, keydir.size() + 1, keydir + "/") == 0)
		throw Error(sqlstate::kInsufficientPrivilege,
		            "rule file " + Quoted(label) + " is in synchdb's key directory pg_synchdb, which no rule file may name",
		            {}, hint);
	struct stat st;
	if (stat(real.c_str(), &st) != 0)
		return;
	if (!S_ISREG(st.st_mode))
		throw Error(sqlstate::kInvalidParameterValue,
		            "rule file " + Quoted(label) + " is not a regular file (" +
		                (S_ISDIR(st.st_mode) ? "a directory" : S_ISFIFO(st.st_mode) ? "a FIFO" :
		                 S_ISSOCK(st.st_mode) ? "a socket" : "a device") + ")",
		            {}, hint);
}

ConnInfo MakeConnInfo(std::string_view name, std::string_view hostname, int64_t port, std::string_view user,
                      std::string_view srcdb, std::string_view dstdb, std::string_view table,
                      std::string_view connector, std::string_view rulefile)
{
	ConnInfo ci;
	ci.name = NormalizeConnectorName(name);
	RequireNonEmpty(hostname, "hostname", "Give the host name or IP address of the source database server.");
	RequireMaxLen(hostname, 255, "hostname");
	ci.hostname = std::string(Trim(hostname));
	if (port < 1 || port > 65535)
		throw Error(sqlstate::kInvalidParameterValue, "port " + std::to_string(port) + " is out of range", {},
		            "A TCP port is between 1 and 65535; MySQL listens on 3306 by default.");
	ci.port = static_cast<int>(port);
	RequireNonEmpty(user, "user name", "Give the user that synchdb logs in as on the source database.");
	RequireMaxLen(user, 128, "user name");
	ci.user = std::string(user);
	RequireNonEmpty(srcdb, "source database", "Give the name of the database to replicate from.");
	RequireMaxLen(srcdb, 128, "source database");
	ci.srcdb = std::string(Trim(srcdb));
	RequireNonEmpty(dstdb, "destination database", "Give the name of an existing PostgreSQL database.");
	RequireMaxLen(dstdb, 63, "destination database");
	ci.dstdb = std::string(dstdb);
	ci.connector = ConnectorTypeName(ParseConnectorType(connector));
	/* Validate now, store as given (trimmed); "null" when empty. */
	ParseTableList(table, ci.Type(), ci.srcdb);
	ci.table = IsUnset(table) ? "null" : std::string(Trim(table));
	ci.rulefile = IsUnset(rulefile) ? "null" : std::string(Trim(rulefile));
	return ci;
}

OlrConnInfo MakeOlrConnInfo(std::string_view host, int64_t port, std::string_view source, std::string_view options)
{
	OlrConnInfo o;
	RequireNonEmpty(host, "olr_host", "Give the host name or IP address where OpenLogReplicator listens.");
	RequireMaxLen(host, 255, "olr_host");
	o.host = std::string(Trim(host));
	if (port < 1 || port > 65535)
		throw Error(sqlstate::kInvalidParameterValue, "olr_port " + std::to_string(port) + " is out of range", {},
		            "Give the port of OpenLogReplicator's network writer (\"uri\" of its target in "
		            "OpenLogReplicator.json), between 1 and 65535.");
	o.port = static_cast<int>(port);
	RequireNonEmpty(source, "olr_source",
	                "Give the \"name\" of the source in OpenLogReplicator.json (for example \"ORACLE\").");
	RequireMaxLen(source, 128, "olr_source");
	o.source = std::string(Trim(source));
	if (!IsUnset(options)) {
		json::Value v;
		try {
			v = json::Parse(options);
		} catch (const Error &e) {
			throw Error(sqlstate::kInvalidParameterValue, std::string("olr options are not valid JSON: ") + e.what(),
			            {}, "Give a JSON object, for example '{\"schema_checkpoint\": \"olr/ORACLE-chkpt-123.json\"}'.");
		}
		if (!v.IsObject())
			throw Error(sqlstate::kInvalidParameterValue, "olr options must be a JSON object", {},
			            "Give a JSON object, for example '{\"timestamp\": 7}'.");
		o.options = json::Write(v);
	}
	return o;
}

json::Value ConnInfoToJson(const ConnInfo &ci)
{
	using json::Value;
	Value v = Value::MakeObject();
	v.Set("hostname", Value::MakeString(ci.hostname));
	v.Set("port", Value::MakeInt(ci.port));
	v.Set("user", Value::MakeString(ci.user));
	v.Set("pwd", Value::MakeString(ci.pwd));
	v.Set("srcdb", Value::MakeString(ci.srcdb));
	v.Set("dstdb", Value::MakeString(ci.dstdb));
	v.Set("table", Value::MakeString(ci.table));
	v.Set("connector", Value::MakeString(ci.connector));
	v.Set("rulefile", Value::MakeString(ci.rulefile));
	TlsSettingsToJson(ci.tls, v);
	if (!ci.incarnation.empty())
		v.Set("incarnation", Value::MakeString(ci.incarnation));
	if (!ci.options.empty()) {
		Value o = Value::MakeObject();
		for (const auto &[k, val] : ci.options)
			o.Set(k, Value::MakeString(val));
		v.Set("options", o);
	}
	if (ci.olr) {
		v.Set("olr_host", Value::MakeString(ci.olr->host));
		v.Set("olr_port", Value::MakeInt(ci.olr->port));
		v.Set("olr_source", Value::MakeString(ci.olr->source));
		if (!ci.olr->options.empty())
			v.Set("olr_options", json::Parse(ci.olr->options));
	}
	return v;
}

ConnInfo ConnInfoFromJson(std::string_view name, const json::Value &data)
{
	const std::string cname(name);
	auto broken = [&](const std::string &what) {
		return Error(sqlstate::kObjectNotInPrerequisiteState,
		             "definition of connector " + Quoted(cname) + " in synchdb_conninfo is damaged: " + what, {},
		             "Delete it with synchdb_del_conninfo() and create it again with synchdb_add_conninfo().");
	};
	if (!data.IsObject())
		throw broken("data is not a JSON object");
	auto str = [&](const char *key, bool required) -> std::string {
		const json::Value *v = data.Find(key);
		if (!v || v->IsNull()) {
			if (required)
				throw broken(std::string("key \"") + key + "\" is missing");
			return "null";
		}
		if (!v->IsString())
			throw broken(std::string("key \"") + key + "\" is not a string");
		return v->AsString();
	};
	ConnInfo ci;
	ci.name = cname;
	ci.hostname = str("hostname", true);
	const json::Value *port = data.Find("port");
	std::optional<int64_t> p;
	if (port && port->IsNumber())
		p = port->AsInt();
	else if (port && port->IsString())
		p = json::Value::MakeNumber(port->AsString()).AsInt();
	if (!p || *p < 1 || *p > 65535)
		throw broken("key \"port\" is missing or not a valid port number");
	ci.port = static_cast<int>(*p);
	ci.user = str("user", true);
	ci.pwd = str("pwd", true);
	ci.srcdb = str("srcdb", true);
	ci.dstdb = str("dstdb", true);
	ci.table = str("table", false);
	ci.connector = str("connector", true);
	ci.rulefile = str("rulefile", false);
	if (const json::Value *inc = data.Find("incarnation"); inc && !inc->IsNull())
		ci.incarnation = str("incarnation", true);
	if (const json::Value *h = data.Find("olr_host"); h && !h->IsNull()) {
		OlrConnInfo o;
		o.host = str("olr_host", true);
		const json::Value *op = data.Find("olr_port");
		std::optional<int64_t> n;
		if (op && op->IsNumber())
			n = op->AsInt();
		else if (op && op->IsString())
			n = json::Value::MakeNumber(op->AsString()).AsInt();
		if (!n || *n < 1 || *n > 65535)
			throw broken("key \"olr_port\" is missing or not a valid port number");
		o.port = static_cast<int>(*n);
		o.source = str("olr_source", true);
		if (const json::Value *opts = data.Find("olr_options"); opts && !opts->IsNull()) {
			if (!opts->IsObject())
				throw broken("key \"olr_options\" is not a JSON object");
			o.options = json::Write(*opts);
		}
		ci.olr = std::move(o);
	}
	if (const json::Value *opts = data.Find("options"); opts && !opts->IsNull()) {
		if (!opts->IsObject())
			throw broken("key \"options\" is not a JSON object");
		for (const auto &m : opts->Members()) {
			if (!m.second.IsString())
				throw broken("option \"" + m.first + "\" is not a string");
			try {
				const std::string o = NormalizeConnectorOption(m.first);
				ci.options.emplace_back(o, NormalizeConnectorOptionValue(o, m.second.AsString()));
			} catch (const Error &e) {
				throw Error(sqlstate::kObjectNotInPrerequisiteState,
				            "definition of connector " + Quoted(cname) + " has an invalid option: " + e.what(), {},
				            "Set it again with synchdb_set_connector_option('" + cname +
				                "', option, value), or NULL as value to follow the GUC.");
			}
		}
	}
	try {
		ci.connector = ConnectorTypeName(ParseConnectorType(ci.connector));
		ParseTableList(ci.table, ci.Type(), ci.srcdb);
		ci.tls = TlsSettingsFromJson(data);
	} catch (const Error &e) {
		throw broken(e.what());
	}
	return ci;
}

std::string PasswordIncarnation(std::string_view encrypted_pwd)
{
	uint64_t h = 14695981039346656037ull;
	for (unsigned char c : encrypted_pwd) {
		h ^= c;
		h *= 1099511628211ull;
	}
	char buf[32];
	snprintf(buf, sizeof(buf), "v2:%016llx", static_cast<unsigned long long>(h));
	return buf;
}

std::string Incarnation(const ConnInfo &ci)
{
	return ci.incarnation.empty() ? PasswordIncarnation(ci.pwd) : ci.incarnation;
}

std::string LegacyIncarnation(const ConnInfo &ci)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%016zx", std::hash<std::string>{}(ci.pwd));
	return buf;
}

}  // namespace synchdb
