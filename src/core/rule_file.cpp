/*
 * rule_file.cpp
 *     Parsing and structural validation of connector rule files.
 */
#include "core/rule_file.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "core/json.hpp"

namespace synchdb {

namespace {

class RuleReader {
public:
	RuleReader(std::string_view file, const char *section, size_t index, const json::Value &rule)
		: file_(file), section_(section), index_(index), rule_(rule)
	{
		if (!rule.IsObject())
			Fail(std::string("is ") + json::Value::KindName(rule.kind()) + ", expected an object");
	}

	[[noreturn]] void Fail(const std::string &what) const
	{
		throw Error(sqlstate::kConfigFileError,
		            "invalid rule file " + Quoted(file_) + ": rule " + std::to_string(index_ + 1) + " of \"" +
		                section_ + "\" " + what,
		            {}, "See the rule file reference in docs/rule-file.md.");
	}

	/* Refuse keys other than the allowed ones: a typo must not be ignored. */
	void OnlyKeys(std::initializer_list<const char *> keys) const
	{
		for (const auto &[key, val] : rule_.Members()) {
			bool known = false;
			for (const char *k : keys)
				known |= key == k;
			if (!known) {
				std::string list;
				for (const char *k : keys)
					list += (list.empty() ? "" : ", ") + std::string(k);
				Fail("has unknown key \"" + key + "\" (valid keys: " + list + ")");
			}
		}
	}

	std::string String(const char *key, bool required = true) const
	{
		const json::Value *v = rule_.Find(key);
		if (!v) {
			if (required)
				Fail(std::string("is missing key \"") + key + "\"");
			return {};
		}
		if (!v->IsString())
			Fail(std::string("key \"") + key + "\" must be a string, not " + json::Value::KindName(v->kind()));
		if (required && v->AsString().empty())
			Fail(std::string("key \"") + key + "\" must not be empty");
		return v->AsString();
	}

	bool Bool(const char *key) const
	{
		const json::Value *v = rule_.Find(key);
		if (!v)
			return false;
		if (!v->IsBool())
			Fail(std::string("key \"") + key + "\" must be true or false");
		return v->AsBool();
	}

	int Int(const char *key, int dflt) const
	{
		const json::Value *v = rule_.Find(key);
		if (!v)
			return dflt;
		auto i = v->IsNumber() ? v->AsInt() : std::nullopt;
		if (!i || *i < -1 || *i > 10485760)
			Fail(std::string("key \"") + key + "\" must be an integer: -1 keeps the source size, 0 means no size, N forces N");
		return static_cast<int>(*i);
	}

private:
	std::string file_;
	const char *section_;
	size_t index_;
	const json::Value &rule_;
};

}  // namespace

RuleFile ParseRuleFile(std::string_view text, std::string_view file_label)
{
	const std::string file(file_label);
	json::Value doc;
	try {
		doc = json::Parse(text);
	} catch (const Error &e) {
		throw Error(sqlstate::kConfigFileError, "invalid rule file " + Quoted(file) + ": " + e.what(), {},
		            "Fix the JSON syntax; see docs/rule-file.md for the format.");
	}
	if (!doc.IsObject())
		throw Error(sqlstate::kConfigFileError, "invalid rule file " + Quoted(file) + ": the document is " +
		                                            json::Value::KindName(doc.kind()) + ", expected an object",
		            {}, "See docs/rule-file.md for the format.");

	RuleFile rf;
	for (const auto &[section, val] : doc.Members()) {
		const bool known = section == "transform_datatype_rules" || section == "transform_objectname_rules" ||
		                   section == "transform_expression_rules";
		if (!known)
			throw Error(sqlstate::kConfigFileError,
			            "invalid rule file " + Quoted(file) + ": unknown section \"" + section + "\"",
			            "Valid sections are transform_datatype_rules, transform_objectname_rules and "
			            "transform_expression_rules.",
			            "See docs/rule-file.md for the format.");
		if (!val.IsArray())
			throw Error(sqlstate::kConfigFileError, "invalid rule file " + Quoted(file) + ": section \"" + section +
			                                            "\" must be an array of rules",
			            {}, "See docs/rule-file.md for the format.");
		const auto &items = val.Items();
		for (size_t i = 0; i < items.size(); i++) {
			RuleReader r(file, section.c_str(), i, items[i]);
			if (section == "transform_datatype_rules") {
				r.OnlyKeys({"translate_from", "translate_from_autoinc", "translate_to", "translate_to_size"});
				DatatypeRule d;
				d.translate_from = r.String("translate_from");
				d.translate_from_autoinc = r.Bool("translate_from_autoinc");
				d.translate_to = r.String("translate_to");
				d.translate_to_size = r.Int("translate_to_size", -1);
				rf.datatype_rules.push_back(std::move(d));
			} else if (section == "transform_objectname_rules") {
				r.OnlyKeys({"object_type", "source_object", "destination_object"});
				ObjectNameRule o;
				o.object_type = r.String("object_type");
				if (o.object_type != "table" && o.object_type != "column")
					r.Fail("key \"object_type\" is \"" + o.object_type + "\"; it must be \"table\" or \"column\"");
				o.source_object = r.String("source_object");
				o.destination_object = r.String("destination_object");
				rf.objectname_rules.push_back(std::move(o));
			} else {
				r.OnlyKeys({"transform_from", "transform_expression"});
				ExpressionRule x;
				x.transform_from = r.String("transform_from");
				x.transform_expression = r.String("transform_expression");
				rf.expression_rules.push_back(std::move(x));
			}
		}
	}
	return rf;
}

RuleFile LoadRuleFile(const std::string &path, std::string_view label)
{
	const std::string name = label.empty() ? path : std::string(label);
	struct stat st;
	if (stat(path.c_str(), &st) == 0) {
		if (!S_ISREG(st.st_mode))
			throw Error(sqlstate::kInvalidParameterValue, "rule file " + Quoted(name) + " is not a regular file", {},
			            "Name a JSON file in the PostgreSQL data directory.");
		if (st.st_size > kMaxRuleFileBytes)
			throw Error(sqlstate::kProgramLimitExceeded,
			            "rule file " + Quoted(name) + " is too large (" + std::to_string(st.st_size) +
			                " bytes, at most " + std::to_string(kMaxRuleFileBytes) + ")",
			            {}, "A rule file holds rules, not data; move rules to synchdb_objmap or split the file.");
	}
	std::ifstream in(path, std::ios::binary);
	if (!in) {
		int err = errno;
		throw Error(err == ENOENT ? sqlstate::kUndefinedFile : sqlstate::kConfigFileError,
		            "could not open rule file " + Quoted(name) + ": " + std::strerror(err), {},
		            "Rule files are read from the PostgreSQL data directory; check the name and that the server's "
		            "operating system user can read it.");
	}
	std::ostringstream ss;
	ss << in.rdbuf();
	if (in.bad())
		throw Error(sqlstate::kConfigFileError, "could not read rule file " + Quoted(name));
	return ParseRuleFile(ss.str(), name);
}

}  // namespace synchdb
